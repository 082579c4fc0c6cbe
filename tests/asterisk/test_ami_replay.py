"""Our AMI client against the recorded Asterisk side of the AMI transcripts: the replay server checks
every action our client sends (ActionID values aside) and answers with the recorded bytes."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from ivr.asterisk.ami import AMIClient
from ivr.asterisk.ami_protocol import AMIActionError, AMIDisconnected, Message, MessageAssembler
from tests.asterisk import transcripts as tr
from tests.asterisk.helpers import run
from tests.asterisk.replay import AMIReplayServer

pytestmark = pytest.mark.usefixtures("_transcripts")


@pytest.fixture
def _transcripts() -> None:
    tr.require()


def _from(script: list[tr.Chunk], marker: bytes) -> list[tr.Chunk]:
    """The recorded connection from the chunk containing `marker` on (banner kept)."""
    start = next(i for i, c in enumerate(script) if marker in c.data)
    return [script[0], *script[start:]]


async def _drive(scripts: list[list[tr.Chunk]], body: Callable[[AMIClient], Awaitable[Any]], *,
                 secret: str = "probe-secret", username: str = "probe", events: str | None = None,
                 connected: bool = True, before: Callable[[AMIClient], Any] | None = None,
                 ) -> tuple[Any, AMIReplayServer, AMIClient]:
    server = AMIReplayServer(scripts)
    await server.start()
    client = AMIClient("127.0.0.1", server.port, username, secret, events=events, ping_interval=0,
                       backoff_initial=0.05, backoff_max=0.1, action_timeout=3)
    if before is not None:
        before(client)
    await client.start()
    try:
        if connected:
            await client.wait_connected(3)
        result = await body(client)
    finally:
        await client.stop()
        await server.stop()
    return result, server, client


def test_login_failures_close_and_are_reported() -> None:
    scripts = tr.chunks("ami-01-login", "ami#1")
    bad = _from(scripts, b"Action: Login")
    nouser = tr.chunks("ami-01-login", "ami#3")

    async def body(client: AMIClient) -> str | None:
        await asyncio.sleep(0.3)
        return client.errors[0] if client.errors else None

    async def main() -> None:
        err, server, client = await _drive([bad], body, secret="wrong-secret", connected=False)
        assert server.reports[0].ok, server.reports[0].mismatches
        assert err is not None and "Authentication failed" in err and not client.connected.is_set()
        err, server, _ = await _drive([nouser], body, username="nosuchuser", secret="x", connected=False)
        assert server.reports[0].ok and "Authentication failed" in (err or "")

    run(main())


def test_login_ping_raw_messages_and_logoff() -> None:
    events: list[str] = []

    async def body(client: AMIClient) -> dict[str, Message]:
        out = {"again": await client.action("Login", {"Username": "probe", "Secret": "probe-secret"}),
               "ping": await client.action("Ping"),
               "lower": await client.request([("action", "ping")]),
               "noaction": await client.request([("Foo", "bar")])}
        await asyncio.sleep(0.05)
        return out

    async def main() -> None:
        out, server, client = await _drive([tr.chunks("ami-01-login", "ami#2")], body,
                                           before=lambda c: c.subscribe(lambda m: events.append(m.event or "")))
        assert server.reports[0].ok, server.reports[0].mismatches
        assert client.banner == "Asterisk Call Manager/11.0.0"
        assert out["again"]["Message"] == "Already authenticated"
        assert out["ping"]["Ping"] == "Pong" and out["ping"]["Timestamp"].startswith("1795526669.")
        assert out["lower"]["Ping"] == "Pong"
        assert out["noaction"]["Response"] == "Error" and out["noaction"]["Message"] == "Missing action in request"
        assert events[:2] == ["FullyBooted", "SuccessfulAuth"] and "RequestBadFormat" in events

    run(main())


def test_originate_async_outcomes() -> None:
    async def body(client: AMIClient) -> dict[str, Any]:
        out: dict[str, Any] = {}
        out["ok"] = await client.originate("Local/140@cap-ami", context="cap-ami", exten="141", priority=1,
                                           caller_id='"Orig Tester" <5558000>', variables={"ORIG_VAR": "abc"},
                                           timeout_ms=10000)
        with pytest.raises(AMIActionError) as exc:
            await client.originate("Local/140@cap-ami", context="cap-nosuch-context", exten="999", priority=1)
        out["noexten"] = exc.value.response["Message"]
        out["badlocal"] = await client.originate("Local/999@cap-nosuch-context", application="Wait", data="5")
        with pytest.raises(AMIActionError) as exc:
            await client.action("Originate", {"Channel": "Local/999@cap-nosuch-context", "Application": "Wait",
                                              "Data": "5", "Async": "false"})
        out["sync"] = exc.value.response["Message"]
        out["busy"] = await client.originate("Local/486@cap-agents", application="Wait", data="5")
        out["noanswer"] = await client.originate("Local/480@cap-agents", application="Wait", data="5",
                                                 timeout_ms=3000)
        with pytest.raises(AMIActionError) as exc:
            await client.action("Originate", {"Application": "Wait", "Data": "1"})
        out["nochannel"] = exc.value.response["Message"]
        return out

    async def main() -> None:
        out, server, client = await _drive([tr.chunks("ami-02-originate-async", "ami")], body, events="on")
        assert server.reports[0].ok, server.reports[0].mismatches
        ok = out["ok"]
        assert (ok.success, ok.reason, ok.channel, ok.uniqueid) == (True, 4, "Local/140@cap-ami-0000000e;1",
                                                                    "1795526672.28")
        assert out["noexten"] == "Extension does not exist."
        assert (out["badlocal"].success, out["badlocal"].reason, out["badlocal"].uniqueid) == (False, 0, None)
        assert out["sync"] == "Originate failed"
        assert (out["busy"].reason, out["noanswer"].reason) == (5, 3)
        assert out["nochannel"] == "Channel not specified"
        assert client._pending == {}

    run(main())


def test_event_lists_and_queue_events() -> None:
    seen: list[Message] = []

    async def body(client: AMIClient) -> dict[str, Any]:
        client.subscribe(seen.append, ["QueueCallerJoin", "QueueCallerAbandon", "AgentConnect"])
        out: dict[str, Any] = {}
        await client.action("QueueAdd", {"Queue": "cap-queue", "Interface": "Local/210@cap-agents",
                                         "MemberName": "agent210", "Penalty": 0, "Paused": "false"})
        with pytest.raises(AMIActionError, match="Already there"):
            await client.action("QueueAdd", {"Queue": "cap-queue", "Interface": "Local/210@cap-agents"})
        with pytest.raises(AMIActionError, match="No such queue"):
            await client.action("QueueAdd", {"Queue": "cap-nosuchqueue", "Interface": "Local/210@cap-agents"})
        out["status"] = await client.action_list("QueueStatus", {"Queue": "cap-queue"})
        out["summary"] = await client.action_list("QueueSummary", {"Queue": "cap-queue"})
        await client.originate("Local/700@cap-ami", application="Wait", data="30",
                               caller_id='"Queue Caller" <5550700>')
        await client.action("QueuePause", {"Queue": "cap-queue", "Interface": "Local/210@cap-agents",
                                           "Paused": "true", "Reason": "lunch"})
        with pytest.raises(AMIActionError, match="Interface not found"):
            await client.action("QueuePause", {"Queue": "cap-queue", "Interface": "Local/999@cap-agents",
                                               "Paused": "true"})
        await client.originate("Local/700@cap-ami", application="Wait", data="30",
                               caller_id='"Impatient Caller" <5550701>')
        out["waiting"] = await client.action_list("QueueStatus", {"Queue": "cap-queue"})
        await client.hangup("Local/700@cap-ami-00000017;1")
        await client.action("QueuePause", {"Queue": "cap-queue", "Interface": "Local/210@cap-agents",
                                           "Paused": "false"})
        await client.action_list("QueueSummary", {"Queue": "cap-queue"})
        await client.action("QueueRemove", {"Queue": "cap-queue", "Interface": "Local/210@cap-agents"})
        for queue in ("cap-queue", "cap-nosuchqueue"):
            with pytest.raises(AMIActionError):
                await client.action("QueueRemove", {"Queue": queue, "Interface": "Local/210@cap-agents"})
        out["unknown"] = await client.action_list("QueueStatus", {"Queue": "cap-nosuchqueue"})
        await asyncio.sleep(0.05)
        return out

    async def main() -> None:
        out, server, _ = await _drive([tr.chunks("ami-04-queue", "ami")], body, events="agent,call")
        assert server.reports[0].ok, server.reports[0].mismatches
        response, items = out["status"]
        assert response["Message"] == "Queue status will follow"
        assert [m.event for m in items] == ["QueueParams", "QueueMember"]
        assert [m.event for m in out["summary"][1]] == ["QueueSummary"]
        assert "QueueEntry" in [m.event for m in out["waiting"][1]]
        assert out["unknown"][1] == []
        names = [m.event for m in seen]
        assert names.count("QueueCallerJoin") == 2 and names.count("QueueCallerAbandon") == 1
        assert "AgentConnect" in names
        assert all(m.event != "QueueParams" for m in seen)  # list items are not broadcast

    run(main())


def test_command_output_in_22x_format() -> None:
    async def body(client: AMIClient) -> dict[str, Any]:
        out = {}
        for cli in ("core show version", "core show uptime", "queue show cap-support", "queue show",
                    "dialplan show 101@cap-agi", "core show channels", "no such command",
                    "agi show commands topic answer"):
            out[cli] = await client.command(cli)
        out["missing"] = await client.request([("Action", "Command")])
        return out

    async def main() -> None:
        out, server, _ = await _drive([tr.chunks("ami-06-command", "ami")], body, events="off")
        assert server.reports[0].ok, server.reports[0].mismatches
        assert out["core show version"] == [
            "Asterisk 22.10.1 built by root @ vm on a x86_64 running Linux on 2026-11-24 12:56:29 UTC"]
        assert out["queue show cap-support"][-2:] == ["", ""]
        assert out["queue show cap-support"][1] == "   Members: "
        assert out["no such command"][0].startswith("No such command 'no such command'")
        assert out["agi show commands topic answer"][1] == "  -= Info about AGI 'answer' =- "
        assert out["missing"]["Message"] == "No command provided"

    run(main())


def test_disconnect_fails_pending_actions() -> None:
    """ami-01 ends with Logoff and EOF: an action still waiting then fails at once, not at its timeout."""
    script = tr.chunks("ami-01-login", "ami#2")
    cut = [c for c in script if b"Ping" not in c.data or c.dir == "<<"]

    async def body(client: AMIClient) -> str:
        await client.action("Login", {"Username": "probe", "Secret": "probe-secret"})
        try:
            await client.action("Ping", timeout=3)
        except AMIDisconnected as exc:
            return str(exc)
        return "answered"

    async def main() -> None:
        # the replay stops at the first mismatch (our Ping where it recorded one with another ActionID
        # is fine; here the script lacks it) and closes the socket
        result, _, _ = await _drive([cut[: cut.index(next(c for c in cut if b"login-again" in c.data)) + 2]], body)
        assert result.startswith("AMI connection lost")

    run(main())


@pytest.mark.parametrize("name", (*tr.AMI_FILES, "agi-07-asynchronous-hangup-after-agi"))
def test_every_recorded_ami_stream_parses(name: str) -> None:
    """The assembler turns each recorded AMI stream into exactly the messages of the transcript."""
    for conn in tr.conns(name, "ami"):
        data = tr.stream(name, conn, "<<")
        lines = data.decode("utf-8").split("\r\n")
        assert lines[0] == "Asterisk Call Manager/11.0.0"
        assembler = MessageAssembler()
        messages = [m for m in (assembler.feed(line) for line in lines[1:]) if m is not None]
        assert len(messages) == data.count(b"\r\n\r\n")
        for msg in messages:
            assert msg.event is not None or msg.get("Response") is not None
            if msg.event == "OriginateResponse":
                assert msg.response is None and msg.get("Response") in ("Success", "Failure")


def test_redirect_variables_channels_and_hangup() -> None:
    async def body(client: AMIClient) -> dict[str, Any]:
        out: dict[str, Any] = {}
        chan = "Local/120@cap-ami-00000018;2"
        first = await client.originate("Local/120@cap-ami", application="Wait", data="60",
                                       caller_id='"Redirect Tester" <5551200>')
        out["first"] = first
        out["redirect"] = (await client.redirect(chan, "cap-ami", "121"))["Message"]
        await client.setvar(chan, "CAPVAR", "hello world")
        out["vars"] = [await client.getvar(chan, name) for name in ("CAPVAR", "NOSUCHVAR", "CALLERID(num)",
                                                                    "AGISTATUS")]
        await client.setvar(None, "CAPGLOBAL", "g1")
        out["global"] = await client.getvar(None, "CAPGLOBAL")
        with pytest.raises(AMIActionError, match="No such channel"):
            await client.getvar("Local/nosuch@cap-ami-00000000;2", "X")
        with pytest.raises(AMIActionError, match="Channel does not exist"):
            await client.redirect("Local/nosuch@cap-ami-00000000;2", "cap-ami", "121")
        out["channels"] = [m["Channel"] for m in (await client.action_list("CoreShowChannels"))[1]]
        out["hangup"] = (await client.hangup("Local/120@cap-ami-00000018;1"))["Message"]
        with pytest.raises(AMIActionError, match="No such channel"):
            await client.hangup("Local/120@cap-ami-00000018;1")
        out["after"] = (await client.action_list("CoreShowChannels"))[1]
        # the recorded client redirected before this Originate's OriginateResponse: both run at once
        second = asyncio.ensure_future(client.originate("Local/121@cap-ami", application="Wait", data="60",
                                                        caller_id='"Redirect Tester" <5551200>'))
        await asyncio.sleep(0.05)
        out["badexten"] = (await client.redirect("Local/121@cap-ami-00000019;2", "cap-ami", "999"))["Message"]
        out["second"] = await second
        await asyncio.sleep(0.05)
        return out

    async def main() -> None:
        out, server, _ = await _drive([tr.chunks("ami-05-redirect-hangup", "ami")], body, events="on")
        assert server.reports[0].ok, server.reports[0].mismatches
        assert out["first"].success and out["redirect"] == "Redirect successful"
        assert out["vars"] == ["hello world", "", "5551200", "HANGUP"]  # AGISTATUS after the Redirect
        assert out["global"] == "g1"
        assert sorted(out["channels"]) == ["Local/120@cap-ami-00000018;1", "Local/120@cap-ami-00000018;2"]
        assert out["hangup"] == "Channel Hungup" and out["after"] == []
        assert out["badexten"] == "Redirect successful"  # even toward a missing extension (gotcha 11)
        assert not out["second"].success and out["second"].channel == "Local/121@cap-ami"  # hung up by it

    run(main())
