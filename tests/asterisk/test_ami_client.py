"""AMI client behaviour against the fake AMI server: MD5 login, reconnection with re-login, keep-alive,
subscriptions with filters, the back-pressure policy; and the node services."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from ivr.asterisk.ami import AMIClient
from ivr.asterisk.ami_protocol import Message, encode, md5_key
from ivr.asterisk.runtime import AGIService, AMIService, services
from tests.asterisk.emulator import FakeAMIServer
from tests.asterisk.helpers import run
from tests.asterisk.helpers import until as _until
from tests.conftest import make_settings


def _client(server: FakeAMIServer, **kwargs: Any) -> AMIClient:
    values: dict[str, Any] = {"ping_interval": 0, "backoff_initial": 0.01, "backoff_max": 0.05}
    values.update(kwargs)
    return AMIClient("127.0.0.1", server.port, "hotline", values.pop("secret", "s3cret"), **values)


def test_md5_key_and_encoding() -> None:
    import hashlib

    assert md5_key("123456789", "s3cret") == hashlib.md5(b"123456789s3cret").hexdigest()
    assert encode("Ping", {"ActionID": "a-1"}) == b"Action: Ping\r\nActionID: a-1\r\n\r\n"
    assert encode("Originate", [("Variable", ["A=1", "B=2"]), ("Data", None)]) == (
        b"Action: Originate\r\nVariable: A=1\r\nVariable: B=2\r\n\r\n")
    with pytest.raises(ValueError):
        encode("Setvar", {"Value": "x\r\nAction: Hangup"})


def test_md5_login_reconnect_and_relogin_keep_subscriptions() -> None:
    got: list[Message] = []

    async def main() -> None:
        server = FakeAMIServer()
        await server.start()
        client = _client(server, auth="md5")
        client.subscribe(got.append, ["Hangup"], where={"Channel": "PJSIP/a-1"})
        await client.start()
        await client.wait_connected()
        assert any(a.get("authtype") == "MD5" for a in server.actions)
        assert not any("secret" in a for a in server.actions)  # the secret never crosses the wire
        server.drop_connections()
        await _until(lambda: server.logins == 2 and client.connected.is_set())
        server.emit("Hangup", Channel="PJSIP/b-2", Uniqueid="2")
        server.emit("Hangup", Channel="PJSIP/a-1", Uniqueid="1")
        await _until(lambda: len(got) == 1)
        assert got[0]["Uniqueid"] == "1" and client.connects == 2
        await client.stop()
        await server.stop()

    run(main())


def test_wrong_secret_backs_off_and_keeps_trying() -> None:
    async def main() -> None:
        server = FakeAMIServer()
        await server.start()
        client = _client(server, secret="wrong")
        await client.start()
        await _until(lambda: len(client.errors) >= 2)
        assert all("Authentication failed" in e for e in client.errors) and not client.connected.is_set()
        await client.stop()
        await server.stop()

    run(main())


def test_keepalive_detects_a_silent_server_and_reconnects() -> None:
    async def main() -> None:
        server = FakeAMIServer()
        await server.start()
        client = _client(server, ping_interval=0.05, ping_timeout=0.1)
        await client.start()
        await client.wait_connected()
        await asyncio.sleep(0.12)
        assert sum(a.get("action", "").lower() == "ping" for a in server.actions) >= 1
        server.silent = True
        await _until(lambda: not client.connected.is_set())
        server.silent = False
        await _until(lambda: client.connected.is_set() and client.connects >= 2)
        await client.stop()
        await server.stop()

    run(main())


def test_event_flood_drops_oldest_but_actions_flow() -> None:
    received: list[str] = []
    overflows: list[int] = []

    async def main() -> None:
        server = FakeAMIServer()
        await server.start()
        client = _client(server, queue_size=10)
        gate = asyncio.Event()

        async def slow(msg: Message) -> None:
            await gate.wait()
            received.append(msg["Uniqueid"])

        client.subscribe(slow, ["Newchannel"], on_overflow=overflows.append)
        await client.start()
        await client.wait_connected()
        for n in range(60):
            server.emit("Newchannel", Channel=f"PJSIP/x-{n}", Uniqueid=str(n))
        pong = await client.action("Ping")  # responses are never stuck behind events
        assert pong["Ping"] == "Pong"
        await _until(lambda: client.dropped_events >= 49)
        gate.set()
        await _until(lambda: len(received) + client.dropped_events == 60)
        await client.stop()
        await server.stop()

    run(main())
    assert overflows
    assert received[-10:] == [str(n) for n in range(50, 60)]  # the newest ten survive, in order


def test_services_follow_the_settings(tmp_path) -> None:  # type: ignore[no-untyped-def]
    class P:
        def __init__(self, **overrides: Any) -> None:
            from core.clock import FakeClock
            from core.events import InProcessBus
            from core.state import MemoryStore

            self.settings = make_settings(tmp_path, agi_port=0, **overrides)
            self.bus = InProcessBus("n", FakeClock())
            self.store = MemoryStore()

    only_agi = services(P())
    assert [type(s) for s in only_agi] == [AGIService]
    both = services(P(extra={"ami_host": "127.0.0.1", "ami_username": "hotline", "ami_secret": "s3cret"}))
    assert [type(s) for s in both] == [AGIService, AMIService]

    async def main() -> None:
        server = FakeAMIServer()
        await server.start()
        svc = services(P(extra={"ami_host": "127.0.0.1", "ami_port": server.port, "ami_username": "hotline",
                              "ami_secret": "s3cret"}))
        for s in svc:
            await s.start()
        agi, ami = svc
        assert agi.server.port > 0
        await ami.client.wait_connected()
        for s in reversed(svc):
            await s.stop()
        await server.stop()

    run(main())
