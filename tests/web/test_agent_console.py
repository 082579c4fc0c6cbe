"""The agent console through its API, on the real ACD, knowledge, records, SMS and tickets services:
ready → offer → accept → screen pop → search → SMS → record look-up → wrap-up; tickets; refusals."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from hotline.platform import Platform
from tests.web.conftest import page_csrf
from tests.web.scenario import CALLER, DEMO_ID, place_call, publish_article, records_ready

pytestmark = pytest.mark.usefixtures("web_app")


@pytest.fixture
def beijing(platform: Platform, make_user: Any, client_for: Any) -> dict[str, Any]:
    """A Beijing agent (logged in), an editor and a reviewer, one published article, the demo records."""
    pytest.importorskip("agents.wiring")
    pytest.importorskip("knowledge.wiring")
    pytest.importorskip("records.wiring")
    agent = make_user("bj-agent", ("agent",), "11", agent=True)
    editor = make_user("ed", ("editor",), "00")
    reviewer = make_user("rv", ("reviewer",), "00")
    article = publish_article(platform, editor, reviewer, title="养老金领取条件",
                              short_answer="缴费满15年且达到法定退休年龄，可按月领取基本养老金。",
                              body="<p>累计缴费满15年，达到法定退休年龄。</p>",
                              questions=["养老金什么时候可以领", "领取养老金的条件"])
    records_ready(platform)
    client = client_for("bj-agent")
    return {"agent": agent, "article": article, "client": client, "csrf": page_csrf(client),
            "agent_id": platform.agents.agent_for_user(agent.id).id}


def _post(ctx: dict[str, Any], path: str, **body: Any) -> Any:
    return ctx["client"].post(path, json=body, headers={"X-CSRFToken": ctx["csrf"]})


def test_an_agent_takes_a_call_from_offer_to_wrap_up(platform: Platform, beijing: dict[str, Any]) -> None:
    client = beijing["client"]
    assert client.get("/api/v1/agent/status").json["state"] == "logged_out"
    ready = _post(beijing, "/api/v1/agent/ready")
    assert ready.status_code == 200 and ready.json["state"] == "ready"

    call_id = place_call(platform, province="11")
    status = client.get("/api/v1/agent/status").json
    assert status["state"] == "offered" and status["offer"]["call_id"] == call_id
    assert status["offer"]["caller_masked"] == "138****8000"

    panel = _post(beijing, f"/api/v1/agent/calls/{call_id}/accept")
    assert panel.status_code == 200, panel.json
    data = panel.json
    assert data["caller_masked"] == "138****8000" and CALLER not in str(data)
    assert data["caller_location"].startswith("北京")
    assert data["verified"] is True and data["verified_id_masked"] == "110105********002X"
    assert data["province"] == "11" and data["routing_reasons"]
    assert data["ivr_path"] == ["welcome", "menu:1", "pension"]

    found = client.get("/api/v1/kb/search", query_string={"q": "养老金什么时候可以领", "province": "11",
                                                          "call_id": call_id}).json
    assert found["hits"] and found["hits"][0]["article_id"] == beijing["article"]
    assert found["hits"][0]["sms_parts"] >= 1

    sent = _post(beijing, "/api/v1/kb/sms", article_id=beijing["article"], call_id=call_id)
    assert sent.status_code == 200, sent.json
    assert sent.json["to"] == "138****8000" and sent.json["parts"] == found["hits"][0]["sms_parts"]
    assert platform.sms.status(sent.json["outbox_id"]) is not None

    record = _post(beijing, "/api/v1/records/lookup", call_id=call_id)
    assert record.status_code == 200 and record.json["status"] == "ok", record.json
    assert record.json["subject"] == "110105********002X"
    lookups = platform.audit.entries(action="record.lookup", subject=DEMO_ID)
    assert lookups and lookups[0].outcome == "ok" and lookups[0].session_id == call_id

    wrapped = _post(beijing, "/api/v1/agent/wrap-up", disposition="sms_sent", notes="已短信告知")
    assert wrapped.status_code == 200, wrapped.json
    assert wrapped.json["state"] == "ready" and wrapped.json["today"]["sms_sent"] == 1
    assert platform.agents.call_status(call_id).state == "ended"



def test_the_call_panel_shows_the_ivr_path_readably(platform: Platform, beijing: dict[str, Any]) -> None:
    from agents.domain import QueuedCall

    client = beijing["client"]
    _post(beijing, "/api/v1/agent/ready")
    path = ["welcome", "hours_check", "main_menu", "topic_pension", "pension_menu", "kb_pension_transfer",
            "main_menu:timeout", "retired_node"]
    platform.agents.enqueue(QueuedCall(call_id="t-path", queue_id="11-pension", center_code="11", topic="pension",
                                       caller=CALLER, language="zh",
                                       context={"ivr_path": path, "entry": "12333", "inputs": ["1", "1"]}))
    data = _post(beijing, "/api/v1/agent/calls/t-path/accept").json
    assert data["ivr_path"] == path  # the API keeps the ids
    assert data["ivr_path_labels"] == ["欢迎语", "服务时间判断", "主菜单", "养老保险", "养老保险菜单",
                                       "养老保险关系转移", "主菜单 timeout", "retired_node"]
    html = client.get("/api/v1/agent/calls/t-path", headers={"HX-Request": "true"}).get_data(as_text=True)
    shown = re.search(r'<dd id="call-ivr-path" title="([^"]*)">([^<]*)', html)
    assert shown is not None and shown.group(1).startswith("welcome › hours_check")  # the ids on hover
    assert shown.group(2).startswith("欢迎语 › 服务时间判断 › 主菜单 › 养老保险")
    client.post("/lang", data={"lang": "en", "csrf_token": beijing["csrf"]})
    english = client.get("/api/v1/agent/calls/t-path").json
    assert english["ivr_path"] == path
    assert english["ivr_path_labels"][:3] == ["Welcome", "Opening hours check", "Main menu"]
    assert english["ivr_path_labels"][-1] == "retired_node"


def test_decline_hold_and_refusals(platform: Platform, beijing: dict[str, Any]) -> None:
    _post(beijing, "/api/v1/agent/ready")
    call_id = place_call(platform, province="11", verify=False)
    declined = _post(beijing, f"/api/v1/agent/calls/{call_id}/decline")
    assert declined.json["state"] == "not_ready" and declined.json["reason"] == "declined"
    assert platform.agents.call_status(call_id).state == "waiting"

    # a call that is not mine: no screen pop, no look-up without a reason
    assert beijing["client"].get(f"/api/v1/agent/calls/{call_id}").status_code == 403
    _post(beijing, "/api/v1/agent/ready")
    assert _post(beijing, f"/api/v1/agent/calls/{call_id}/accept").status_code == 200
    assert _post(beijing, "/api/v1/agent/hold").status_code == 200
    assert _post(beijing, "/api/v1/agent/hold").status_code == 409  # already held: a clear refusal
    assert _post(beijing, "/api/v1/agent/resume").status_code == 200
    unverified = _post(beijing, "/api/v1/records/lookup", call_id=call_id)
    assert unverified.status_code == 422 and "理由" in unverified.json["error"]
    bad = _post(beijing, "/api/v1/agent/wrap-up", disposition="made-up")
    assert bad.status_code == 400 and "disposition" in bad.json["error"]


def test_tickets_open_follow_and_close(platform: Platform, beijing: dict[str, Any]) -> None:
    from tickets.models import Ticket

    _post(beijing, "/api/v1/agent/ready")
    call_id = place_call(platform, province="11")
    _post(beijing, f"/api/v1/agent/calls/{call_id}/accept")
    opened = _post(beijing, "/api/v1/tickets", subject="养老金待遇核对", details="来电人对待遇有疑问", call_id=call_id)
    assert opened.status_code == 200, opened.json
    ticket = opened.json["ticket"]
    assert ticket["caller"] == "138****8000" and ticket["province"] == "11"
    assert ticket["due_date"] > platform.clock.now().date().isoformat()
    with platform.db.session() as s:
        assert s.execute(select(Ticket.caller).where(Ticket.id == ticket["id"])).scalar_one() == CALLER

    mine = beijing["client"].get("/api/v1/tickets", query_string={"list": "mine"}).json["tickets"]
    assert [t["id"] for t in mine] == [ticket["id"]]
    center = beijing["client"].get("/api/v1/tickets", query_string={"list": "center"}).json["tickets"]
    assert ticket["id"] in [t["id"] for t in center]
    assert beijing["client"].get("/api/v1/tickets", query_string={"list": "overdue"}).json["tickets"] == []
    assert _post(beijing, f"/api/v1/tickets/{ticket['id']}/comment", text="已联系经办机构").status_code == 200
    closed = _post(beijing, f"/api/v1/tickets/{ticket['id']}/close", resolution="已答复")
    assert closed.json["status"] == "closed"
    assert [e["kind"] for e in closed.json["history"]][:1] == ["opened"]
    assert _post(beijing, "/api/v1/tickets", subject="x").status_code == 422  # no caller, no call


def test_the_console_page_renders_the_status_bar_and_offer(platform: Platform, beijing: dict[str, Any]) -> None:
    client = beijing["client"]
    page = client.get("/agent/").get_data(as_text=True)
    assert 'data-live="/api/v1/events"' in page and "ring.wav" in page
    _post(beijing, "/api/v1/agent/ready")
    call_id = place_call(platform, province="11")
    fragment = client.get("/api/v1/agent/status", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'id="btn-accept"' in fragment and call_id in fragment and "138****8000" in fragment
    accepted = client.post(f"/api/v1/agent/calls/{call_id}/accept",
                           headers={"HX-Request": "true", "X-CSRFToken": beijing["csrf"]}).get_data(as_text=True)
    assert 'id="call-panel"' in accepted and CALLER not in accepted and "北京" in accepted


def test_transfer_callback_and_flag(platform: Platform, beijing: dict[str, Any], make_user: Any,
                                    client_for: Any) -> None:
    _post(beijing, "/api/v1/agent/ready")
    call_id = place_call(platform, province="11")
    _post(beijing, f"/api/v1/agent/calls/{call_id}/accept")

    callback = _post(beijing, "/api/v1/agent/callback", call_id=call_id, when="2026-11-25T15:00", note="核对缴费")
    assert callback.status_code == 200, callback.json
    assert callback.json["ticket"]["caller"] == "138****8000" and callback.json["ticket"]["due_date"] == "2026-11-25"
    assert any(m.get("template") == "callback_scheduled" for m in platform.sms.recent(5))

    flagged = _post(beijing, "/api/v1/kb/flag", article_id=beijing["article"], reason="outdated", note="标准已调整")
    assert flagged.status_code == 200
    assert [f.reason for f in platform.knowledge.flags(article_id=beijing["article"])] == ["outdated"]
    assert _post(beijing, "/api/v1/kb/flag", article_id=beijing["article"], reason="boring").status_code == 400

    assert _post(beijing, "/api/v1/agent/transfer", province="99").status_code == 422
    moved = _post(beijing, "/api/v1/agent/transfer", province="44", topic="pension", note="参保地在广东")
    assert moved.status_code == 200, moved.json
    status = platform.agents.call_status(call_id)
    assert (status.state, status.queue_id) == ("waiting", "44-pension")
    assert beijing["client"].get("/api/v1/agent/status").json["state"] == "wrap_up"

    make_user("gd-agent", ("agent",), "44", agent=True)
    gd = client_for("gd-agent")
    gd_csrf = page_csrf(gd)
    gd.post("/api/v1/agent/ready", headers={"X-CSRFToken": gd_csrf})
    panel = gd.post(f"/api/v1/agent/calls/{call_id}/accept", headers={"X-CSRFToken": gd_csrf})
    assert panel.status_code == 200, panel.json
    assert panel.json["province"] == "44" and panel.json["journey"] == ["11-pension", "44-pension"]
    assert panel.json["notes"][0]["text"] == "参保地在广东"


def test_tickets_are_taken_or_assigned_within_each_agents_limit(platform: Platform, beijing: dict[str, Any],
                                                                 make_user: Any, client_for: Any) -> None:
    """The task channel's concurrency in the console: an agent takes a ticket, a supervisor assigns one
    from a picker showing each agent's load; past the profile's `max_tickets` the assignment is refused."""
    make_user("bj-sup", ("supervisor",), "11")
    other = make_user("bj-agent2", ("agent",), "11", agent=True)
    platform.agents.update_agent(beijing["agent_id"], max_tickets=1)
    first = _post(beijing, "/api/v1/tickets", subject="养老金待遇核对", details="待核对", caller="13800138000").json
    second = _post(beijing, "/api/v1/tickets", subject="缴费记录更正", details="待核对", caller="13800138000").json
    taken = _post(beijing, f"/api/v1/tickets/{first['ticket']['id']}/assign")
    assert taken.status_code == 200 and taken.json["assignee_name"] == "bj-agent"
    assert taken.json["assignees"] is None  # agents see no picker
    full = _post(beijing, f"/api/v1/tickets/{second['ticket']['id']}/assign")
    assert full.status_code == 422 and "上限 1" in full.json["error"]
    forbidden = _post(beijing, f"/api/v1/tickets/{second['ticket']['id']}/assign", assignee_id=other.id)
    assert forbidden.status_code == 403  # only supervisors give tickets to others

    sup = client_for("bj-sup")
    csrf = page_csrf(sup)
    html = sup.get(f"/api/v1/tickets/{second['ticket']['id']}", headers={"HX-Request": "true"}).get_data(as_text=True)
    picker = re.search(r'<select name="assignee_id".*?</select>', html, re.S).group(0)
    assert re.search(r'<option value="\d+" disabled>bj-agent \(bj-agent\) 1/1</option>', picker)
    assert "bj-agent2 (bj-agent2) 0/10" in picker
    given = sup.post(f"/api/v1/tickets/{second['ticket']['id']}/assign", json={"assignee_id": other.id},
                     headers={"X-CSRFToken": csrf})
    assert given.status_code == 200 and given.json["assignee_id"] == other.id
    refused = sup.post(f"/api/v1/tickets/{second['ticket']['id']}/assign", json={"assignee_id": beijing["agent"].id},
                       headers={"X-CSRFToken": csrf})
    assert refused.status_code == 422 and platform.tickets.get(beijing["agent"], second["ticket"]["id"]).assignee_id \
        == other.id
