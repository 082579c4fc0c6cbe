"""The permission matrix: every declared endpoint × every role × inside and outside the province
scope (plus anonymous). The expectations come from the same registry the checks use, so this test
proves the checks do what each endpoint declares, and that nothing is left undeclared."""

from __future__ import annotations

import re
from typing import Any

import pytest

from hotline.platform import Platform
from sms.events import SmsSent
from tests.web.conftest import HOME_PROVINCE, OTHER_PROVINCE, ROLES
from web.permissions import EndpointSpec, registry_of

# Blueprints other engineers own; they authenticate by signature, not by console roles.
FOREIGN_BLUEPRINTS = ("webhooks", "twilio", "handoff", "speech")  # speech: signed audio URLs


def _owned_rules(app: Any) -> list[Any]:
    return [r for r in app.url_map.iter_rules()
            if r.endpoint != "static" and r.endpoint.split(".")[0] not in FOREIGN_BLUEPRINTS]


def test_every_console_endpoint_declares_its_permission(web_app: Any) -> None:
    registry = registry_of(web_app)
    undeclared = [r.endpoint for r in _owned_rules(web_app) if r.endpoint not in registry]
    assert undeclared == []
    assert len(registry) >= 60
    public = sorted(e for e, s in registry.items() if s.public and e.split(".")[0] not in FOREIGN_BLUEPRINTS)
    assert public == ["api.openapi", "auth.healthz", "auth.home", "auth.login", "auth.logout", "auth.set_language"]


def _request(client: Any, spec: EndpointSpec, method: str, province: str) -> Any:
    """Call an endpoint with dummy path values and the scope parameter set to `province`."""
    path = spec.rule
    for conv, name in re.findall(r"<(?:(\w+):)?(\w+)>", spec.rule):
        scoped = spec.scope_example(province) if spec.scope_example else province
        value = scoped if name == spec.scope else ("999999" if conv == "int" else "zz-none")
        path = re.sub(rf"<(?:\w+:)?{name}>", value, path)
    args: dict[str, Any] = {}
    if spec.scope and f"<{spec.scope}>" not in spec.rule and f":{spec.scope}>" not in spec.rule:
        args[spec.scope] = province
    if method == "GET":
        response = client.get(path, query_string=args)
    elif path.startswith("/api/"):
        response = client.open(path, method=method, json=args)
    else:
        response = client.open(path, method=method, data=args)
    status = response.status_code
    response.close()  # ends an event stream at once
    return status


@pytest.fixture
def matrix_clients(web_app: Any, make_user: Any, client_for: Any) -> dict[str, Any]:
    web_app.config["WTF_CSRF_ENABLED"] = False  # CSRF has its own tests; this one is about roles
    clients: dict[str, Any] = {"anonymous": web_app.test_client()}
    for role in ROLES:
        make_user(f"m-{role}", (role,), HOME_PROVINCE, agent=role == "agent")
        clients[role] = client_for(f"m-{role}")
    return clients


def test_permission_matrix(web_app: Any, matrix_clients: dict[str, Any]) -> None:
    registry = registry_of(web_app)
    failures: list[str] = []
    checked = 0
    for spec in sorted(registry.values(), key=lambda s: s.endpoint):
        if spec.public or spec.endpoint.split(".")[0] in FOREIGN_BLUEPRINTS:
            continue
        for method in spec.methods:
            for who, client in matrix_clients.items():
                for where, province in (("inside", HOME_PROVINCE), ("outside", OTHER_PROVINCE)):
                    status = _request(client, spec, method, province)
                    checked += 1
                    if who == "anonymous":
                        expected_ok = status in (401, 302)
                        expectation = "401/302"
                    elif spec.roles and who not in spec.roles:
                        expected_ok, expectation = status == 403, "403 (role)"
                    elif spec.national:  # every matrix user is provincial
                        expected_ok, expectation = status == 403, "403 (national resource)"
                    elif spec.scope and where == "outside":
                        expected_ok, expectation = status == 403, "403 (scope)"
                    else:
                        expected_ok, expectation = status not in (401, 403) and status < 500, "allowed, no error"
                    if not expected_ok:
                        failures.append(f"{method} {spec.rule} as {who} {where}: {status}, expected {expectation}")
    assert failures == [], "\n".join(failures)
    assert checked >= 60 * 6 * 2


def test_a_national_user_passes_every_scope(web_app: Any, make_user: Any, client_for: Any) -> None:
    web_app.config["WTF_CSRF_ENABLED"] = False
    make_user("nat-sup", ("supervisor",), "00")
    client = client_for("nat-sup")
    for province in (HOME_PROVINCE, OTHER_PROVINCE, "00"):
        assert client.get("/api/v1/supervisor/wallboard", query_string={"province": province}).status_code == 200


def test_national_resources_are_for_national_admins_only(web_app: Any, make_user: Any, client_for: Any,
                                                         platform: Platform) -> None:
    """Item 2: a provincial admin neither reads nor changes national flows and SMS templates."""
    web_app.config["WTF_CSRF_ENABLED"] = False
    registry = registry_of(web_app)
    assert registry["api.admin_sms_templates"].national and registry["api.admin_save_sms_template"].national
    make_user("adm-gd", ("admin",), HOME_PROVINCE)
    make_user("adm-nat", ("admin",), "00")
    gd, nat = client_for("adm-gd"), client_for("adm-nat")
    source = platform.ivr.flows.source("12333") if platform.ivr.flows.source("12333") else None
    for path, body in (("/api/v1/admin/flows/12333/rollback", {}),
                       ("/api/v1/admin/flows/12333/publish", {"text": source or "x"}),
                       ("/api/v1/admin/sms-templates/verification_code", {"text": "hacked {code}"})):
        assert gd.post(path, json=body).status_code == 403, path
    assert gd.get("/api/v1/admin/sms-templates").status_code == 403
    assert all(f["entry"] != "12333" for f in gd.get("/api/v1/admin/flows").get_json()["flows"])
    assert nat.get("/api/v1/admin/sms-templates").status_code == 200
    # a provincial entry number is the province's own
    assert gd.post(f"/api/v1/admin/flows/12333-{HOME_PROVINCE}/rollback", json={}).status_code not in (401, 403)
    assert gd.post(f"/api/v1/admin/flows/12333-{OTHER_PROVINCE}/rollback", json={}).status_code == 403


def _editorial(platform: Platform, make_user: Any, client_for: Any, web_app: Any) -> dict[str, Any]:
    from tests.web.scenario import publish_article

    web_app.config["WTF_CSRF_ENABLED"] = False
    editor_nat, reviewer_nat = make_user("ed-nat", ("editor",), "00"), make_user("rv-nat", ("reviewer",), "00")
    make_user("ed-gd", ("editor",), HOME_PROVINCE)
    make_user("rv-gd", ("reviewer",), HOME_PROVINCE)
    national = publish_article(platform, editor_nat, reviewer_nat, title="养老金领取条件", short_answer="满15年。",
                               body="<p>x</p>", questions=["养老金什么时候领"])
    return {"national_article": national, "ed-nat": client_for("ed-nat"), "rv-nat": client_for("rv-nat"),
            "ed-gd": client_for("ed-gd"), "rv-gd": client_for("rv-gd")}


def test_provincial_editors_cannot_touch_national_notices_or_flags(web_app: Any, make_user: Any, client_for: Any,
                                                                   platform: Platform) -> None:
    """Item 9: withdrawing a notice and resolving a flag follow the same province scope as editing."""
    ctx = _editorial(platform, make_user, client_for, web_app)
    national = ctx["ed-nat"].post("/api/v1/kb/notices", json={"title": "全国通知", "body": "x", "province": "00"})
    notice_id = national.get_json()["notices"][0]["id"]
    assert ctx["ed-gd"].post(f"/api/v1/kb/notices/{notice_id}/withdraw").status_code == 403
    own = ctx["ed-gd"].post("/api/v1/kb/notices", json={"title": "广东通知", "body": "x", "province": HOME_PROVINCE})
    own_id = next(n["id"] for n in own.get_json()["notices"] if n["title"] == "广东通知")
    assert ctx["ed-gd"].post(f"/api/v1/kb/notices/{own_id}/withdraw").status_code == 200
    platform.knowledge.flag(ctx["national_article"], 1, "outdated", "过时")
    flag_id = platform.knowledge.flags()[0].id
    assert ctx["ed-gd"].post(f"/api/v1/kb/flags/{flag_id}/resolve", json={"resolution": "改了"}).status_code == 403
    assert platform.knowledge.flags()[0].resolved_at is None
    assert ctx["ed-nat"].post(f"/api/v1/kb/flags/{flag_id}/resolve", json={"resolution": "改了"}).status_code == 200


def test_notices_follow_four_eyes_review(web_app: Any, make_user: Any, client_for: Any, platform: Platform) -> None:
    """Item 10: one editor alone cannot publish a notice; a reviewer approves it (not their own), in
    scope; an urgent notice by a reviewer goes live at once and is audited."""
    ctx = _editorial(platform, make_user, client_for, web_app)
    posted = ctx["ed-gd"].post("/api/v1/kb/notices", json={"title": "停机", "body": "x", "province": HOME_PROVINCE})
    notice = posted.get_json()["notices"][0]
    assert notice["status"] == "pending" and platform.knowledge.notices(HOME_PROVINCE) == []
    assert ctx["ed-gd"].post(f"/api/v1/kb/notices/{notice['id']}/approve").status_code == 403  # role
    other = make_user("rv-sc", ("reviewer",), OTHER_PROVINCE)
    assert other and client_for("rv-sc").post(f"/api/v1/kb/notices/{notice['id']}/approve").status_code == 403
    assert ctx["rv-gd"].post(f"/api/v1/kb/notices/{notice['id']}/approve").status_code == 200
    assert [n.title for n in platform.knowledge.notices(HOME_PROVINCE)] == ["停机"]
    # an editor cannot self-declare urgency; a reviewer can, audited
    assert ctx["ed-gd"].post("/api/v1/kb/notices", json={"title": "急", "body": "x", "urgent": True}).status_code == 403
    urgent = ctx["rv-nat"].post("/api/v1/kb/notices", json={"title": "台风停办", "body": "x", "urgent": True,
                                                            "province": "00"})
    assert urgent.status_code == 200 and "台风停办" in [n.title for n in platform.knowledge.notices("00")]
    assert platform.audit.entries(action="kb.notice_urgent")[0].outcome == "ok"
    # the author of a pending notice who is also a reviewer cannot approve it
    both = make_user("ed-rv", ("editor", "reviewer"), "00")
    mine = client_for("ed-rv").post("/api/v1/kb/notices", json={"title": "自审", "body": "x", "province": "00"})
    mine_id = next(n["id"] for n in mine.get_json()["notices"] if n["title"] == "自审")
    assert both and client_for("ed-rv").post(f"/api/v1/kb/notices/{mine_id}/approve").status_code == 403


def test_live_events_stay_in_their_province(platform: Platform, web_app: Any, make_user: Any) -> None:
    """Item 11: every call, ACD and SMS event a province's call raises is visible to that province's
    supervisors and national roles only; an event with no scope goes to national roles only."""
    from core.events import Event
    from tests.web.scenario import place_call
    from web.sse import Viewer, visible

    pytest.importorskip("agents.wiring")
    from core.topics import TOPICS

    user = make_user("ev-agent", ("agent",), OTHER_PROVINCE)
    agent_id = platform.agents.create_agent(user.id, name="ev", center_code=OTHER_PROVINCE, skills=tuple(TOPICS))
    seen: list[Event] = []
    sub = platform.bus.subscribe(seen.append)
    try:
        platform.agents.login(agent_id)
        platform.agents.set_ready(agent_id)
        place_call(platform, province=OTHER_PROVINCE, verify=False)
        platform.bus.emit(SmsSent(id=1, provider="log", provider_message_id=None))  # no scope at all
    finally:
        sub.close()
    families = {e.type.split(".")[0] + "." + e.type.split(".")[1] for e in seen if e.type.count(".") >= 1}
    assert any(t.startswith("acd.call") for t in families) and any(t.startswith("acd.agent") for t in families)
    stranger = Viewer(user_id=1, roles=frozenset({"supervisor"}), province_scope=HOME_PROVINCE)
    local = Viewer(user_id=2, roles=frozenset({"supervisor"}), province_scope=OTHER_PROVINCE)
    national = Viewer(user_id=3, roles=frozenset({"supervisor"}), province_scope="00")
    leaked = [e.type for e in seen if visible(stranger, e) is not None]
    assert leaked == []
    assert any(visible(local, e) is not None for e in seen if e.type.startswith("acd."))
    assert [e.type for e in seen if e.type == "sms.sent" and visible(national, e) is not None] == ["sms.sent"]
    assert all(visible(local, e) is None for e in seen if e.type == "sms.sent")
    # the agent sees the offer it is given
    own = Viewer(user_id=user.id, roles=frozenset({"agent"}), province_scope=OTHER_PROVINCE, agent_id=agent_id)
    assert any(visible(own, e) is not None for e in seen if e.type == "acd.call.offered")
