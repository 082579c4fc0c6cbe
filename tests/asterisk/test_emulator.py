"""The emulator must answer like the real Asterisk: the recorded commands of each capture are fed to
it and its replies compared with the recorded ones, line for line (HANGUP lines included)."""

from __future__ import annotations

import asyncio

import pytest

from ivr.asterisk.ami import AMIClient
from ivr.asterisk.ami_protocol import AMIActionError
from tests.asterisk import transcripts as tr
from tests.asterisk.emulator import Caller, ChannelModel, FakeAMIServer, split_args, usage_texts
from tests.asterisk.helpers import run

pytestmark = pytest.mark.usefixtures("_transcripts")


@pytest.fixture
def _transcripts() -> None:
    tr.require()


def recorded_exchange(name: str, conn: str) -> tuple[list[str], list[list[str]]]:
    """The commands of one connection and, for each, the reply lines recorded (HANGUP lines that
    followed it included; Asterisk's final HANGUP after our EOF left out)."""
    commands = tr.stream(name, conn, ">>").decode().split("\n")[:-1]
    data = tr.stream(name, conn, "<<").decode()
    lines = data.split("\n\n", 1)[1].split("\n")[:-1]
    assert lines[-1] == "HANGUP"
    lines = lines[:-1]
    replies: list[list[str]] = []
    i = 0
    for _ in commands:
        if lines[i].startswith("520-"):
            j = lines.index("520 End of proper usage.", i)
            reply = lines[i:j + 1]
        else:
            j = i
            reply = [lines[i]]
        i = j + 1
        while i < len(lines) and lines[i] == "HANGUP":
            reply.append("HANGUP")
            i += 1
        replies.append(reply)
    assert i == len(lines)
    return commands, replies


def emulate(model: ChannelModel, commands: list[str]) -> list[list[str]]:
    async def main() -> list[list[str]]:
        out = []
        for command in commands:
            reply = await model.execute(command)
            if model.hangup_pending:
                model.hangup_pending = False
                reply = [*reply, "HANGUP"]
            out.append(reply)
        return out

    return run(main())


def test_agi_01_basic() -> None:
    commands, replies = recorded_exchange("agi-01-basic", "agi#1")
    model = ChannelModel("Local/101@cap-agi-00000000;2", state=4, callerid=("5551001", "Alice Caller"),
                         others={"Local/101@cap-agi-00000000;1": 6})
    model.vars.update(EXTEN="101", CONTEXT="cap-agi")
    assert emulate(model, commands) == replies


def test_agi_04_errors_and_usage() -> None:
    commands, replies = recorded_exchange("agi-04-errors", "agi#5")
    model = ChannelModel("Local/104@cap-agi-00000003;2", missing_sounds={"no-such-sound-file"})
    assert emulate(model, commands) == replies
    assert len(usage_texts()) == 8


def test_agi_05_hangup_mid_command() -> None:
    commands, replies = recorded_exchange("agi-05-hangup-mid-command", "agi#6")
    model = ChannelModel("Local/105@cap-agi-00000004;2", caller=Caller(hangup_during=1))
    assert emulate(model, commands) == replies
    commands, replies = recorded_exchange("agi-05-hangup-mid-command", "agi#7")
    model = ChannelModel("Local/106@cap-agi-00000005;2", caller=Caller(inputs=["1"], hangup_during=1))
    assert emulate(model, commands) == replies


def test_agi_03_digit_results() -> None:
    """DTMF results (endpos values depend on timing and are not modelled)."""
    commands, replies = recorded_exchange("agi-03-dtmf", "agi#4")
    model = ChannelModel("Local/103@cap-agi-00000002;2", sound_lengths={"beep": 3520},
                         caller=Caller(inputs=["5", "1234#", "5678", None, "12", "9", "", "*", "", "",
                                               "#", "3"], barge=True))
    got = emulate(model, commands[:7])
    strip = [[r.split(" endpos=")[0] for r in reply] for reply in replies[:7]]
    assert [[r.split(" endpos=")[0] for r in reply] for reply in got] == strip


def test_arguments_split_like_res_agi() -> None:
    assert split_args(' Set "Y=a b"') == ["Set", "Y=a b"]
    assert split_args(" CHANNEL\r") == ["CHANNEL\r"]
    assert split_args(' beep ""') == ["beep", ""]


def test_fake_ami_matches_recorded_responses() -> None:
    """Login, Ping, a message without Action, Originate outcomes and errors as in ami-01/ami-02."""

    async def main() -> None:
        server = FakeAMIServer("probe", "probe-secret",
                               originate_outcome=lambda ch: {"Local/486@cap-agents": 5}.get(ch, 4))
        await server.start()
        client = AMIClient("127.0.0.1", server.port, "probe", "probe-secret", ping_interval=0)
        await client.start()
        try:
            await client.wait_connected(3)
            again = await client.action("Login", {"Username": "probe", "Secret": "probe-secret"})
            assert again.as_dict() == {"Response": "Success", "ActionID": again.action_id,
                                       "Message": "Already authenticated"}
            noaction = await client.request([("Foo", "bar")])
            assert noaction["Message"] == "Missing action in request"
            ok = await client.originate("Local/140@cap-ami", context="cap-ami", exten="141")
            busy = await client.originate("Local/486@cap-agents", application="Wait", data="5")
            assert (ok.success, ok.reason, busy.success, busy.reason, busy.uniqueid) == (True, 4, False, 5, None)
            assert busy.channel == "Local/486@cap-agents"
            with pytest.raises(AMIActionError, match="Channel not specified"):
                await client.action("Originate", {"Application": "Wait"})
            with pytest.raises(AMIActionError, match="Invalid/unknown command: NoSuchAction"):
                await client.action("NoSuchAction")
            await asyncio.sleep(0)
        finally:
            await client.stop()
            await server.stop()
        recorded = [m for m in tr.lines(tr.stream("ami-01-login", "ami#2", "<<"), b"\r\n") if m]
        assert "Message: Already authenticated" in recorded and "Message: Missing action in request" in recorded

    run(main())
