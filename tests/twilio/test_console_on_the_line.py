"""Console actions reach a Twilio call: the agent's hang-up ends the <Dial> (a <Redirect> to the Dial's
action URL is pushed over the REST API) and the caller goes on to the survey; a local transfer puts the
caller in the new queue without the survey."""

from __future__ import annotations

from tests.twilio.conftest import make_agent
from tests.twilio.test_whole_call import follow_until_dial, queue_caller


def _connected(platform, make_call, bridge):  # type: ignore[no-untyped-def]
    agent_id = make_agent(platform, "bj-twilio-41", endpoint="client:bj-twilio-41")
    call = queue_caller(make_call)
    platform.agents.login(agent_id)
    platform.agents.set_ready(agent_id)
    platform.agents.accept(agent_id, call.sid)
    bridge.drain_now()
    follow_until_dial(call)
    return agent_id, call


def test_console_hang_up_ends_the_dial_and_the_survey_follows(hotline, make_call, bridge, fake_api) -> None:  # type: ignore[no-untyped-def]
    platform = hotline
    agent_id, call = _connected(platform, make_call, bridge)
    pushed = call.pushed
    platform.agents.end_call(call.sid, "agent_hangup")  # the console's hang-up button
    bridge.drain_now()
    assert call.pushed == pushed + 1 and call.verbs() == ["Redirect"]
    assert "/twilio/voice/dial" in (call.find("Redirect").text or "")
    call.wait()  # Twilio follows the redirect: the Dial's action without a DialCallStatus
    assert call.find("Gather") is not None  # the survey
    assert platform.agents.call_status(call.sid).state == "ended"
    assert platform.agents.agent_status(agent_id).state == "wrap_up"


def test_local_transfer_requeues_without_the_survey(hotline, make_call, bridge, fake_api) -> None:  # type: ignore[no-untyped-def]
    platform = hotline
    agent_id, call = _connected(platform, make_call, bridge)
    result = platform.switch.transfer(agent_id, call.sid, center_code="44", topic="general")
    assert result["kind"] == "local"
    bridge.drain_now()
    assert call.verbs() == ["Redirect"]
    call.wait()
    said = "".join(call.said())
    assert "正在为您转接" in said and "您是下一位" in said and "评价" not in said  # announced, on hold, no survey
    status = platform.agents.call_status(call.sid)
    assert status.state in ("waiting", "offered") and status.queue_id.startswith("44")
