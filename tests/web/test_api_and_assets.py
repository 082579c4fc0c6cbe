"""The REST API contract (OpenAPI generated from the registry, token auth, CSRF for sessions, clear
errors), the vendored htmx checksum, the ring sound, the message catalog and language switching."""

from __future__ import annotations

import hashlib
import io
import wave
from pathlib import Path
from typing import Any

from hotline.platform import Platform
from tests.web.conftest import csrf_token, page_csrf
from web.permissions import registry_of

STATIC = Path(__file__).resolve().parents[2] / "web" / "static"


def test_openapi_describes_every_api_operation(web_app: Any) -> None:
    doc = web_app.test_client().get("/api/v1/openapi.json").json
    assert doc["openapi"].startswith("3.")
    operations = {(path, method) for path, item in doc["paths"].items() for method in item}
    api_specs = [s for s in registry_of(web_app).values() if s.rule.startswith("/api/v1") and not s.public]
    expected = {(s.rule.replace("<int:", "<").replace("<", "{").replace(">", "}"), m.lower())
                for s in api_specs for m in s.methods}
    assert operations == expected
    wrap = doc["paths"]["/api/v1/agent/wrap-up"]["post"]
    assert wrap["x-roles"] == ["agent"]
    body = wrap["requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == ["disposition"] and "sms_sent" in body["properties"]["disposition"]["enum"]
    board = doc["paths"]["/api/v1/supervisor/wallboard"]["get"]
    assert board["x-province-scope"] == "province" and board["parameters"][0]["in"] == "query"
    ticket = doc["paths"]["/api/v1/tickets/{ticket_id}"]["get"]
    assert ticket["parameters"][0] == {"name": "ticket_id", "in": "path", "required": True, "description": "",
                                       "schema": {"type": "integer", "minimum": -(2**63),
                                                                                 "maximum": 2**63 - 1}}
    ids = [op["operationId"] for item in doc["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))


def test_token_auth_is_csrf_exempt_and_sessions_are_not(platform: Platform, web_app: Any, make_user: Any,
                                                        client_for: Any) -> None:
    admin = make_user("api-admin", ("admin",), "00")
    token = platform.accounts.issue_token(admin.id, "crm")
    anonymous = web_app.test_client()
    body = {"username": "new-agent", "password": "long-enough-pw", "roles": ["agent"], "province": "44"}
    created = anonymous.post("/api/v1/admin/users", json=body, headers={"Authorization": f"Bearer {token}"})
    assert created.status_code == 200, created.json
    assert "new-agent" in [u["username"] for u in created.json["users"]]
    assert "hotline_session" not in created.headers.get("Set-Cookie", "")
    assert anonymous.get("/api/v1/me", headers={"Authorization": "Bearer nope"}).status_code == 401

    session = client_for("api-admin")
    again = {**body, "username": "other-agent"}
    assert session.post("/api/v1/admin/users", json=again).status_code == 400  # no CSRF token
    assert platform.accounts.by_username("other-agent") is None
    ok = session.post("/api/v1/admin/users", json=again, headers={"X-CSRFToken": page_csrf(session)})
    assert ok.status_code == 200 and platform.accounts.by_username("other-agent") is not None
    audit = platform.audit.entries(action="user.create")
    assert len(audit) == 2 and audit[0].actor == f"user:{admin.id}"


def test_bad_input_is_a_clear_400_and_changes_nothing(platform: Platform, web_app: Any, make_user: Any,
                                                       client_for: Any) -> None:
    make_user("api-admin2", ("admin",), "44")
    client = client_for("api-admin2")
    headers = {"X-CSRFToken": page_csrf(client)}
    cases = [
        ({"username": "x", "password": "short", "roles": ["agent"], "province": "44"}, "10"),
        ({"username": "x", "password": "long-enough-pw", "roles": ["boss"], "province": "44"}, "roles"),
        ({"username": "x", "password": "long-enough-pw", "roles": ["agent"]}, "province is required"),
        ({"username": "x y", "password": "long-enough-pw", "roles": ["agent"], "province": "44"}, "username"),
    ]
    for body, message in cases:
        response = client.post("/api/v1/admin/users", json=body, headers=headers)
        assert response.status_code == 400 and message in response.json["error"], response.json
    assert client.post("/api/v1/admin/users", data="[1]", content_type="application/json",
                       headers=headers).status_code == 400
    assert platform.accounts.by_username("x") is None
    # a provincial admin cannot create users for another province
    other = {"username": "gd2", "password": "long-enough-pw", "roles": ["agent"], "province": "11"}
    assert client.post("/api/v1/admin/users", json=other, headers=headers).status_code == 403


def test_htmx_is_vendored_with_its_checksum() -> None:
    vendor = STATIC / "vendor"
    (script,) = vendor.glob("htmx-2.*.min.js")
    recorded = (vendor / (script.name + ".sha256")).read_text().split()
    assert recorded[1] == script.name
    assert hashlib.sha256(script.read_bytes()).hexdigest() == recorded[0]
    assert b"htmx" in script.read_bytes()[:2000]


def test_pages_load_only_local_scripts_under_a_strict_csp(platform: Platform, make_user: Any, client_for: Any) -> None:
    make_user("csp-agent", ("agent",), "44", agent=True)
    response = client_for("csp-agent").get("/agent/")
    html = response.get_data(as_text=True)
    assert "/static/vendor/htmx-2." in html and "<script>" not in html and "http://" not in html.split("<body")[1]
    assert "script-src" not in response.headers["Content-Security-Policy"]  # default-src 'self' covers scripts
    assert response.headers["X-Frame-Options"] == "DENY"


def test_ring_sound_is_the_generated_wav() -> None:
    from web import ringtone

    data = (STATIC / "ring.wav").read_bytes()
    with wave.open(io.BytesIO(data)) as w:
        assert (w.getnchannels(), w.getframerate()) == (1, ringtone.RATE)
        assert 0.9 < w.getnframes() / w.getframerate() < 1.5
        assert w.readframes(w.getnframes()) == ringtone.pcm()


def test_catalog_is_complete_and_language_switches(platform: Platform, web_app: Any, make_user: Any,
                                                    client_for: Any) -> None:
    from web.i18n import missing_keys

    assert missing_keys() == {"zh": [], "en": []}
    user = make_user("lang-sup", ("supervisor",), "44")
    client = client_for("lang-sup")
    assert "实时监控" in client.get("/supervisor/").get_data(as_text=True)
    token = csrf_token(client, "/supervisor/")
    switched = client.post("/lang", data={"lang": "en", "csrf_token": token}, headers={"Referer": "http://evil.example/"})
    assert switched.headers["Location"] == "/"  # never redirected off-site
    page = client.get("/supervisor/").get_data(as_text=True)
    assert "Wallboard" in page and 'lang="en"' in page
    assert platform.accounts.get(user.id).language == "en"
    assert client.post("/lang", data={"lang": "xx", "csrf_token": token}).status_code == 302
    assert "Wallboard" in client.get("/supervisor/").get_data(as_text=True)
    login_page = web_app.test_client().get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Log in" in login_page and "登录" not in login_page
    assert "登录" in web_app.test_client().get("/login").get_data(as_text=True)


