"""The channel adapter over FastAGI, with the emulated Asterisk and a scripted engine that follows the
ivr.actions contract: which AGI commands each action becomes, what goes back to the engine, and how
hang-ups, engine failures and the dialplan safety net are handled."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from agents.events import CallConnected, CallOffered
from hotline.platform import Platform
from ivr.actions import (
    Action,
    AgentLegEnded,
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
    Timeout,
    Transfer,
)
from ivr.asterisk.channel import CallRunner, ChannelConfig
from tests.asterisk.emulator import Caller, ChannelModel, EmulatedCall
from tests.asterisk.helpers import agi_server, run
from tests.asterisk.helpers import until as _until
from tests.scripted_engine import ScriptedEngine

UNIQUEID = "1795526602.7"
CALL_ID = f"ast-{UNIQUEID}"
HELLO = Prompt(id="hello", text="您好，这里是12333。", audio="welcome")
TTS_ONLY = Prompt(id="notice", text="今天的通知。")
MENU = Prompt(id="menu", text="请按键。", audio="menu")
BYE = Hangup(reason="done", prompts=(Prompt(id="bye", text="再见。", audio="bye"),))


@pytest.fixture
def engine(platform, monkeypatch):  # type: ignore[no-untyped-def]
    def install(*script: Action, fail_on: int | None = None) -> ScriptedEngine:
        scripted = ScriptedEngine(*script, fail_on=fail_on)
        monkeypatch.setitem(platform.__dict__, "ivr", scripted)
        monkeypatch.setitem(platform.__dict__, "agents", _NoAcd())
        return scripted

    return install


class _NoAcd:
    """The ACD of these tests knows no call (the scripted engine queues nothing)."""

    def call_status(self, call_id: str) -> None:
        return None


def commands(model: ChannelModel) -> list[str]:
    return [line for line, _ in model.log]


async def _call(platform: Platform, model: ChannelModel, during: Any = None, config: ChannelConfig | None = None,
                **kwargs: Any) -> EmulatedCall:
    runner = CallRunner(platform, config)
    call = EmulatedCall(model, uniqueid=UNIQUEID, **kwargs)
    try:
        async with agi_server(runner.handle) as server:
            task = asyncio.create_task(call.run("127.0.0.1", server.port, timeout=5))
            if during is not None:
                await during(call)
            await asyncio.wait_for(task, 5)
    finally:
        runner.close()
    return call


def drive(platform: Platform, model: ChannelModel, during: Any = None, **kwargs: Any) -> EmulatedCall:
    return run(_call(platform, model, during, **kwargs))


def test_a_simple_call_plays_collects_and_hangs_up_cleanly(platform, engine) -> None:  # type: ignore[no-untyped-def]
    eng = engine(Play(prompts=(HELLO, TTS_ONLY)), Collect(prompts=(MENU,), max_digits=1), BYE)
    model = ChannelModel(caller=Caller(inputs=["2"]))
    call = drive(platform, model, script="12333?lang=en", args=("vip",))
    assert eng.started[0]["called"] == "12333" and eng.started[0]["caller"] == "13800138000"
    assert eng.started[0]["language"] == "en" and eng.started[0]["args"]["arg1"] == "vip"
    assert eng.started[0]["channel"] == "asterisk"
    assert eng.results == [Played(), Digits("2")]
    sent = commands(model)
    assert sent[:3] == [f"SET VARIABLE HOTLINE_CALL_ID {CALL_ID}", "ANSWER", 'STREAM FILE hotline/welcome ""']
    assert "EXEC Playback hotline/tts/notice" in sent
    assert 'STREAM FILE hotline/menu "0123456789*#"' in sent and "WAIT FOR DIGIT 5000" in sent
    assert sent[-3:] == ['STREAM FILE hotline/bye ""', "SET VARIABLE HOTLINE_DONE 1", "HANGUP"]
    assert model.vars["HOTLINE_DONE"] == "1" and call.closed_by_server
    # the flow ended the call; the engine is then told the channel ended once, so it can settle the ACD
    assert eng.hangups == [(CALL_ID, "completed")]


def test_collect_uses_get_data_when_it_can_and_reports_timeouts(platform, engine) -> None:  # type: ignore[no-untyped-def]
    ask_id = Collect(prompts=(MENU,), min_digits=6, max_digits=18, timeout_s=8, inter_digit_timeout_s=8)
    eng = engine(ask_id, ask_id, Collect(prompts=(MENU,), max_digits=4, timeout_s=5, inter_digit_timeout_s=2,
                                         terminator="#"), BYE)
    model = ChannelModel(caller=Caller(inputs=["110105194912310021#", None, "12#"]))
    drive(platform, model)
    assert eng.results == [Digits("110105194912310021"), Timeout(), Digits("12")]
    sent = commands(model)
    assert sent.count("GET DATA hotline/menu 8000 19") == 2  # one more than wanted: ends on the '#'
    assert "WAIT FOR DIGIT 2000" in sent


def test_barge_in_returns_the_key(platform, engine) -> None:  # type: ignore[no-untyped-def]
    eng = engine(Play(prompts=(HELLO,), barge_in=True), Listen(prompts=(MENU,)), BYE)
    model = ChannelModel(caller=Caller(inputs=["9", "0"], barge=True))
    drive(platform, model)
    assert eng.results == [Digits("9"), Digits("0")]


def test_missing_sound_falls_back_to_tts(platform, engine) -> None:  # type: ignore[no-untyped-def]
    eng = engine(Play(prompts=(HELLO,)), BYE)
    model = ChannelModel(missing_sounds={"hotline/welcome"})
    drive(platform, model)
    assert eng.results == [Played()]
    sent = commands(model)
    i = sent.index('STREAM FILE hotline/welcome ""')
    assert sent[i + 1:i + 3] == ["CHANNEL STATUS", "EXEC Playback hotline/tts/hello"]


def test_hold_wakes_on_acd_events_for_this_call_only(platform, engine) -> None:  # type: ignore[no-untyped-def]
    hold = Hold(prompts=(Prompt(id="wait", text="请稍候。", audio="wait"),), max_seconds=30)
    eng = engine(hold, Connect(agent_id=3, endpoint="PJSIP/agent-3", call_id=CALL_ID), BYE)
    model = ChannelModel()

    async def during(call: EmulatedCall) -> None:
        await _until(lambda: model.music)
        platform.bus.emit(CallOffered(call_id="ast-other", agent_id=9))
        await asyncio.sleep(0.05)
        assert model.music  # another call's event changes nothing
        platform.bus.emit(CallConnected(call_id=CALL_ID, agent_id=3))

    drive(platform, model, during)
    assert eng.results == [HoldTick(), AgentLegEnded("completed")]
    sent = commands(model)
    assert "SET MUSIC ON default" in sent and "SET MUSIC OFF" in sent
    assert "SET VARIABLE HOTLINE_AGENT 3" in sent and "EXEC Dial PJSIP/agent-3,30,g" in sent


def test_hold_ends_on_a_key_seen_over_ami(platform, engine) -> None:  # type: ignore[no-untyped-def]
    eng = engine(Hold(prompts=(), max_seconds=30, keys="1"), BYE)
    model = ChannelModel()
    runner_holder: dict[str, CallRunner] = {}

    async def main() -> None:
        runner = runner_holder["r"] = CallRunner(platform)
        call = EmulatedCall(model, uniqueid=UNIQUEID)
        async with agi_server(runner.handle) as server:
            task = asyncio.create_task(call.run("127.0.0.1", server.port, timeout=5))
            await _until(lambda: model.music)
            assert not runner.waker.digit(CALL_ID, "5") or True  # not a wanted key: keeps holding
            await asyncio.sleep(0.05)
            assert model.music
            runner.waker.digit(CALL_ID, "1")
            await asyncio.wait_for(task, 5)
        runner.close()

    run(main())
    assert eng.results == [Digits("1")]


def test_caller_hanging_up_on_hold_ends_the_call_once(platform, engine) -> None:  # type: ignore[no-untyped-def]
    eng = engine(Hold(prompts=(), max_seconds=30))
    model = ChannelModel()

    async def during(call: EmulatedCall) -> None:
        await _until(lambda: model.music)
        await call.hangup()

    drive(platform, model, during)
    assert eng.hangups == [(CALL_ID, "caller_hangup")]
    assert "HOTLINE_DONE" not in model.vars


def test_caller_hanging_up_during_get_data(platform, engine) -> None:  # type: ignore[no-untyped-def]
    eng = engine(Collect(prompts=(MENU,), max_digits=4, timeout_s=5, inter_digit_timeout_s=5))
    model = ChannelModel(caller=Caller(hangup_during=1))
    drive(platform, model)
    assert eng.hangups == [(CALL_ID, "caller_hangup")]
    # `200 result=-1` is ambiguous (missing file or hang-up): CHANNEL STATUS answers 511 on a dead channel
    assert commands(model)[-2:] == ["GET DATA hotline/menu 5000 5", "CHANNEL STATUS"]


def test_transfer_dials_the_trunk_with_the_handoff_token(platform, engine) -> None:  # type: ignore[no-untyped-def]
    eng = engine(Transfer(center_code="44", trunk="gd-trunk", token="tok.abc"))
    model = ChannelModel()
    drive(platform, model)
    sent = commands(model)
    assert "SET VARIABLE HOTLINE_HANDOFF tok.abc" in sent
    assert "EXEC Dial PJSIP/44@gd-trunk,30,b(hotline-handoff^s^1(tok.abc))" in sent
    assert eng.hangups == [(CALL_ID, "transferred")] and model.vars["HOTLINE_DONE"] == "1"


def test_connect_back_to_the_dialplan(platform, engine) -> None:  # type: ignore[no-untyped-def]
    engine(Connect(agent_id=4, endpoint="PJSIP/agent-4", call_id=CALL_ID))
    model = ChannelModel()
    drive(platform, model, config=ChannelConfig(connect_mode="dialplan"))
    assert model.vars["HOTLINE_ENDPOINT"] == "PJSIP/agent-4" and model.vars["HOTLINE_DONE"] == "connect"
    assert not any(line.startswith("EXEC Dial") for line in commands(model))


def test_engine_failure_leaves_hotline_done_unset_for_the_dialplan_fallback(platform, engine, caplog) -> None:  # type: ignore[no-untyped-def]
    eng = engine(Play(prompts=(HELLO,)), BYE, fail_on=1)
    model = ChannelModel()
    call = drive(platform, model)
    assert call.closed_by_server and "HOTLINE_DONE" not in model.vars
    assert eng.hangups == [(CALL_ID, "platform_error")]
    assert "engine bug" in caplog.text


def test_platform_down_at_start_still_ends_the_session_promptly(platform, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    class Broken:
        def start_call(self, **kwargs: Any) -> Action:
            raise ConnectionError("database unreachable")

    monkeypatch.setitem(platform.__dict__, "ivr", Broken())
    model = ChannelModel()
    call = drive(platform, model)
    assert call.closed_by_server and "HOTLINE_DONE" not in model.vars
    assert commands(model) == [f"SET VARIABLE HOTLINE_CALL_ID {CALL_ID}", "ANSWER"]




def test_late_hangup_line_after_minus_one_is_still_a_hangup(platform, engine) -> None:  # type: ignore[no-untyped-def]
    """On a real Asterisk the HANGUP line follows `200 result=-1` about 40 ms later (agi-05)."""
    eng = engine(Play(prompts=(HELLO,)), BYE)
    model = ChannelModel(caller=Caller(hangup_during=1))
    drive(platform, model, hangup_delay=0.04)
    assert eng.hangups == [(CALL_ID, "caller_hangup")]
    assert commands(model)[-1] == "CHANNEL STATUS" and model.log[-1][1] == [
        "511 Command Not Permitted on a dead channel or intercept routine"]
