"""The supervisor's per-queue live view: the calls waiting in service order (wait, priority, masked
caller, IVR path), and moving or prioritising one, within the supervisor's province, audited."""

from __future__ import annotations

from typing import Any

import pytest

from hotline.platform import Platform
from tests.web.conftest import page_csrf
from tests.web.scenario import place_call

pytestmark = pytest.mark.usefixtures("web_app")


def test_waiting_calls_can_be_prioritised_and_moved(platform: Platform, make_user: Any, client_for: Any) -> None:
    pytest.importorskip("agents.wiring")
    make_user("sup-gd", ("supervisor",), "44")
    sup = client_for("sup-gd")
    csrf = page_csrf(sup)
    first = place_call(platform, province="44", caller="13800138000", verify=False)
    platform.clock.advance(20)
    second = place_call(platform, province="44", caller="13911112222", verify=False)
    beijing = place_call(platform, province="11", caller="13700001111", verify=False)

    view = sup.get("/api/v1/supervisor/waiting").json
    pension = next(q for q in view["queues"] if q["queue_id"] == "44-pension")
    assert [c["call_id"] for c in pension["calls"]] == [first, second]
    assert pension["calls"][0]["waited"] == 20 and pension["calls"][0]["caller_masked"] == "138****8000"
    assert pension["calls"][0]["ivr_path"] == ["welcome", "menu:1", "pension"]
    assert beijing not in str(view)  # another province's queue is not shown

    raised = sup.post(f"/api/v1/supervisor/calls/{second}/priority", json={"priority": 3},
                      headers={"X-CSRFToken": csrf})
    assert raised.status_code == 200, raised.json
    pension = next(q for q in sup.get("/api/v1/supervisor/waiting").json["queues"] if q["queue_id"] == "44-pension")
    assert [c["call_id"] for c in pension["calls"]] == [second, first] and pension["calls"][0]["priority"] == 3

    moved = sup.post(f"/api/v1/supervisor/calls/{first}/move", json={"queue_id": "44-medical"},
                     headers={"X-CSRFToken": csrf})
    assert moved.status_code == 200, moved.json
    assert platform.agents.call_status(first).queue_id == "44-medical"
    assert sup.post(f"/api/v1/supervisor/calls/{first}/move", json={"queue_id": "11-general"},
                    headers={"X-CSRFToken": csrf}).status_code == 403
    assert sup.post(f"/api/v1/supervisor/calls/{beijing}/priority", json={"priority": 5},
                    headers={"X-CSRFToken": csrf}).status_code == 403
    assert len(platform.audit.entries(action="acd.prioritise")) == 1
    assert platform.audit.entries(action="acd.move")[0].detail == {"from": "44-pension", "to": "44-medical"}

    html = sup.get("/api/v1/supervisor/waiting", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "139****2222" in html and "13911112222" not in html and 'class="prioritise"' in html


def test_listen_whisper_barge_from_the_wallboard(platform: Platform, make_user: Any, client_for: Any) -> None:
    pytest.importorskip("agents.wiring")
    make_user("sup-bj", ("supervisor",), "11")
    agent = make_user("bj-agent", ("agent",), "11", agent=True)
    agent_id = platform.agents.agent_for_user(agent.id).id
    platform.agents.login(agent_id)
    platform.agents.set_ready(agent_id)
    call_id = place_call(platform, province="11")
    platform.agents.accept(agent_id, call_id)
    sup = client_for("sup-bj")
    csrf = page_csrf(sup)
    seen: list[Any] = []
    platform.bus.subscribe(seen.append, ("supervisor.monitor",))

    no_pbx = sup.post(f"/api/v1/supervisor/calls/{call_id}/monitor", json={"mode": "listen", "endpoint": "PJSIP/s1"},
                      headers={"X-CSRFToken": csrf})
    assert no_pbx.status_code == 422 and "HOTLINE_AMI_HOST" in no_pbx.json["error"] and seen == []

    extra = {**platform.settings.extra, "ami_host": "127.0.0.1"}  # HOTLINE_AMI_HOST
    platform.settings = platform.settings.model_copy(update={"extra": extra})
    board = sup.get("/api/v1/supervisor/wallboard", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "monitor-whisper" in board and "耳语" in board
    bad = sup.post(f"/api/v1/supervisor/calls/{call_id}/monitor",
                   json={"mode": "barge", "endpoint": "PJSIP/s1\r\nAction: Hangup"}, headers={"X-CSRFToken": csrf})
    assert bad.status_code == 400 and seen == []  # nothing that could smuggle an AMI header
    ok = sup.post(f"/api/v1/supervisor/calls/{call_id}/monitor", json={"mode": "whisper", "endpoint": "PJSIP/sup-1"},
                  headers={"X-CSRFToken": csrf})
    assert ok.status_code == 200, ok.json
    assert [(e.data["mode"], e.data["endpoint"]) for e in seen] == [("whisper", "PJSIP/sup-1")]
    audit = platform.audit.entries(action="acd.monitor.whisper")
    assert len(audit) == 1 and audit[0].subject == f"call:{call_id}"
