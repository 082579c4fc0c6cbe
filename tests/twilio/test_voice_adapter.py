"""The adapter's own guarantees, checked with a scripted engine that follows the ivr.actions contract:
retried and stale webhooks never advance a call twice, pushes from the ACD race safely with hold
redirects, status callbacks end the call once, and an engine failure still gives the caller TwiML."""

from __future__ import annotations

import asyncio

import pytest

from agents.events import CallConnected, CallOffered
from ivr.actions import (
    Action,
    CallerHangup,
    Collect,
    Connect,
    Digits,
    Hangup,
    Hold,
    HoldTick,
    Listen,
    Play,
    Played,
    Prompt,
    Speech,
    Transfer,
)
from ivr.twilio.runtime import TwilioBridge, services
from ivr.twilio.signature import HEADER, sign
from ivr.twilio.voice import TwilioVoice, state_key
from tests.scripted_engine import ScriptedEngine
from tests.support.emulators.twilio import voice_params

HELLO = Prompt(id="hello", text="您好，这里是12333。")
MENU = Collect(prompts=(Prompt(id="menu", text="查询养老保险请按1。"),), max_digits=1)
ASK = Listen(prompts=(Prompt(id="ask", text="请说出您的问题。"),))
HOLD = Hold(prompts=(Prompt(id="wait", text="您前面还有1位。"),), max_seconds=30)
CONNECT = Connect(agent_id=3, endpoint="client:agent-3", call_id="")
BYE = Hangup(reason="done", prompts=(Prompt(id="bye", text="再见。"),))


@pytest.fixture
def engine(platform, monkeypatch):  # type: ignore[no-untyped-def]
    def install(*script: Action, fail_on: int | None = None, delay_s: float = 0.0) -> ScriptedEngine:
        scripted = ScriptedEngine(*script, fail_on=fail_on, delay_s=delay_s)
        monkeypatch.setitem(platform.__dict__, "ivr", scripted)
        return scripted

    return install


def test_first_webhook_starts_the_engine_with_the_caller(engine, make_call) -> None:  # type: ignore[no-untyped-def]
    scripted = engine(Play(prompts=(HELLO,)))
    call = make_call(from_="+8613912345678", to="+861012333")
    call.start()
    assert call.said() == [HELLO.text] and call.verbs() == ["Say", "Redirect"]
    started = scripted.started[0]
    assert (started["call_id"], started["caller"], started["called"], started["channel"]) == \
        (call.sid, "+8613912345678", "12333", "twilio")
    assert started["args"] == {"speech": True}


def test_a_retried_webhook_gets_the_same_twiml_and_the_engine_moves_once(engine, make_call) -> None:  # type: ignore[no-untyped-def]
    scripted = engine(MENU, ASK, BYE)
    call = make_call()
    call.start()
    first = call.history[-1]
    assert call.webhook(call.public_url + "/twilio/voice", status="ringing")[1] == first
    assert len(scripted.started) == 1
    gather_action = call.find("Gather").get("action")  # type: ignore[union-attr]
    call.press("1")
    after = call.history[-1]
    assert scripted.results == [Digits("1")]
    # Twilio retries the same Gather action: same answer, engine not resumed again.
    code, body = call.webhook(gather_action, Digits="1", FinishedOnKey="")
    assert (code, body) == (200, after) and scripted.results == [Digits("1")]


def test_speech_reaches_the_engine_as_speech_with_confidence(engine, make_call) -> None:  # type: ignore[no-untyped-def]
    scripted = engine(ASK, BYE)
    call = make_call()
    call.start()
    assert call.find("Gather").get("language") == "zh-CN"  # type: ignore[union-attr]
    call.say("我想查一下养老金", confidence=0.91)
    assert scripted.results == [Speech("我想查一下养老金", 0.91)]
    assert call.verbs() == ["Say", "Hangup"]


def test_play_continues_with_played(engine, make_call) -> None:  # type: ignore[no-untyped-def]
    scripted = engine(Play(prompts=(HELLO,)), BYE)
    call = make_call()
    call.start()
    call.wait()
    assert scripted.results == [Played()]


def test_agent_accepting_pushes_the_dial_into_the_held_call(engine, make_call, platform, fake_api) -> None:  # type: ignore[no-untyped-def]
    scripted = engine(HOLD, CONNECT, BYE)
    call = make_call()
    call.start()
    hold_redirect = call.find("Redirect").text  # type: ignore[union-attr]
    voice = TwilioVoice(platform)
    assert voice.wake(call.sid) is True
    assert scripted.results == [HoldTick()]
    assert call.pushed == 1 and call.dial_target() == ("Client", "agent-3")
    assert fake_api.requests[-1].form["Twiml"] == call.history[-1]
    # The hold loop's redirect, already in flight, must not resume the engine a second time.
    code, body = call.webhook(hold_redirect)
    assert code == 200 and "<Dial" in body and scripted.results == [HoldTick()]
    assert voice.wake(call.sid) is False  # not holding any more
    call.dial_ends("completed")
    assert scripted.results[-1].kind == "agent_leg_ended" and call.verbs() == ["Say", "Hangup"]


def test_wake_that_leaves_the_caller_waiting_changes_nothing(engine, make_call, platform, fake_api) -> None:  # type: ignore[no-untyped-def]
    scripted = engine(HOLD, HOLD, HOLD)
    call = make_call()
    call.start()
    before = platform.store.hgetall(state_key(call.sid))
    assert TwilioVoice(platform).wake(call.sid) is False
    assert platform.store.hgetall(state_key(call.sid)) == before and call.pushed == 0
    call.wait()  # the hold redirect still works and gets the next hold
    assert scripted.results == [HoldTick(), HoldTick()]


def test_failed_push_falls_back_to_the_next_hold_redirect(engine, make_call, platform, fake_api) -> None:  # type: ignore[no-untyped-def]
    engine(HOLD, CONNECT)
    call = make_call()
    call.start()
    hold_redirect = call.find("Redirect").text  # type: ignore[union-attr]
    fake_api.calls.pop(call.sid)  # Twilio answers 404 for this call
    assert TwilioVoice(platform).wake(call.sid) is False
    code, body = call.webhook(hold_redirect)
    assert code == 200 and "<Identity>agent-3</Identity>" in body


def test_bridge_wakes_twilio_calls_on_acd_events_only(engine, make_call, platform, fake_api) -> None:  # type: ignore[no-untyped-def]
    scripted = engine(HOLD, CONNECT)
    call = make_call()
    call.start()

    async def scenario() -> None:
        bridge = TwilioBridge(platform)
        await bridge.start()
        platform.bus.emit(CallOffered(call_id=call.sid, agent_id=3))  # quiet: no wake
        platform.bus.emit(CallConnected(call_id="CA-someone-elses", agent_id=4))  # not ours
        await bridge.drain()
        assert scripted.results == []
        platform.bus.emit(CallConnected(call_id=call.sid, agent_id=3))
        await bridge.drain()
        await bridge.stop()

    asyncio.run(scenario())
    assert scripted.results == [HoldTick()]
    assert call.dial_target() == ("Client", "agent-3")


def test_services_only_when_twilio_is_configured(platform) -> None:  # type: ignore[no-untyped-def]
    assert [s.name for s in services(platform)] == ["ivr.twilio"]


def test_status_callback_ends_the_call_once(engine, make_call, platform) -> None:  # type: ignore[no-untyped-def]
    scripted = engine(HOLD)
    call = make_call()
    call.start()
    assert call.hang_up("completed")[0] == 204
    assert call.hang_up("completed")[0] == 204  # Twilio may deliver it twice
    assert scripted.hangups == [(call.sid, "caller_hangup")]
    assert platform.store.hget(state_key(call.sid), "ended") == "1"
    assert (platform.store.ttl(state_key(call.sid)) or 0) <= 600
    assert call.wait()[1] == call.history[-1]  # a late redirect changes nothing


@pytest.mark.parametrize(("status", "reason"), [("busy", "busy"), ("no-answer", "no_answer"),
                                                ("failed", "failed"), ("canceled", "canceled")])
def test_status_reasons(engine, make_call, status: str, reason: str) -> None:  # type: ignore[no-untyped-def]
    scripted = engine(MENU)
    call = make_call()
    call.start()
    call.hang_up(status)
    assert scripted.hangups == [(call.sid, reason)]


def test_caller_hanging_up_mid_gather_is_a_caller_hangup(engine, make_call) -> None:  # type: ignore[no-untyped-def]
    scripted = engine(MENU)
    call = make_call()
    call.start()
    action = call.find("Gather").get("action")  # type: ignore[union-attr]
    code, body = call.webhook(action, status="completed")
    assert code == 200 and scripted.results == [CallerHangup()] and "<Hangup" in body


def test_engine_failure_still_answers_with_twiml(engine, make_call, caplog) -> None:  # type: ignore[no-untyped-def]
    scripted = engine(MENU, fail_on=1)
    call = make_call()
    call.start()
    code, _ = call.press("1")
    assert code == 200 and call.verbs() == ["Say", "Hangup"] and "系统暂时无法处理" in call.said()[0]
    assert any("engine failed" in r.getMessage() for r in caplog.records)
    assert scripted.hangups == [(call.sid, "error")]  # the call is ended in the engine right away
    call.hang_up("completed")
    assert scripted.hangups == [(call.sid, "error")]


def test_transfer_tells_the_engine_the_call_left(engine, make_call) -> None:  # type: ignore[no-untyped-def]
    scripted = engine(MENU, Transfer(center_code="44", trunk="sip:12333@gd.example.cn", token="tok"))
    call = make_call()
    call.start()
    call.press("2")
    assert call.dial_target()[0] == "Sip" and scripted.hangups == [(call.sid, "transferred")]


def test_unknown_call_and_bad_requests(engine, make_call, client) -> None:  # type: ignore[no-untyped-def]
    engine(MENU)
    call = make_call()
    code, body = call.webhook(call.public_url + "/twilio/voice/step?n=1", Digits="1")
    assert code == 200 and "系统暂时无法处理" in body  # no state for this call on any node
    assert call.webhook(call.public_url + "/twilio/voice/step?n=abc")[0] == 400
    assert call.webhook(call.public_url + "/twilio/voice/step")[0] == 400
    params = {"AccountSid": "AC1", "CallStatus": "ringing"}
    headers = {HEADER: sign(call.auth_token, call.public_url + "/twilio/voice", params)}
    assert client.post("/twilio/voice", data=params, headers=headers).status_code == 400


def test_concurrent_deliveries_of_one_webhook_move_the_call_once(engine, make_call, app) -> None:  # type: ignore[no-untyped-def]
    """Twilio retrying while the first delivery is still being answered (possibly by another node)."""
    import threading

    scripted = engine(MENU, ASK, BYE, BYE, BYE, BYE, BYE, delay_s=0.05)
    call = make_call()
    call.start()
    action = call.find("Gather").get("action")  # type: ignore[union-attr]
    params = voice_params(call.sid, call.account_sid, Digits="1", FinishedOnKey="")
    path = action.removeprefix(call.public_url)  # type: ignore[union-attr]
    headers = {HEADER: sign(call.auth_token, action, params)}  # type: ignore[arg-type]
    bodies: list[str] = []
    barrier = threading.Barrier(6)

    def deliver() -> None:
        client = app.test_client()
        barrier.wait()
        bodies.append(client.post(path, data=params, headers=headers).get_data(as_text=True))

    threads = [threading.Thread(target=deliver) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert len(bodies) == 6 and len(set(bodies)) == 1 and "speech" in bodies[0]
    assert scripted.results == [Digits("1")]
