"""What callers hear, on the emulator (the fast layer; the real-Asterisk suite proves it on the wire):
every prompt of the default flow goes out as a signed speech URL that resolves to audible audio; a
prompt Asterisk cannot play is replaced (never silence); the '#' after the ID and the password never
reaches the next menu (the README's key sequence); keys pressed between commands are kept; a Dial
that does not answer re-queues the caller; agents are offered only calls their endpoint can take."""

from __future__ import annotations

import asyncio
import collections
import logging
import os
import re
import shutil
import wave
from typing import Any

import pytest

from hotline.platform import Platform
from ivr.actions import AgentLegEnded, Collect, Connect, Digits, Hangup, Play, Played, Prompt
from ivr.asterisk.channel import CallRunner, _Call
from ivr.speech import speech_of
from ivr.speech.engines import EspeakEngine
from ivr.speech.service import SpeechService
from tests.asterisk.emulator import Caller, ChannelModel, EmulatedCall
from tests.asterisk.helpers import agi_server, run, until
from tests.scripted_engine import ScriptedEngine

pytestmark = pytest.mark.skipif(
    not (shutil.which("espeak-ng") and shutil.which("sox")) and not os.environ.get("CI"),
    reason="espeak-ng and sox are not installed (scripts/install-system-deps installs them)")

UNIQUEID = "1795700000.21"
CALL_ID = f"ast-{UNIQUEID}"
CHANNEL = "PJSIP/trunk-00000015"
URL = re.compile(r'^(?:STREAM FILE|GET DATA) (http://\S+/speech/(\d+)/([0-9a-f]+)/([0-9a-f]+)\.wav)')


@pytest.fixture
def demo(platform):  # type: ignore[no-untyped-def]
    import agents.demo
    import ivr.demo
    import records.demo
    import switch.demo

    records.demo.load_demo(platform, persons=20)
    switch.demo.load_demo(platform)
    agents.demo.load_demo(platform)
    ivr.demo.load_demo(platform)
    return platform


def _commands(model: ChannelModel) -> list[str]:
    return [line for line, _ in model.log]


def _urls(model: ChannelModel) -> list[re.Match[str]]:
    return [m for m in (URL.match(line) for line in _commands(model)) if m]


def _audible(path: Any) -> bool:
    import array

    with wave.open(str(path)) as w:
        samples = array.array("h", w.readframes(w.getnframes()))
        seconds = w.getnframes() / w.getframerate()
    rms = (sum(s * s for s in samples) / max(1, len(samples))) ** 0.5
    return seconds > 0.4 and rms > 300


def _prompt_ids(platform: Platform, call_id: str) -> list[str]:
    row = platform.ivr.transcript(call_id) or {}
    return [e["id"] for e in row.get("events", []) if e.get("type") == "prompt"]


async def _drive(platform: Platform, model: ChannelModel, runner: CallRunner, timeout: float = 30) -> None:
    call = EmulatedCall(model, uniqueid=UNIQUEID)
    async with agi_server(runner.handle) as server:
        await asyncio.wait_for(call.run("127.0.0.1", server.port, timeout=timeout), timeout)


def test_readme_record_call_is_spoken_and_the_hash_keys_reach_no_menu(demo) -> None:  # type: ignore[no-untyped-def]
    """`hotline call --from 13900001234 --keys "7 1 11010519491231002X# 1 1 246810#"` over FastAGI:
    (X keyed as *). Every prompt is a signed URL of audible audio, the record summary included."""
    platform = demo
    speech = speech_of(platform)
    model = ChannelModel(CHANNEL, callerid=("13900001234", ""),
                         caller=Caller(inputs=["7", "1", "11010519491231002*#", "1", "1", "246810#"]))
    runner = CallRunner(platform, speech=speech)
    try:
        run(_drive(platform, model, runner), timeout=60)
    finally:
        runner.close()
    ids = _prompt_ids(platform, CALL_ID)
    assert "input_invalid" not in ids and "invalid_input" not in ids, ids
    assert "records_enter_password" in ids and ids.count("records_enter_id") == 1
    row = platform.ivr.transcript(CALL_ID)
    nodes = [e.get("node") for e in row["events"] if e.get("type") == "node"]
    assert "records_summary" in nodes
    media = [line for line in _commands(model) if line.startswith(("STREAM FILE", "GET DATA", "EXEC Playback"))]
    urls = _urls(model)
    assert media and len(urls) == len(media)  # every prompt through the speech layer, none a missing file
    for m in urls:
        path = speech.file_for(m.group(4), "wav", int(m.group(2)), m.group(3))
        assert path is not None and _audible(path), m.group(1)
    # the record summary (masked in the transcript) was among what the caller heard
    platform.records.verify_password("t-check", "11010519491231002X", "246810", channel="test")
    summary = platform.records.self_service_summary("t-check", channel="test").speech
    assert len(summary) > 20 and speech.render(summary).key in {m.group(4) for m in urls}


class _Primary(EspeakEngine):
    name = "primary"


def _speech(platform: Platform) -> SpeechService:
    base = speech_of(platform)
    return SpeechService(base.config, engine=_Primary(), fallback=EspeakEngine(), cache=base.cache,
                         signer=base.signer)


def _scripted(platform: Platform, monkeypatch: Any, *script: Any) -> ScriptedEngine:
    engine = ScriptedEngine(*script)
    monkeypatch.setitem(platform.__dict__, "ivr", engine)

    class _NoAcd:
        def call_status(self, call_id: str) -> None:
            return None

    monkeypatch.setitem(platform.__dict__, "agents", _NoAcd())
    return engine


NOTICE = Prompt(id="notice", text="您本月养老金122400.29元。")


def test_a_prompt_asterisk_cannot_play_is_logged_and_replaced(platform, monkeypatch, caplog) -> None:  # type: ignore[no-untyped-def]
    speech = _speech(platform)
    primary = speech.playable(speech.render_prompt(NOTICE))
    fallback = speech.playable(speech.render_prompt(NOTICE, prefer_fallback=True))
    assert primary != fallback
    eng = _scripted(platform, monkeypatch, Play(prompts=(NOTICE,)), Hangup(reason="done"))
    model = ChannelModel(CHANNEL, missing_sounds={primary})
    runner = CallRunner(platform, speech=speech)
    caplog.set_level(logging.WARNING, logger="ivr.asterisk.channel")
    try:
        run(_drive(platform, model, runner))
    finally:
        runner.close()
    sent = _commands(model)
    at = sent.index(f'STREAM FILE {primary} ""')
    assert sent[at + 1] == "CHANNEL STATUS" and sent[at + 2] == f'STREAM FILE {fallback} ""'
    assert eng.results == [Played()]
    assert any(CALL_ID in r.getMessage() and "notice" in r.getMessage() for r in caplog.records)


def test_when_nothing_plays_the_caller_hears_please_hold_and_a_retry(platform, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    speech = _speech(platform)
    primary = speech.playable(speech.render_prompt(NOTICE))
    fallback = speech.playable(speech.render_prompt(NOTICE, prefer_fallback=True))
    hold = speech.playable(speech.please_hold("zh"))
    _scripted(platform, monkeypatch, Play(prompts=(NOTICE,)), Hangup(reason="done"))
    model = ChannelModel(CHANNEL, missing_sounds={primary, fallback})
    runner = CallRunner(platform, speech=speech)
    try:
        run(_drive(platform, model, runner))
    finally:
        runner.close()
    played = [line.split()[2] for line in _commands(model) if line.startswith("STREAM FILE")]
    assert played[:4] == [primary, fallback, hold, primary]  # "请稍候", then the prompt once more


def test_endpos_zero_counts_as_not_played(platform, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    speech = _speech(platform)
    primary = speech.playable(speech.render_prompt(NOTICE))
    _scripted(platform, monkeypatch, Play(prompts=(NOTICE,)), Hangup(reason="done"))
    model = ChannelModel(CHANNEL, sound_lengths={primary: 0})
    runner = CallRunner(platform, speech=speech)
    try:
        run(_drive(platform, model, runner))
    finally:
        runner.close()
    played = [line.split()[2] for line in _commands(model) if line.startswith("STREAM FILE")]
    assert played[0] == primary and len(played) >= 2 and played[1] != primary


def test_terminator_after_a_full_length_input_is_swallowed(platform, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    ask = Collect(prompts=(Prompt(id="id", text="请输入身份证号码。"),), min_digits=18, max_digits=18,
                  timeout_s=15, inter_digit_timeout_s=3)
    menu = Collect(prompts=(Prompt(id="menu", text="确认请按1。"),), max_digits=1)
    pin = Collect(prompts=(Prompt(id="pin", text="请输入密码。"),), min_digits=6, max_digits=6,
                  timeout_s=10, inter_digit_timeout_s=10)  # GET DATA
    eng = _scripted(platform, monkeypatch, ask, menu, pin, menu, Hangup(reason="done"))
    model = ChannelModel(CHANNEL, caller=Caller(inputs=["11010519491231002*#", "1", "246810#", "2"]))
    runner = CallRunner(platform, speech=speech_of(platform))
    try:
        run(_drive(platform, model, runner))
    finally:
        runner.close()
    assert eng.results == [Digits("11010519491231002*"), Digits("1"), Digits("246810"), Digits("2")]
    assert any(line.startswith("GET DATA ") and line.endswith(" 10000 7") for line in _commands(model))


class _Conn:
    def __init__(self, windows: list[tuple[float, float]]) -> None:
        self.windows = collections.deque(windows)


def test_keys_pressed_while_no_command_ran_are_kept_for_the_next_input(platform) -> None:  # type: ignore[no-untyped-def]
    async def main() -> tuple[str, str]:
        runner = CallRunner(platform)
        loop = asyncio.get_running_loop()
        now = loop.time()
        call = _Call(runner, _Conn([(now - 2.0, now - 1.5), (now - 1.0, now - 0.9)]), CALL_ID)  # type: ignore[arg-type]
        queue = runner.waker.watch(CALL_ID)
        queue.put_nowait(f"dtmf:5@{now - 1.7:.3f}")  # during the first command: AGI's (or dropped)
        queue.put_nowait(f"dtmf:3@{now - 0.5:.3f}")  # between commands: Asterisk threw it away
        queue.put_nowait(f"dtmf:7@{now - 9.0:.3f}")  # before every remembered command: never replayed
        queue.put_nowait("event:acd.call.offered")
        call.absorb()
        pending = call.pending
        left = queue.get_nowait()
        runner.close()
        return pending, left

    pending, left = run(main())
    assert pending == "3" and left == "event:acd.call.offered"


def test_a_buffered_key_answers_the_next_menu_without_playing_it(platform, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    menu = Collect(prompts=(Prompt(id="menu", text="请按键。"),), max_digits=1)
    eng = _scripted(platform, monkeypatch, menu, Hangup(reason="done"))
    model = ChannelModel(CHANNEL)
    runner = CallRunner(platform, speech=speech_of(platform))

    async def main() -> None:
        call = EmulatedCall(model, uniqueid=UNIQUEID)
        async with agi_server(runner.handle) as server:
            loop = asyncio.get_running_loop()
            runner.waker.watch(CALL_ID).put_nowait(f"dtmf:4@{loop.time() + 1000:.3f}")  # after every command
            await asyncio.wait_for(call.run("127.0.0.1", server.port, timeout=10), 10)

    try:
        run(main())
    finally:
        runner.close()
    assert eng.results == [Digits("4")]


@pytest.mark.parametrize(("status", "reason"), [
    ("ANSWER", "completed"), ("NOANSWER", "agent_no_answer"), ("BUSY", "agent_busy"),
    ("CHANUNAVAIL", "agent_unavailable"), ("INVALIDARGS", "agent_failed"), ("", "agent_failed")])
def test_only_an_answered_dial_is_a_conversation(platform, monkeypatch, status, reason) -> None:  # type: ignore[no-untyped-def]
    eng = _scripted(platform, monkeypatch, Connect(agent_id=7, endpoint="PJSIP/agent-7", call_id=CALL_ID),
                    Hangup(reason="done"))

    async def dial(target: str) -> tuple[int, str]:
        return 0, status

    model = ChannelModel(CHANNEL, dial=dial)
    runner = CallRunner(platform)
    try:
        run(_drive(platform, model, runner))
    finally:
        runner.close()
    assert eng.results == [AgentLegEnded(reason)]


def test_a_twilio_client_endpoint_is_never_dialled_from_asterisk(platform, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    eng = _scripted(platform, monkeypatch, Connect(agent_id=8, endpoint="client:agent-8", call_id=CALL_ID),
                    Hangup(reason="done"))
    model = ChannelModel(CHANNEL)
    runner = CallRunner(platform)
    try:
        run(_drive(platform, model, runner))
    finally:
        runner.close()
    assert eng.results == [AgentLegEnded("no_endpoint")]
    assert not any(line.startswith("EXEC Dial") for line in _commands(model))


def test_unanswered_agent_leg_requeues_the_caller_first_and_is_not_counted(demo) -> None:  # type: ignore[no-untyped-def]
    platform = demo
    dialled: list[str] = []

    async def main() -> ChannelModel:
        async def dial(target: str) -> tuple[int, str]:
            dialled.append(target)
            return 0, "NOANSWER"

        model = ChannelModel(CHANNEL, caller=Caller(inputs=["0", "1"]), dial=dial)
        runner = CallRunner(platform)
        call = EmulatedCall(model, uniqueid=UNIQUEID)
        async with agi_server(runner.handle) as server:
            task = asyncio.create_task(call.run("127.0.0.1", server.port, timeout=20))
            await until(lambda: model.music, 10)
            agent_id = next(p.id for p in platform.agents.profiles("11") if p.endpoint.startswith("PJSIP/"))
            platform.agents.login(agent_id)
            platform.agents.set_ready(agent_id)
            platform.agents.accept(agent_id, CALL_ID)
            await until(lambda: bool(dialled), 10)
            await until(lambda: platform.agents.call_status(CALL_ID).state == "waiting", 10)
            agent = platform.agents.agent_status(agent_id)
            assert agent.state == "not_ready" and agent.reason == "agent_no_answer"
            await call.hangup()
            await asyncio.wait_for(task, 10)
        runner.close()
        return model

    run(main(), timeout=40)
    stats = platform.agents.stats("national")
    assert stats["answered"] == 0
    ids = _prompt_ids(platform, CALL_ID)
    assert "queue_agent_no_answer" in ids and "survey" not in " ".join(ids)


def test_acd_offers_an_asterisk_call_only_to_agents_asterisk_can_dial(demo) -> None:  # type: ignore[no-untyped-def]
    from agents.domain import QueuedCall

    platform = demo
    profiles = platform.agents.profiles("11")
    twilio_agent = next(p.id for p in profiles if p.endpoint.startswith("client:"))
    sip_agent = next(p.id for p in profiles if p.endpoint.startswith("PJSIP/"))
    platform.agents.login(twilio_agent)
    platform.agents.set_ready(twilio_agent)
    platform.agents.enqueue(QueuedCall(call_id="ast-x1", queue_id="11-general", center_code="11", topic="general",
                                       skills=(), priority=0, caller="13800138000", language="zh",
                                       context={"channel": "asterisk"}))
    assert platform.agents.call_status("ast-x1").state == "waiting"
    platform.agents.login(sip_agent)
    platform.agents.set_ready(sip_agent)
    status = platform.agents.call_status("ast-x1")
    assert status.state == "offered" and status.agent_id == sip_agent
