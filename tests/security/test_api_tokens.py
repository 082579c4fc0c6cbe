"""Item 14: API tokens can be revoked (CLI, admin API), expire, may carry fewer roles, do not open
console pages, are audited when issued and revoked, and die with a password change or deactivation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from click.testing import CliRunner

from hotline.cli import main
from hotline.platform import Platform
from tests.web.conftest import HOME_PROVINCE


def _me(app: Any, token: str, path: str = "/api/v1/me") -> int:
    return app.test_client().get(path, headers={"Authorization": f"Bearer {token}"}).status_code


def test_revoke_expire_scope_and_audit(web_app: Any, make_user: Any, client_for: Any, platform: Platform,
                                       clock: Any) -> None:
    web_app.config["WTF_CSRF_ENABLED"] = False
    make_user("tok-admin", ("admin",), "00")
    crm = make_user("crm", ("supervisor", "agent"), HOME_PROVINCE)
    admin = client_for("tok-admin")
    issued = admin.post(f"/api/v1/admin/users/{crm.id}/token", json={"name": "crm", "days": 1,
                                                                    "scopes": ["supervisor"]})
    assert issued.status_code == 200
    token = issued.get_json()["token"]
    assert _me(web_app, token) == 200
    me = web_app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert me["roles"] == ["supervisor"]  # scoped: not the user's agent role
    assert _me(web_app, token, "/api/v1/agent/status") == 403
    # not for console pages
    page = web_app.test_client().get("/supervisor/", headers={"Authorization": f"Bearer {token}"})
    assert page.status_code in (302, 401)
    listed = admin.get(f"/api/v1/admin/users/{crm.id}/tokens").get_json()["tokens"]
    assert [(t["name"], t["scopes"], t["active"]) for t in listed] == [("crm", ["supervisor"], True)]
    assert "token" not in listed[0] and "token_sha256" not in listed[0]
    html = admin.get(f"/api/v1/admin/users/{crm.id}/tokens", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "crm" in html and "revoke" in html  # the admin page's token list with its revoke button
    # expiry
    clock.advance(86400 + 1)
    assert _me(web_app, token) == 401
    # revocation by the admin API
    second = admin.post(f"/api/v1/admin/users/{crm.id}/token", json={"name": "crm2"}).get_json()["token"]
    assert _me(web_app, second) == 200
    token_id = admin.get(f"/api/v1/admin/users/{crm.id}/tokens").get_json()["tokens"][-1]["id"]
    assert admin.post(f"/api/v1/admin/users/{crm.id}/tokens/{token_id}/revoke").status_code == 200
    assert _me(web_app, second) == 401
    actions = [e.action for e in platform.audit.entries(limit=50)]
    assert actions.count("token.issue") == 2 and "token.revoke" in actions


def test_password_change_and_deactivation_revoke_tokens(web_app: Any, make_user: Any, client_for: Any,
                                                        platform: Platform) -> None:
    web_app.config["WTF_CSRF_ENABLED"] = False
    make_user("tok-admin2", ("admin",), "00")
    user = make_user("integr", ("supervisor",), HOME_PROVINCE)
    admin = client_for("tok-admin2")
    token = platform.accounts.issue_token(user.id, "a")
    platform.accounts.set_password(user.id, "another-long-password")
    assert _me(web_app, token) == 401
    token = platform.accounts.issue_token(user.id, "b")
    assert admin.post(f"/api/v1/admin/users/{user.id}", json={"active": False}).status_code == 200
    assert all(t["revoked"] for t in platform.accounts.tokens(user.id))
    assert admin.post(f"/api/v1/admin/users/{user.id}", json={"active": True}).status_code == 200
    assert _me(web_app, token) == 401  # revoked, not merely refused while inactive


def test_cli_issue_list_revoke_is_audited(tmp_path: Path) -> None:
    env = {"HOTLINE_DATA_DIR": str(tmp_path)}
    runner = CliRunner()

    def run(*args: str) -> str:
        out = runner.invoke(main, list(args), env=env)
        assert out.exit_code == 0, out.output
        return out.output

    run("users", "add", "svc", "--role", "supervisor", "--password", "a-long-password-1")
    token = run("users", "token", "svc", "--name", "crm", "--days", "30", "--scope", "supervisor").strip()
    assert token.startswith("hlt_")
    listed = run("users", "tokens", "svc")
    assert '"crm"' in listed and token not in listed
    run("users", "revoke-token", "1")
    audit = run("audit", "list", "--json")
    assert '"token.issue"' in audit and '"token.revoke"' in audit
