"""The agent pauses and resumes the recording of their live call from the console (PCI-style, while
a citizen reads out a card number): the button is on the call panel, the pause is audited and the
gap is kept in the recording's metadata; another agent cannot pause someone else's call."""

from __future__ import annotations

from typing import Any

from tests.web.conftest import page_csrf
from tests.web.scenario import place_call


def test_agent_pauses_and_resumes_own_call(switch_ready: Any, make_user: Any, client_for: Any, clock: Any) -> None:
    platform = switch_ready
    me = make_user("agent-bj", ("agent",), "11", agent=True)
    make_user("agent-bj2", ("agent",), "11", agent=True)
    agent_id = platform.agents.agent_for_user(me.id).id
    platform.agents.login(agent_id)
    platform.agents.set_ready(agent_id)
    call_id = place_call(platform, province="11", verify=False)
    platform.agents.accept(agent_id, call_id)
    leg = platform.recordings.start_leg(call_id, channel="asterisk", agent_id=agent_id)
    assert leg is not None and platform.recordings.get(leg.recording_id).province == "11"

    client = client_for("agent-bj")
    panel = client.get(f"/api/v1/agent/calls/{call_id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'id="rec-control"' in panel and "暂停录音" in panel
    token = page_csrf(client)
    headers = {"X-CSRFToken": token, "HX-Request": "true"}
    paused = client.post("/recordings/control/pause", data={"call_id": call_id}, headers=headers)
    assert paused.status_code == 200 and "恢复录音" in paused.get_data(as_text=True)
    clock.advance(20)
    resumed = client.post("/recordings/control/resume", json={"call_id": call_id},
                          headers={"X-CSRFToken": token})
    assert resumed.status_code == 200 and resumed.get_json()["paused"] is False
    gaps = resumed.get_json()["gaps"]
    assert len(gaps) == 1 and gaps[0]["end"] - gaps[0]["start"] == 20.0 and gaps[0]["by"] == f"agent:{me.id}"
    actions = [e.action for e in platform.audit.entries(session_id=call_id)]
    assert "recording.pause" in actions and "recording.resume" in actions

    other = client_for("agent-bj2")
    refused = other.post("/recordings/control/pause", json={"call_id": call_id},
                         headers={"X-CSRFToken": page_csrf(other)})
    assert refused.status_code == 403
    no_token = client.post("/recordings/control/pause", json={"call_id": call_id})
    assert no_token.status_code in (400, 403)  # CSRF protects the pause like every console POST
