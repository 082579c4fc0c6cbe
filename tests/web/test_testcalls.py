"""Test calls through the node's own engine, switch and ACD (/api/v1/test-calls): a supervisor places
a call from the console's API, the ready agent gets the offer, accepts, holds, hangs up; the caller
hears the survey; the call is counted apart from real calls and left out of the agent report."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from agents.stats import day_bucket
from core.testcalls import KEY_HEADER, node_key
from hotline.platform import Platform
from tests.web.conftest import page_csrf

pytestmark = pytest.mark.usefixtures("web_app")


def _wait(fetch: Callable[[], dict], ok: Callable[[dict], bool], what: str, tries: int = 100) -> dict:
    """The wake-ups run in a worker thread after the console request: poll until they happened."""
    for _ in range(tries):
        value = fetch()
        if ok(value):
            return value
        time.sleep(0.05)
    raise AssertionError(f"{what}: last seen {value}")


@pytest.fixture
def center(platform: Platform, make_user: Any, client_for: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    pytest.importorskip("agents.wiring")
    from ivr.service import DEFAULT_FLOW

    monkeypatch.setenv("HOTLINE_DEMO_OPEN_24H", "1")  # the fake clock's hour must not matter
    platform.ivr.publish(DEFAULT_FLOW.read_text(encoding="utf-8"), "12333", by="test")
    make_user("bj-agent", ("agent",), "11", agent=True)
    make_user("trainer", ("supervisor",), "00")
    agent, sup = client_for("bj-agent"), client_for("trainer")
    ctx = {"agent": agent, "sup": sup, "agent_csrf": page_csrf(agent), "sup_csrf": page_csrf(sup)}
    assert agent.post("/api/v1/agent/ready", headers={"X-CSRFToken": ctx["agent_csrf"]}).json["state"] == "ready"
    return ctx


def _agent(ctx: dict[str, Any], path: str, **body: Any) -> Any:
    return ctx["agent"].post(path, json=body, headers={"X-CSRFToken": ctx["agent_csrf"]})


def _caller(ctx: dict[str, Any], path: str, **body: Any) -> Any:
    return ctx["sup"].post("/api/v1/test-calls" + path, json=body, headers={"X-CSRFToken": ctx["sup_csrf"]})


def test_a_test_call_reaches_the_ready_agent_and_the_caller_hears_what_the_agent_does(
        platform: Platform, center: dict[str, Any]) -> None:
    started = _caller(center, "", **{"from": "13800138000", "keys": "0 1"})
    assert started.status_code == 200, started.json
    call = started.json
    call_id = call["call_id"]
    assert call_id.startswith("test-") and call["pending"] == "hold" and call["caller"] == "138****8000"
    heard = [e["id"] for e in call["events"] if e["type"] == "prompt"]
    assert heard[:2] == ["welcome", "language_switch"] and "province_confirm" in heard

    status = center["agent"].get("/api/v1/agent/status").json
    assert status["state"] == "offered" and status["offer"]["call_id"] == call_id
    panel = _agent(center, f"/api/v1/agent/calls/{call_id}/accept")
    assert panel.status_code == 200, panel.json
    view = center["sup"].get(f"/api/v1/test-calls/{call_id}")
    call = _wait(lambda: center["sup"].get(f"/api/v1/test-calls/{call_id}").json,
                 lambda c: c["pending"] == "connect", "the caller is put through")
    assert any("坐席已接听" in e["text"] for e in call["log"])

    assert _agent(center, "/api/v1/agent/hold").status_code == 200
    _wait(lambda: center["sup"].get(f"/api/v1/test-calls/{call_id}").json,
          lambda c: any("等待音乐" in e["text"] for e in c["log"]), "the caller hears hold music")
    assert _caller(center, f"/{call_id}/say", text="您好，我想问养老金").json["log"][-1]["who"] == "caller"
    assert _agent(center, "/api/v1/agent/hangup").status_code == 200
    call = _wait(lambda: center["sup"].get(f"/api/v1/test-calls/{call_id}").json,
                 lambda c: c["pending"] == "collect", "the survey after the agent")
    assert call["prompts"][-1].startswith("请对本次服务进行评价")
    done = _caller(center, f"/{call_id}/keys", keys="1").json
    assert done["ended"] is True and done["pending"] == ""
    assert view.status_code == 200

    # counted apart: the live figures and the agent report leave the test call out
    assert _agent(center, "/api/v1/agent/wrap-up", disposition="resolved").status_code == 200
    assert platform.agents.stats("national")["offered"] == 0
    today = day_bucket(platform.clock.time())
    assert platform.agents.counters("national", today, test=True)["answered"] == 1
    now = platform.clock.now()
    assert platform.agents.handled_by_agent(now - timedelta(days=1), now + timedelta(days=1)) == []
    assert platform.agents.handled_by_agent(now - timedelta(days=1), now + timedelta(days=1),
                                            include_test=True)[0]["handled"] == 1
    assert platform.ivr.survey_report() == []  # the test caller's survey answer is left out too
    assert platform.ivr.survey_report(include_test=True)[0]["distribution"] == {"1": 1, "2": 0, "3": 0, "4": 0}
    audit = platform.audit.entries(action="testcall.start")
    assert len(audit) == 1 and audit[0].actor.startswith("user:") and "13800138000" not in str(audit[0].detail)


def test_a_local_transfer_puts_the_caller_back_in_the_queue(platform: Platform, center: dict[str, Any],
                                                            make_user: Any) -> None:
    call_id = _caller(center, "", **{"from": "13800138000", "keys": "0 1"}).json["call_id"]
    assert _agent(center, f"/api/v1/agent/calls/{call_id}/accept").status_code == 200
    _wait(lambda: center["sup"].get(f"/api/v1/test-calls/{call_id}").json,
          lambda c: c["pending"] == "connect", "the caller is put through")
    moved = _agent(center, "/api/v1/agent/transfer", province="44", note="广东参保")
    assert moved.status_code == 200, moved.json
    call = _wait(lambda: center["sup"].get(f"/api/v1/test-calls/{call_id}").json,
                 lambda c: c["pending"] == "hold" and (c["acd"] or {}).get("queue_id", "").startswith("44-"),
                 "the caller waits in Guangdong's queue")
    assert any("转接" in e["text"] for e in call["log"]) and call["acd"]["state"] == "waiting"
    hung = _caller(center, f"/{call_id}/hangup").json
    assert hung["ended"] is True and platform.agents.call_status(call_id).state == "abandoned"
    assert platform.agents.callbacks(status="pending") == []  # a test call never leaves a missed-call callback


def test_who_may_place_test_calls(platform: Platform, web_app: Any, center: dict[str, Any]) -> None:
    anonymous = web_app.test_client()
    assert anonymous.post("/api/v1/test-calls", json={}).status_code == 401
    assert anonymous.post("/api/v1/test-calls", json={}, headers={KEY_HEADER: "wrong"}).status_code == 401
    as_agent = center["agent"].post("/api/v1/test-calls", json={}, headers={"X-CSRFToken": center["agent_csrf"]})
    assert as_agent.status_code == 403
    assert center["sup"].post("/api/v1/test-calls", json={}).status_code == 400  # a session needs the CSRF token
    keyed = anonymous.post("/api/v1/test-calls", json={"keys": "h"},
                           headers={KEY_HEADER: node_key(platform.settings)})
    assert keyed.status_code == 200 and keyed.json["ended"] is True
    assert platform.audit.entries(action="testcall.start")[0].actor == "node-key"
    too_long = _caller(center, "", **{"from": "1" * 30})
    assert too_long.status_code == 400 and "20" in too_long.json["error"]
    unknown = center["sup"].get("/api/v1/test-calls/test-nope")
    assert unknown.status_code == 404
    page = center["sup"].get("/test-call")
    assert page.status_code == 200 and "测试来电" in page.get_data(as_text=True)
