"""Console actions reach the line (emulated Asterisk, real engine, switch and ACD): hang-up ends the
agent leg over AMI, a local transfer puts the caller in the new queue (never the survey), hold and
resume start and stop music on hold for the caller."""

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

UNIQUEID = "1795800000.31"
CALL_ID = f"ast-{UNIQUEID}"
CHANNEL = "PJSIP/trunk-0000001f"


@pytest.fixture
def demo(platform):  # type: ignore[no-untyped-def]
    import agents.demo
    import ivr.demo
    import switch.demo

    switch.demo.load_demo(platform)
    agents.demo.load_demo(platform)
    ivr.demo.load_demo(platform)
    return platform


def _ready_agent(platform: Platform, province: str) -> int:
    agent_id = next(p.id for p in platform.agents.profiles(province) if p.endpoint.startswith("PJSIP/"))
    platform.agents.login(agent_id)
    platform.agents.set_ready(agent_id)
    return agent_id


def _prompt_ids(platform: Platform) -> list[str]:
    row = platform.ivr.transcript(CALL_ID) or {}
    return [e["id"] for e in row.get("events", []) if e.get("type") == "prompt"]


async def _connected_call(platform: Platform, scenario: Any) -> tuple[ChannelModel, FakeAMIServer]:
    """A caller presses 0 then 1, is queued, an agent in Beijing accepts; the emulated Dial bridges them
    (the agent leg is a channel of the fake AMI server, BRIDGEPEER of the caller) until that leg is hung up;
    `scenario(agent_id, agent_leg)` runs while they talk."""
    ami_server = FakeAMIServer()
    await ami_server.start()
    client = AMIClient("127.0.0.1", ami_server.port, "hotline", "s3cret", ping_interval=0)
    runner = CallRunner(platform)
    control = AsteriskControl(platform, client, runner.waker)
    control.bind(asyncio.get_running_loop())
    await client.start()
    await client.wait_connected(3)
    caller = ami_server.add_channel(CHANNEL, UNIQUEID)
    legs: list[str] = []

    async def dial(target: str) -> tuple[int, str]:
        leg = ami_server.add_channel(f"{target}-{len(legs):08x}", f"1795800001.{len(legs)}")
        legs.append(leg.name)
        caller.vars["BRIDGEPEER"] = leg.name
        await until(lambda: leg.name not in ami_server.channels, 15)  # until someone hangs the leg up
        caller.vars.pop("BRIDGEPEER", None)
        return 0, "ANSWER"

    model = ChannelModel(CHANNEL, caller=Caller(inputs=["0", "1"]), dial=dial)
    call = EmulatedCall(model, uniqueid=UNIQUEID)
    async with agi_server(runner.handle) as server:
        task = asyncio.create_task(call.run("127.0.0.1", server.port, timeout=30))
        await until(lambda: model.music, 10)
        agent_id = _ready_agent(platform, "11")
        platform.agents.accept(agent_id, CALL_ID)
        await until(lambda: bool(legs), 10)
        await scenario(agent_id, legs[0], ami_server, model)
        if not task.done():
            await call.hangup()
        await asyncio.wait_for(task, 15)
    control.close()
    await client.stop()
    await ami_server.stop()
    runner.close()
    return model, ami_server


def test_console_hang_up_ends_the_agent_leg_on_asterisk(demo) -> None:  # type: ignore[no-untyped-def]
    platform = demo

    async def scenario(agent_id: int, leg: str, ami: FakeAMIServer, model: ChannelModel) -> None:
        platform.agents.end_call(CALL_ID, "agent_hangup")  # what the console's hang-up button calls
        await until(lambda: leg not in ami.channels, 10)
        await until(lambda: "survey" in " ".join(_prompt_ids(platform)) or model.dead, 10)

    _model, ami = run(_connected_call(platform, scenario), timeout=60)
    hangups = [a for a in ami.actions if a.get("action") == "Hangup"]
    assert hangups and hangups[0]["channel"].startswith("PJSIP/agent-")
    assert platform.agents.call_status(CALL_ID).state == "ended"


def test_local_transfer_requeues_the_caller_there_without_the_survey(demo) -> None:  # type: ignore[no-untyped-def]
    platform = demo

    async def scenario(agent_id: int, leg: str, ami: FakeAMIServer, model: ChannelModel) -> None:
        model.music = False
        result = platform.switch.transfer(agent_id, CALL_ID, center_code="44", topic="general", notes="转广东")
        assert result["kind"] == "local"
        await until(lambda: leg not in ami.channels, 10)  # the agent leg is cut over AMI
        await until(lambda: model.music, 10)  # the caller waits again, with music
        status = platform.agents.call_status(CALL_ID)
        assert status.state in ("waiting", "offered") and status.queue_id.startswith("44")

    run(_connected_call(platform, scenario), timeout=60)
    ids = _prompt_ids(platform)
    assert "transferring" in ids
    assert not any(i.startswith("survey") for i in ids), ids


def test_hold_and_resume_play_and_stop_music_for_the_caller(demo) -> None:  # type: ignore[no-untyped-def]
    platform = demo

    async def scenario(agent_id: int, leg: str, ami: FakeAMIServer, model: ChannelModel) -> None:
        platform.agents.hold(agent_id, CALL_ID)
        await until(lambda: any(a.get("action") == "Originate" for a in ami.actions), 10)
        await until(lambda: ami.channels[leg].vars.get("MUTED") == "on", 10)
        platform.agents.resume(agent_id, CALL_ID)
        await until(lambda: ami.channels[leg].vars.get("MUTED") == "off", 10)
        platform.agents.end_call(CALL_ID, "agent_hangup")

    _model, ami = run(_connected_call(platform, scenario), timeout=60)
    originate = next(a for a in ami.actions if a.get("action") == "Originate")
    assert originate["channel"] == "Local/s@hotline-hold/n" and originate["application"] == "ChanSpy"
    assert originate["data"] == f"{CHANNEL},qwE"
    hold_leg = next(a for a in ami.actions if a.get("action") == "Hangup")["channel"]
    assert hold_leg.startswith("Local/s@hotline-hold")  # resume hung up the music before anything else


def test_a_callback_whose_originate_fails_frees_the_agent_and_is_retried(demo) -> None:  # type: ignore[no-untyped-def]
    """Press 1 on hold (over AMI), hang up; an agent accepts the callback; the citizen's line is busy."""
    platform = demo

    async def main() -> int:
        ami_server = FakeAMIServer(originate_outcome=lambda channel: 5)  # busy
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
            task = asyncio.create_task(call.run("127.0.0.1", server.port, timeout=20))
            await until(lambda: model.music, 10)
            ami_server.emit("DTMFEnd", "dtmf,all", Channel=CHANNEL, Uniqueid=UNIQUEID, Digit="1", Direction="Received")
            await until(lambda: platform.agents.call_status(CALL_ID).state == "callback", 10)
            await call.hangup()
            await asyncio.wait_for(task, 10)
        agent_id = _ready_agent(platform, "11")
        platform.agents.accept(agent_id, CALL_ID)
        await until(lambda: platform.agents.agent_status(agent_id).state == "not_ready", 10)
        control.close()
        await client.stop()
        await ami_server.stop()
        runner.close()
        return agent_id

    agent_id = run(main(), timeout=60)
    agent = platform.agents.agent_status(agent_id)
    assert agent.state == "not_ready" and agent.reason == "callback_busy" and not agent.call_id
    retry = [c for c in platform.agents.callbacks(status="retry") if c["call_id"] == CALL_ID]
    assert len(retry) == 1 and retry[0]["attempts"] == 1 and retry[0]["outcome"] == "busy"
    assert platform.agents.stats("national")["answered"] == 0
