"""Weekly opening hours per center, edited in the admin console: parsed, validated with a clear
message, saved through the switch, audited with the hours before."""

from __future__ import annotations

from typing import Any

import pytest

from hotline.platform import Platform
from tests.web.conftest import page_csrf

pytestmark = pytest.mark.usefixtures("web_app")


def test_an_admin_edits_a_centers_weekly_hours(platform: Platform, make_user: Any, client_for: Any) -> None:
    make_user("adm", ("admin",), "00")
    admin = client_for("adm")
    csrf = page_csrf(admin)
    page = admin.get("/api/v1/admin/centers", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'data-center="44"' in page and "08:30-12:00,13:00-17:30" in page and "修改人工服务时间" in page
    days = {"mon": "08:00-12:00，14:00-18:00", "tue": "08:00-18:00", "wed": "08:00-18:00", "thu": "08:00-18:00",
            "fri": "08:00-18:00", "sat": "09:00-12:00", "sun": ""}
    saved = admin.post("/api/v1/admin/centers/44/hours", json=days, headers={"X-CSRFToken": csrf})
    assert saved.status_code == 200, saved.json
    hours = platform.switch.center("44").weekly_hours
    assert hours["mon"] == [["08:00", "12:00"], ["14:00", "18:00"]] and hours["sat"] == [["09:00", "12:00"]]
    assert hours["sun"] == []
    audit = platform.audit.entries(action="center.hours")[0]
    assert audit.detail["before"]["mon"] == [["08:30", "12:00"], ["13:00", "17:30"]]

    for bad, words in (({"mon": "8-12"}, "08:30-12:00"), ({"mon": "12:00-08:00"}, "晚于"),
                       ({"mon": "08:00-12:00,11:00-13:00"}, "重叠")):
        refused = admin.post("/api/v1/admin/centers/44/hours", json=bad, headers={"X-CSRFToken": csrf})
        assert refused.status_code == 422 and words in refused.json["error"]
    assert platform.switch.center("44").weekly_hours == hours  # a refused change changes nothing


def test_the_user_list_is_searched_filtered_and_paged(platform: Platform, make_user: Any, client_for: Any) -> None:
    make_user("adm", ("admin",), "00")
    for n in range(30):
        make_user(f"bj-agent-{n:02d}", ("agent",), "11")
    make_user("gd-sup", ("supervisor",), "44")
    admin = client_for("adm")
    first = admin.get("/api/v1/admin/users").json
    assert first["total"] == 32 and first["pages"] == 2 and len(first["users"]) == 25
    second = admin.get("/api/v1/admin/users", query_string={"page": 2}).json
    assert len(second["users"]) == 7 and not {u["username"] for u in first["users"]} & \
        {u["username"] for u in second["users"]}
    found = admin.get("/api/v1/admin/users", query_string={"q": "agent-07"}).json
    assert [u["username"] for u in found["users"]] == ["bj-agent-07"]
    sups = admin.get("/api/v1/admin/users", query_string={"role": "supervisor", "province": "44"}).json
    assert [u["username"] for u in sups["users"]] == ["gd-sup"]
    html = admin.get("/api/v1/admin/users", query_string={"role": "agent"},
                     headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "共 30 个用户" in html and 'id="user-next"' in html
    page = admin.get("/admin/").get_data(as_text=True)
    assert 'id="user-filter"' in page and 'id="user-q"' in page


def test_an_admin_gives_a_new_agent_a_profile_and_edits_it(platform: Platform, make_user: Any, client_for: Any) -> None:
    make_user("adm", ("admin",), "00")
    newbie = make_user("new-agent", ("agent",), "44")
    admin = client_for("adm")
    csrf = page_csrf(admin)
    page = admin.get("/api/v1/admin/agents", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'id="agent-create"' in page and "new-agent" in page
    created = admin.post("/api/v1/admin/agents", json={"user_id": newbie.id, "center_code": "44",
                                                        "skills": ["general", "pension"]},
                         headers={"X-CSRFToken": csrf})
    assert created.status_code == 200, created.json
    agent_id = created.json["agent_id"]
    changed = admin.post(f"/api/v1/admin/agents/{agent_id}",
                         json={"skills": ["medical"], "languages": ["zh", "yue"], "level": 2,
                               "endpoint": "client:new-agent"}, headers={"X-CSRFToken": csrf})
    assert changed.status_code == 200, changed.json
    profile = platform.agents.profile(agent_id)
    assert (profile.skills, profile.languages, profile.level, profile.endpoint) == \
        (("medical",), ("zh", "yue"), 2, "client:new-agent")
    assert platform.audit.entries(action="agent.update")[0].detail["before"]["skills"] == ["general", "pension"]
    for bad in ({"endpoint": "PJSIP/x\r\nAction: Hangup"}, {"skills": ["astrology"]}, {"level": 7},
                {"max_tickets": 0}, {"max_tickets": 51}):
        assert admin.post(f"/api/v1/admin/agents/{agent_id}", json=bad,
                          headers={"X-CSRFToken": csrf}).status_code == 422
    assert platform.agents.profile(agent_id).endpoint == "client:new-agent"
    listed = admin.get("/api/v1/admin/agents", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert f'data-agent="{agent_id}"' in listed and "粤语" in listed
    # an Asterisk softphone besides the Twilio browser phone; the form sends the field empty to clear it
    two = admin.post(f"/api/v1/admin/agents/{agent_id}", data={"endpoint_asterisk": "PJSIP/new-agent",
                                                               "endpoint_twilio": ""}, headers={"X-CSRFToken": csrf})
    assert two.status_code == 200, two.json
    assert platform.agents.profile(agent_id).endpoints == {"asterisk": "PJSIP/new-agent"}
    assert platform.audit.entries(action="agent.update")[0].detail["after"]["endpoints"] == \
        {"asterisk": "PJSIP/new-agent"}
    assert "PJSIP/new-agent" in admin.get("/api/v1/admin/agents", headers={"HX-Request": "true"}).get_data(
        as_text=True)
    assert admin.post(f"/api/v1/admin/agents/{agent_id}", json={"endpoint_asterisk": "client:x"},
                      headers={"X-CSRFToken": csrf}).status_code == 400  # not an Asterisk endpoint
    cleared = admin.post(f"/api/v1/admin/agents/{agent_id}", data={"endpoint_asterisk": ""},
                         headers={"X-CSRFToken": csrf})
    assert cleared.status_code == 200 and platform.agents.profile(agent_id).endpoints == {}
    # max concurrent: voice is one call; the work orders at once are the agent's own (audited, listed)
    assert platform.agents.profile(agent_id).max_tickets == 10
    limited = admin.post(f"/api/v1/admin/agents/{agent_id}", data={"max_tickets": "4"}, headers={"X-CSRFToken": csrf})
    assert limited.status_code == 200 and platform.agents.profile(agent_id).max_tickets == 4
    assert platform.audit.entries(action="agent.update")[0].detail["before"]["max_tickets"] == 10
    row = admin.get("/api/v1/admin/agents", headers={"HX-Request": "true"}).get_data(as_text=True)
    row = row[row.index(f'data-agent="{agent_id}"'):]
    assert 'name="max_tickets" type="number" min="1" max="50" value="4"' in row and "语音 1 通（固定）" in row


def test_the_audit_viewer_filters_and_masks(platform: Platform, make_user: Any, client_for: Any) -> None:
    admin_user = make_user("adm", ("admin",), "00")
    platform.audit.record(actor="agent:3", channel="console", action="record.lookup", outcome="ok",
                          subject="11010519491231002X", detail={"caller": "13800138000"})
    platform.audit.record(actor=f"user:{admin_user.id}", channel="console", action="user.update", outcome="ok",
                          subject="user:9", detail={"roles": ["agent"]})
    admin = client_for("adm")
    lookups = admin.get("/api/v1/admin/audit", query_string={"action": "record."}).json["entries"]
    assert [e["action"] for e in lookups] == ["record.lookup"]
    assert lookups[0]["subject"] == "110105********002X" and "13800138000" not in lookups[0]["detail"]
    mine = admin.get("/api/v1/admin/audit", query_string={"actor": f"user:{admin_user.id}",
                                                          "action": "user."}).json["entries"]
    assert [(e["action"], e["subject"]) for e in mine] == [("user.update", "user:9")]
    html = admin.get("/api/v1/admin/audit", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'id="audit-list"' in html and "11010519491231002X" not in html
    assert admin.get("/api/v1/admin/audit", query_string={"actor": "x" * 101}).status_code == 422
