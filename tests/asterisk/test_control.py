"""The AMI side of the platform: softphone states, DTMF wake-ups, transfers of bridged calls."""

from __future__ import annotations

import asyncio
from typing import Any

from agents.events import CallTransferred
from hotline.platform import Platform
from ivr.asterisk import calls
from ivr.asterisk.ami import AMIClient
from ivr.asterisk.control import AsteriskControl
from tests.asterisk.emulator import FakeAMIServer
from tests.asterisk.helpers import run
from tests.asterisk.helpers import until as _until
from web.events import SupervisorMonitor


async def _setup(platform: Platform, waker: Any = None) -> tuple[FakeAMIServer, AMIClient, AsteriskControl]:
    server = FakeAMIServer()
    await server.start()
    client = AMIClient("127.0.0.1", server.port, "hotline", "s3cret", ping_interval=0)
    control = AsteriskControl(platform, client, waker)
    await client.start()
    await client.wait_connected(3)
    return server, client, control


async def _teardown(server: FakeAMIServer, client: AMIClient, control: AsteriskControl) -> None:
    control.close()
    await client.stop()
    await server.stop()


def test_softphone_states_are_tracked(platform) -> None:  # type: ignore[no-untyped-def]
    async def main() -> dict[str, str]:
        server, client, control = await _setup(platform)
        server.emit("ContactStatus", "system,all", AOR="agent-1", ContactStatus="Reachable")
        server.emit("DeviceStateChange", Device="PJSIP/agent-3", State="INUSE")
        server.emit("PeerStatus", "system,all", Peer="PJSIP/agent-5", PeerStatus="Unreachable")
        server.emit("DeviceStateChange", Device="PJSIP/agent-3", State="NOT_INUSE")
        await _until(lambda: platform.store.hgetall("asterisk:devices").get("PJSIP/agent-3") == "available"
                     and len(platform.store.hgetall("asterisk:devices")) == 3)
        await _teardown(server, client, control)
        return platform.store.hgetall("asterisk:devices")

    devices = run(main())
    assert devices == {"PJSIP/agent-1": "registered", "PJSIP/agent-3": "available", "PJSIP/agent-5": "offline"}


def test_dtmf_over_ami_reaches_the_held_call(platform) -> None:  # type: ignore[no-untyped-def]
    async def main() -> str:
        waker = calls.Waker(platform.bus)
        calls.register(platform, "ast-9", "1795.9", "PJSIP/trunk-9", "n")
        server, client, control = await _setup(platform, waker)
        queue = waker.watch("ast-9")
        server.emit("DTMFEnd", "dtmf,all", Channel="PJSIP/trunk-9", Uniqueid="1795.9", Digit="1",
                    DurationMs="120", Direction="Received")
        item = await asyncio.wait_for(queue.get(), 3)
        await _teardown(server, client, control)
        waker.close()
        return item

    item = run(main())
    assert item.startswith("dtmf:1@") and float(item.split("@")[1]) > 0


def test_transfer_of_a_bridged_call_sets_the_token_and_redirects(platform) -> None:  # type: ignore[no-untyped-def]
    async def main() -> list[dict[str, str]]:
        server, client, control = await _setup(platform)
        server.add_channel("PJSIP/trunk-7", "1795.7")
        calls.register(platform, "ast-7", "1795.7", "PJSIP/trunk-7", "n")
        reply = await control.transfer("ast-7", "44", "tok.xyz", trunk="gd")
        assert reply["Message"] == "Redirect successful"
        assert server.channels["PJSIP/trunk-7"].vars == {"HOTLINE_HANDOFF": "tok.xyz", "HOTLINE_TRUNK": "gd"}
        await _teardown(server, client, control)
        return server.actions

    actions = run(main())
    redirect = next(a for a in actions if a.get("action") == "Redirect")
    assert (redirect["context"], redirect["exten"], redirect["channel"]) == ("hotline-transfer", "44", "PJSIP/trunk-7")


def test_console_transfers_of_a_bridged_call(platform) -> None:  # type: ignore[no-untyped-def]
    """acd.call.transferred: remote → Setvar token + Redirect of the caller; local → the agent leg
    (BRIDGEPEER) is hung up so the caller's Dial returns to the IVR."""

    async def main() -> FakeAMIServer:
        server, client, control = await _setup(platform)
        control.bind(asyncio.get_running_loop())
        caller = server.add_channel("PJSIP/trunk-8", "1795.8")
        caller.vars["BRIDGEPEER"] = "PJSIP/agent-3-00000002"
        server.add_channel("PJSIP/agent-3-00000002", "1795.9")
        calls.register(platform, "ast-8", "1795.8", "PJSIP/trunk-8", "n")
        platform.bus.emit(CallTransferred(call_id="ast-8", agent_id=3, kind="local", center_code="11",
                                          queue_id="11-pension", trunk=None, ticket=None))
        await _until(lambda: "PJSIP/agent-3-00000002" not in server.channels)
        platform.bus.emit(CallTransferred(call_id="ast-8", agent_id=3, kind="remote", center_code="44",
                                          queue_id=None, trunk="gd", ticket={"token": "tok.remote"}))
        await _until(lambda: any(a.get("action") == "Redirect" for a in server.actions))
        platform.bus.emit(CallTransferred(call_id="twilio-1", agent_id=3, kind="local",
                                          center_code="11", queue_id="11-general", trunk=None, ticket=None))
        await asyncio.sleep(0.05)
        await _teardown(server, client, control)
        return server

    server = run(main())
    assert server.channels["PJSIP/trunk-8"].vars["HOTLINE_HANDOFF"] == "tok.remote"
    redirect = next(a for a in server.actions if a.get("action") == "Redirect")
    assert (redirect["exten"], redirect["context"]) == ("44", "hotline-transfer")
    hangups = [a for a in server.actions if a.get("action") == "Hangup"]
    assert [h["channel"] for h in hangups] == ["PJSIP/agent-3-00000002"]  # nothing for a non-Asterisk call


def test_listen_whisper_barge_originate_chanspy_on_the_agent_leg(platform) -> None:  # type: ignore[no-untyped-def]
    """supervisor.monitor (from the console, audited there): the supervisor's phone is rung and put
    into ChanSpy on the agent's leg (the caller channel's BRIDGEPEER) with q / qw / qB."""

    async def main() -> FakeAMIServer:
        server, client, control = await _setup(platform)
        control.bind(asyncio.get_running_loop())
        caller = server.add_channel("PJSIP/trunk-4", "1795.4")
        caller.vars["BRIDGEPEER"] = "PJSIP/agent-3-00000004"
        server.add_channel("PJSIP/agent-3-00000004", "1795.5")
        calls.register(platform, "ast-4", "1795.4", "PJSIP/trunk-4", "n")
        for mode in ("listen", "whisper", "barge"):
            platform.bus.emit(SupervisorMonitor(call_id="ast-4", mode=mode, endpoint="PJSIP/sup-1", by=7))
        await _until(lambda: sum(a.get("action") == "Originate" for a in server.actions) == 3)
        await _teardown(server, client, control)
        return server

    server = run(main())
    spies = [a for a in server.actions if a.get("action") == "Originate"]
    assert {a["channel"] for a in spies} == {"PJSIP/sup-1"} and {a["application"] for a in spies} == {"ChanSpy"}
    assert sorted(a["data"] for a in spies) == ["PJSIP/agent-3-00000004,qBE", "PJSIP/agent-3-00000004,qE",
                                                "PJSIP/agent-3-00000004,qwE"]
