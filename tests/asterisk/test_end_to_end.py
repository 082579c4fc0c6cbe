"""End to end with the real IVR engine, switch and ACD: a call arrives over FastAGI from the emulated
Asterisk, walks the default flow, queues, is offered to an agent, is connected and ends; a caller who
hangs up while queued (seen over AMI) is counted as abandoned; a callback is originated over AMI."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from hotline.platform import Platform
from ivr.asterisk.ami import AMIClient
from ivr.asterisk.channel import CallRunner
from ivr.asterisk.control import AsteriskControl
from tests.asterisk.emulator import Caller, ChannelModel, EmulatedCall, FakeAMIServer
from tests.asterisk.helpers import agi_server, run, until


def _until(cond: Any, timeout: float = 5.0) -> Any:
    """`until` with more time: the whole engine, switch and ACD run behind these calls."""
    return until(cond, timeout)

UNIQUEID = "1795600000.11"
CALL_ID = f"ast-{UNIQUEID}"
CHANNEL = "PJSIP/trunk-0000000b"


@pytest.fixture
def demo(platform):  # type: ignore[no-untyped-def]
    import agents.demo
    import ivr.demo
    import switch.demo

    switch.demo.load_demo(platform)
    agents.demo.load_demo(platform)
    ivr.demo.load_demo(platform)
    return platform



def _beijing_agent(platform: Platform) -> int:
    return next(p.id for p in platform.agents.profiles("11") if p.endpoint.startswith("PJSIP/"))


def test_call_walks_the_flow_queues_is_connected_and_counted(demo) -> None:  # type: ignore[no-untyped-def]
    platform = demo
    dialled: list[str] = []
    agent_done = asyncio.Event

    async def main() -> ChannelModel:
        hang_up = agent_done()

        async def dial(target: str) -> tuple[int, str]:
            dialled.append(target)
            await hang_up.wait()  # the agent and the citizen talk
            return 0, "ANSWER"

        # main menu: 0 (agent); province confirmation: 1; then silence (the survey times out)
        model = ChannelModel(CHANNEL, caller=Caller(inputs=["0", "1"]), dial=dial)
        runner = CallRunner(platform)
        call = EmulatedCall(model, uniqueid=UNIQUEID)
        async with agi_server(runner.handle) as server:
            task = asyncio.create_task(call.run("127.0.0.1", server.port, timeout=10))
            await _until(lambda: model.music)
            status = platform.agents.call_status(CALL_ID)
            assert status.state == "waiting" and status.queue_id == "11-general"
            agent_id = _beijing_agent(platform)
            platform.agents.login(agent_id)
            platform.agents.set_ready(agent_id)
            assert platform.agents.call_status(CALL_ID).state == "offered"
            platform.agents.accept(agent_id, CALL_ID)
            await _until(lambda: bool(dialled))
            assert platform.agents.call_status(CALL_ID).state == "connected"
            hang_up.set()
            await asyncio.wait_for(task, 10)
        runner.close()
        return model

    model = run(main(), timeout=30)
    assert dialled == ["PJSIP/agent-1"] or dialled[0].startswith("PJSIP/agent-")
    sent = [line for line, _ in model.log]
    assert "SET MUSIC ON default" in sent and sent[-1] == "HANGUP" and model.vars["HOTLINE_DONE"] == "1"
    stats = platform.agents.stats("national")
    assert stats["offered"] == 1 and stats["answered"] == 1 and stats["abandoned"] == 0
    assert platform.agents.call_status(CALL_ID).state == "ended"


def test_ami_hangup_while_queued_counts_as_abandoned_once(demo) -> None:  # type: ignore[no-untyped-def]
    platform = demo

    async def main() -> None:
        ami_server = FakeAMIServer()
        await ami_server.start()
        client = AMIClient("127.0.0.1", ami_server.port, "hotline", "s3cret", auth="md5", ping_interval=0)
        runner = CallRunner(platform)
        control = AsteriskControl(platform, client, runner.waker)
        await client.start()
        await client.wait_connected(3)
        model = ChannelModel(CHANNEL, caller=Caller(inputs=["0", "1"]))
        call = EmulatedCall(model, uniqueid=UNIQUEID)
        async with agi_server(runner.handle) as server:
            task = asyncio.create_task(call.run("127.0.0.1", server.port, timeout=10))
            await _until(lambda: model.music)
            assert platform.agents.call_status(CALL_ID).state == "waiting"
            ami_server.add_channel(CHANNEL, UNIQUEID)
            await client.hangup(CHANNEL)  # Asterisk reports the Hangup event to every session
            await _until(lambda: platform.agents.call_status(CALL_ID).state == "abandoned")
            await call.hangup()  # the AGI side sees it too: counted once only
            await asyncio.wait_for(task, 10)
        control.close()
        await client.stop()
        await ami_server.stop()
        runner.close()

    run(main(), timeout=30)
    stats = platform.agents.stats("national")
    assert stats["abandoned"] == 1 and stats["answered"] == 0


def test_callback_is_originated_over_ami(demo) -> None:  # type: ignore[no-untyped-def]
    platform = demo

    async def main() -> Any:
        ami_server = FakeAMIServer()
        await ami_server.start()
        client = AMIClient("127.0.0.1", ami_server.port, "hotline", "s3cret", ping_interval=0)
        control = AsteriskControl(platform, client)
        await client.start()
        await client.wait_connected(3)
        result = await control.originate_callback("cb-7", "13800138000", "PJSIP/agent-3", agent_id=3)
        control.close()
        await client.stop()
        await ami_server.stop()
        return result, ami_server.actions

    result, actions = run(main())
    assert result.success and result.reason == 4 and result.uniqueid
    originate = next(a for a in actions if a.get("action") == "Originate")
    assert originate["channel"] == "PJSIP/13800138000@national" and originate["context"] == "hotline-callback"
    assert originate["async"] == "true"
    from ivr.asterisk import calls

    assert calls.call_for(platform, result.uniqueid) == "cb-7"


def test_caller_asks_for_a_callback_on_hold_and_is_rung_back_over_ami(demo, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Press 1 while queued (the key arrives over AMI: digits during music never reach AGI), hang up,
    an agent accepts the callback, the platform originates the call to the citizen."""
    platform = demo
    numbers: dict[str, str] = {}
    # The ACD does not expose the unmasked callback number yet (see the report); stand in for it here.
    monkeypatch.setattr(type(platform.agents), "callback_number",
                        lambda self, call_id: numbers.get(call_id, "13800138000"), raising=False)

    async def main() -> list[dict[str, str]]:
        ami_server = FakeAMIServer()
        await ami_server.start()
        client = AMIClient("127.0.0.1", ami_server.port, "hotline", "s3cret", ping_interval=0)
        runner = CallRunner(platform)
        control = AsteriskControl(platform, client, runner.waker)
        control.bind(asyncio.get_running_loop())
        await client.start()
        await client.wait_connected(3)
        model = ChannelModel(CHANNEL, caller=Caller(inputs=["0", "1"]))
        call = EmulatedCall(model, uniqueid=UNIQUEID)
        async with agi_server(runner.handle) as server:
            task = asyncio.create_task(call.run("127.0.0.1", server.port, timeout=10))
            await _until(lambda: model.music)
            ami_server.emit("DTMFEnd", "dtmf,all", Channel=CHANNEL, Uniqueid=UNIQUEID, Digit="1",
                            Direction="Received")
            await _until(lambda: platform.agents.call_status(CALL_ID).state == "callback")
            await call.hangup()
            await asyncio.wait_for(task, 10)
        assert platform.agents.call_status(CALL_ID).state == "callback"  # not abandoned: keeps its place
        agent_id = _beijing_agent(platform)
        platform.agents.login(agent_id)
        platform.agents.set_ready(agent_id)
        platform.agents.accept(agent_id, CALL_ID)
        await _until(lambda: any(a.get("action") == "Originate" for a in ami_server.actions))
        await asyncio.sleep(0.05)
        control.close()
        await client.stop()
        await ami_server.stop()
        runner.close()
        return ami_server.actions

    actions = run(main(), timeout=30)
    originate = next(a for a in actions if a.get("action") == "Originate")
    assert originate["channel"] == "PJSIP/13800138000@national"
    assert platform.agents.stats("national")["abandoned"] == 0
    # the citizen answered (Reason 4): the callback is done, the agent stays on the call
    assert [(c["call_id"], c["outcome"]) for c in platform.agents.callbacks(status="done")] == [(CALL_ID, "reached")]
    assert platform.agents.call_status(CALL_ID).state == "connected"


def test_a_callback_nobody_answers_is_retried(demo) -> None:  # type: ignore[no-untyped-def]
    """Originate Reason 3 (no answer): the agent's leg ends and the callback waits for its retry."""
    platform = demo
    from agents.domain import QueuedCall

    async def main() -> None:
        ami_server = FakeAMIServer(originate_outcome=lambda channel: 3)
        await ami_server.start()
        client = AMIClient("127.0.0.1", ami_server.port, "hotline", "s3cret", ping_interval=0)
        control = AsteriskControl(platform, client)
        control.bind(asyncio.get_running_loop())
        await client.start()
        await client.wait_connected(3)
        platform.agents.enqueue(QueuedCall(call_id="gone-1", queue_id="11-general", center_code="11",
                                           topic="general", caller="13800138000"))
        platform.clock.advance(30)
        platform.agents.abandon("gone-1")
        missed = platform.agents.callbacks(status="pending")[0]
        call_id = platform.agents.dial_callback(missed["id"]).call_id
        agent_id = _beijing_agent(platform)
        platform.agents.login(agent_id)
        platform.agents.set_ready(agent_id)
        platform.agents.accept(agent_id, call_id)
        await _until(lambda: bool(platform.agents.callbacks(status="retry")))
        control.close()
        await client.stop()
        await ami_server.stop()

    run(main(), timeout=30)
    (retry,) = platform.agents.callbacks(status="retry")
    assert retry["outcome"] == "no_answer" and retry["attempts"] == 1 and retry["next_attempt_at"]
