"""Whole calls over Twilio through the real IVR engine, switch and ACD: IVR, queue, agent, survey,
completion; abandonment in the queue; the callback key; speech in the main menu."""

from __future__ import annotations

from ivr.twilio.voice import state_key
from tests.twilio.conftest import ACCOUNT_SID, make_agent

BEIJING_MOBILE = "+8613910001234"  # number location: 北京 -> center 11


def collect_events(platform, prefix: str) -> list:  # type: ignore[no-untyped-def]
    seen: list = []
    platform.bus.subscribe(seen.append, (prefix,))
    return seen


def queue_caller(make_call):  # type: ignore[no-untyped-def]
    """A Beijing caller: main menu 0 (agent), confirm the detected province (1), now on hold."""
    call = make_call(from_=BEIJING_MOBILE)
    call.start()
    call.press("0")
    assert "北京市" in "".join(call.said())
    call.press("1")
    assert call.find("Play") is not None and call.find("Redirect") is not None  # hold music loop
    return call


def follow_until_dial(call, limit: int = 3) -> None:  # type: ignore[no-untyped-def]
    """Prompts queued in front of the Connect (e.g. "connecting you") come as a Play first."""
    for _ in range(limit):
        if call.find("Dial") is not None:
            return
        call.wait()
    raise AssertionError(f"no <Dial> after {limit} steps: {call.history[-1]}")


def test_ivr_queue_agent_survey_completion(hotline, make_call, bridge, fake_api) -> None:  # type: ignore[no-untyped-def]
    platform = hotline
    acd_events = collect_events(platform, "acd.call.")
    call_events = collect_events(platform, "call.")
    agent_id = make_agent(platform, "bj-twilio-01", endpoint="client:bj-twilio-01")

    call = queue_caller(make_call)
    status = platform.agents.call_status(call.sid)
    assert status.state == "waiting" and status.queue_id == "11-general"
    assert call.wait()[0] == 200  # one more turn of the hold loop: still waiting, announcement again
    assert call.find("Redirect") is not None and fake_api.calls[call.sid].twiml == []

    # The agent logs in, goes ready, is offered the call and accepts it in the console.
    platform.agents.login(agent_id)
    platform.agents.set_ready(agent_id)
    assert platform.agents.call_status(call.sid).state == "offered"
    platform.agents.accept(agent_id, call.sid)
    bridge.drain_now()

    # Twilio's REST API received the call update; the caller is now dialling the agent's browser.
    updates = [r for r in fake_api.requests if r.path.endswith(f"/Calls/{call.sid}.json")]
    assert len(updates) == 1 and updates[0].user == ACCOUNT_SID and "Twiml" in updates[0].form
    follow_until_dial(call)
    assert call.dial_target() == ("Client", "bj-twilio-01")
    assert any("<Dial" in doc and "<Client>" in doc for doc in fake_api.calls[call.sid].twiml + call.history)
    assert platform.agents.call_status(call.sid).state == "connected"

    # The agent hangs up: the Dial action resumes the engine, the ACD ends the call, the survey follows.
    call.dial_ends("completed", duration=95)
    assert platform.agents.call_status(call.sid).state == "ended"
    assert platform.agents.agent_status(agent_id).state == "wrap_up"
    assert call.find("Gather") is not None
    call.press("1")  # satisfied
    assert call.verbs()[-1] == "Hangup"

    assert call.hang_up("completed", duration=180)[0] == 204
    assert platform.store.hget(state_key(call.sid), "ended") == "1"
    types = [e.type for e in acd_events if e.data.get("call_id") == call.sid]
    assert types[:1] == ["acd.call.queued"] and "acd.call.connected" in types and "acd.call.ended" in types
    assert "acd.call.abandoned" not in types
    started = [e for e in call_events if e.type == "call.started"]
    assert started and started[0].data["channel"] == "twilio" and started[0].data["caller"] == "139****1234"
    ended = [e for e in call_events if e.type == "call.ended"]
    assert len(ended) == 1 and ended[0].data["outcome"] == "completed"
    stats = platform.agents.stats("national")
    assert stats["answered"] >= 1 and stats["abandoned"] == 0
    surveys = platform.ivr.surveys()
    assert surveys and surveys[0]["score"] == 1


def test_caller_hanging_up_in_the_queue_is_abandonment(hotline, make_call, bridge) -> None:  # type: ignore[no-untyped-def]
    platform = hotline
    call = queue_caller(make_call)
    assert platform.agents.call_status(call.sid).state == "waiting"
    assert call.hang_up("completed", duration=42)[0] == 204
    assert platform.agents.call_status(call.sid).state == "abandoned"
    assert platform.agents.stats("national")["abandoned"] == 1
    assert platform.ivr.transcript(call.sid)["outcome"] == "abandoned"
    assert call.hang_up("completed")[0] == 204  # delivered twice: counted once
    assert platform.agents.stats("national")["abandoned"] == 1


def test_caller_hanging_up_while_offered_frees_the_agent(hotline, make_call, bridge) -> None:  # type: ignore[no-untyped-def]
    platform = hotline
    agent_id = make_agent(platform, "bj-twilio-02")
    platform.agents.login(agent_id)
    platform.agents.set_ready(agent_id)
    call = queue_caller(make_call)
    assert platform.agents.call_status(call.sid).state == "offered"
    call.hang_up("canceled")
    assert platform.agents.call_status(call.sid).state == "abandoned"
    assert platform.agents.agent_status(agent_id).state == "ready"


def test_desk_phone_agent_is_dialled_on_their_browser_identity(hotline, make_call, bridge) -> None:  # type: ignore[no-untyped-def]
    platform = hotline
    agent_id = make_agent(platform, "bj-twilio-03")  # default endpoint PJSIP/agent-<id>
    call = queue_caller(make_call)
    platform.agents.login(agent_id)
    platform.agents.set_ready(agent_id)
    platform.agents.accept(agent_id, call.sid)
    bridge.drain_now()
    follow_until_dial(call)
    assert call.dial_target() == ("Client", f"agent-{agent_id}")


def test_caller_hanging_up_while_talking_ends_the_acd_call(hotline, make_call, bridge) -> None:  # type: ignore[no-untyped-def]
    platform = hotline
    agent_id = make_agent(platform, "bj-twilio-04", endpoint="sip:agent4@pbx.example.cn")
    call = queue_caller(make_call)
    platform.agents.login(agent_id)
    platform.agents.set_ready(agent_id)
    platform.agents.accept(agent_id, call.sid)
    bridge.drain_now()
    follow_until_dial(call)
    assert call.dial_target() == ("Sip", "sip:agent4@pbx.example.cn")
    call.hang_up("completed", duration=300)
    assert platform.agents.call_status(call.sid).state == "ended"
    assert platform.agents.agent_status(agent_id).state == "wrap_up"
    assert platform.agents.stats("national")["abandoned"] == 0


def test_callback_key_while_waiting(hotline, make_call) -> None:  # type: ignore[no-untyped-def]
    platform = hotline
    call = queue_caller(make_call)
    assert call.find("Gather") is not None  # the hold offers "press 1 for a callback"
    call.press("1")
    assert call.verbs()[-1] == "Hangup"
    assert platform.agents.call_status(call.sid).state == "callback"
    assert [c["call_id"] for c in platform.agents.callbacks(status=None)] == [call.sid]
    call.hang_up("completed")  # the status callback after our <Hangup/> keeps the place in the queue
    assert platform.agents.call_status(call.sid).state == "callback"
    assert platform.agents.stats("national")["abandoned"] == 0


def test_speech_in_the_main_menu_goes_through_the_classifier(hotline, make_call) -> None:  # type: ignore[no-untyped-def]
    platform = hotline
    call = make_call(from_=BEIJING_MOBILE)
    call.start()
    assert call.find("Gather").get("input") == "dtmf speech"  # type: ignore[union-attr]
    call.say("我要找人工客服", confidence=0.95)
    context = platform.ivr.call_context(call.sid)
    assert context["utterance"] == "我要找人工客服"
    assert context["path"][-2:] == ["agent_general", "agent"]  # intent "agent" -> confirm the province
    assert "北京市" in "".join(call.said())

    other = make_call(from_=BEIJING_MOBILE)
    other.start()
    other.say("社保卡丢了怎么办", confidence=0.9)
    context = platform.ivr.call_context(other.sid)
    assert context["topic"] == "card" and "speech_topic" in context["path"]
