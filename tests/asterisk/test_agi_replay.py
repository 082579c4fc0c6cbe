"""Our FastAGI server against the recorded Asterisk side of every AGI transcript, byte for byte: each
scenario's script (written with the public AGIConnection API) must send exactly the recorded commands,
and parse each recorded reply (split TCP segments, 520 bodies, unsolicited HANGUP lines) as Asterisk
meant it."""

from __future__ import annotations

from typing import Any

import pytest

from ivr.asterisk.agi import AGIConnection
from ivr.asterisk.agi_protocol import AGIDeadChannel, AGIUnknownCommand, AGIUsageError, Keys
from tests.asterisk import transcripts as tr
from tests.asterisk.helpers import agi_server, run
from tests.asterisk.replay import replay_agi

pytestmark = pytest.mark.usefixtures("_transcripts")


@pytest.fixture
def _transcripts() -> None:
    tr.require()


async def _hangup_seen(conn: AGIConnection) -> bool:
    return await conn.wait_hangup(2)


async def basic(conn: AGIConnection, out: dict[str, Any]) -> None:
    out["status_before"] = await conn.channel_status()
    await conn.answer()
    out["status_after"] = await conn.channel_status()
    await conn.verbose("agi-01 hello from the FastAGI server", 1)
    await conn.set_variable("CAPVAR", "hello world")
    out["capvar"] = await conn.get_variable("CAPVAR")
    out["unset"] = await conn.get_variable("NOSUCHVAR")
    out["name"] = await conn.get_variable("CALLERID(name)")
    out["full"] = (await conn.run("GET FULL VARIABLE", "${CAPVAR}")).data
    out["expr"] = (await conn.command('GET FULL VARIABLE "${CALLERID(num)}-${EXTEN}@${CONTEXT}"')).data
    out["full_unset"] = await conn.run("GET FULL VARIABLE", "${NOSUCHVAR}")
    out["other"] = (await conn.run("GET FULL VARIABLE", "${CHANNEL}", "Local/101@cap-agi-00000000;1")).data
    out["other_status"] = (await conn.run("CHANNEL STATUS", "Local/101@cap-agi-00000000;1")).value
    out["missing_status"] = (await conn.run("CHANNEL STATUS", "Local/nosuch@nowhere-00000000;1")).value
    out["hangup"] = (await conn.hangup()).value
    out["hangup_line"] = await _hangup_seen(conn)


async def args(conn: AGIConnection, out: dict[str, Any]) -> None:
    out.setdefault("requests", []).append(conn.request)
    await conn.run("NOOP")


async def dtmf(conn: AGIConnection, out: dict[str, Any]) -> None:
    out["plain"] = await conn.stream_file("beep", "")
    out["interrupted"] = await conn.stream_file("demo-congrats", "0123456789#*")
    out["hash"] = await conn.get_data("vm-enter-num-to-call", 3000, 10)
    out["max"] = await conn.get_data("beep", 3000, 4)
    out["none"] = await conn.get_data("beep", 2000, 4)
    out["partial"] = await conn.get_data("beep", 2000, 4)
    out["w9"] = (await conn.wait_for_digit(5000)).value
    out["w_none"] = (await conn.wait_for_digit(2000)).value
    out["w_star"] = (await conn.wait_for_digit(3000)).value
    out["lost"] = (await conn.wait_for_digit(1500)).value
    out["say"] = [(await conn.run("SAY DIGITS", "1234", Keys(""))).value,
                  (await conn.run("SAY NUMBER", 42, Keys(""))).value,
                  (await conn.run("SAY NUMBER", 1234567, Keys("#"))).value,
                  (await conn.run("SAY DIGITS", "987654321", Keys("0123456789"))).value]


async def errors(conn: AGIConnection, out: dict[str, Any]) -> None:
    failures: list[tuple[str, Any]] = []
    for line in ("NOT A REAL COMMAND", "GET", "GET DATA", "STREAM FILE", "STREAM FILE beep", "WAIT FOR DIGIT",
                 'SAY NUMBER abc ""', "SET VARIABLE ONLYNAME", "GET VARIABLE", "EXEC"):
        try:
            await conn.command(line)
        except AGIUnknownCommand:
            failures.append((line, 510))
        except AGIUsageError as exc:
            failures.append((line, exc.usage))
    out["failures"] = failures
    out["missing_app"] = (await conn.exec("NoSuchApplication", "foo")).value
    out["missing_file"] = await conn.stream_file("no-such-sound-file", "")
    await conn.stream_file("no-such-sound-file", "#")
    out["missing_getdata"] = (await conn.get_data("no-such-sound-file", 1000, 2)).value
    out["playback_missing"] = (await conn.exec("Playback", "no-such-sound-file")).value
    for line in ("SAY DIGITS 123", "SET VARIABLE V hello world"):
        with pytest.raises(AGIUsageError):
            await conn.command(line)
    out["v"] = await conn.get_variable("V")
    out["default_timeout"] = await conn.command("GET DATA beep", timeout=10)
    await conn.command("noop")
    out["lower"] = (await conn.command("get variable CHANNEL")).data
    out["crlf"] = (await conn.command("GET VARIABLE CHANNEL\r")).value
    with pytest.raises(AGIUnknownCommand):
        await conn.command("")
    await conn.command("EXEC Set X=a b")
    out["x"] = await conn.get_variable("X")
    await conn.exec("Set", "Y=a b")
    out["y"] = await conn.get_variable("Y")
    await conn.answer()


async def hangup_wait(conn: AGIConnection, out: dict[str, Any]) -> None:
    await conn.verbose("waiting for a digit; the caller will hang up", 1)
    out["wait"] = (await conn.wait_for_digit(20000)).value
    out["hangup_line"] = await _hangup_seen(conn)
    out["channel"] = await conn.get_variable("CHANNEL")
    await conn.verbose("still here after hangup", 1)
    await conn.set_variable("AFTER_HANGUP", "1")
    out["after"] = await conn.get_variable("AFTER_HANGUP")
    dead = 0
    for words in (("STREAM FILE", "beep", ""), ("WAIT FOR DIGIT", 1000), ("GET DATA", "beep", 1000, 2),
                  ("SAY NUMBER", 5, ""), ("ANSWER",), ("CHANNEL STATUS",), ("HANGUP",)):
        try:
            await conn.run(*words)
        except AGIDeadChannel:
            dead += 1
    out["dead"] = dead
    await conn.exec("NoOp", "dead-channel")
    await conn.run("NOOP")


async def hangup_getdata(conn: AGIConnection, out: dict[str, Any]) -> None:
    out["getdata"] = (await conn.get_data("vm-enter-num-to-call", 10000, 4)).value
    out["hangup_line"] = await _hangup_seen(conn)
    with pytest.raises(AGIDeadChannel):
        await conn.run("SAY DIGITS", "12", Keys(""))
    out["channel2"] = await conn.get_variable("CHANNEL")
    await conn.run("NOOP")


async def exec_dial_queue(conn: AGIConnection, out: dict[str, Any]) -> None:
    await conn.verbose("agi-06 start", 1)
    await conn.set_music(True, "default")
    await conn.wait_for_digit(1500)
    await conn.set_music(False)
    await conn.set_music(True, "nosuchclass")
    await conn.set_music(False)
    results = []
    for data, var in (("Local/202@cap-agents,10", "DIALSTATUS"), ("Local/203@cap-agents,10,g", "DIALSTATUS"),
                      ("Local/486@cap-agents,5", "DIALSTATUS"), ("Local/480@cap-agents,2", "DIALSTATUS")):
        reply = await conn.exec("Dial", data)
        results.append((reply.value, await conn.get_variable(var)))
        if data.startswith("Local/202"):
            await conn.get_variable("ANSWEREDTIME")
    for data in ("cap-support,,,,20", "cap-support,c,,,20"):
        reply = await conn.exec("Queue", data)
        results.append((reply.value, await conn.get_variable("QUEUESTATUS")))
        if data == "cap-support,,,,20":
            await conn.get_variable("MEMBERINTERFACE")
    reply = await conn.exec("Queue", "cap-nosuchqueue")
    results.append((reply.value, await conn.get_variable("QUEUESTATUS")))
    out["results"] = results
    out["status"] = await conn.channel_status()


async def close_early(conn: AGIConnection, out: dict[str, Any]) -> None:
    await conn.verbose("agi-07: closing the socket without HANGUP", 1)
    out["channel"] = await conn.get_variable("CHANNEL")


async def ivr(conn: AGIConnection, out: dict[str, Any]) -> None:
    await conn.verbose("ivr: welcome", 1)
    await conn.stream_file("beep", "")
    out["choice"] = (await conn.get_data("vm-enter-num-to-call", 3000, 1)).result
    await conn.set_variable("IVR_CHOICE", out["choice"])
    out["dial"] = (await conn.exec("Dial", "Local/202@cap-agents,10")).value


async def redirect_me(conn: AGIConnection, out: dict[str, Any]) -> None:
    out["wait"] = (await conn.wait_for_digit(30000)).value
    out["hangup_line"] = await _hangup_seen(conn)
    out["channel"] = await conn.get_variable("CHANNEL")
    with pytest.raises(AGIDeadChannel):
        await conn.stream_file("beep", "")


async def dtmf_wait(conn: AGIConnection, out: dict[str, Any]) -> None:
    out["digits"] = [chr((await conn.wait_for_digit(10000)).value or 0) for _ in range(3)]


SCRIPTS = {"basic": basic, "route": args, "route2": args, "dtmf": dtmf, "errors": errors, "hangup-wait": hangup_wait,
           "hangup-getdata": hangup_getdata, "exec-dial-queue": exec_dial_queue, "close-early": close_early,
           "ivr": ivr, "redirect-me": redirect_me, "dtmf-wait": dtmf_wait}


def replay(name: str) -> dict[str, Any]:
    out: dict[str, Any] = {"errors": []}

    async def handler(conn: AGIConnection) -> None:
        try:
            await SCRIPTS[conn.request.entry](conn, out)
        except BaseException as exc:
            out["errors"].append(exc)
            raise

    async def main() -> None:
        async with agi_server(handler) as server:
            for conn in tr.conns(name, "agi"):
                report = await replay_agi("127.0.0.1", server.port, tr.chunks(name, conn))
                assert report.ok, f"{name} {conn}: {report.mismatches}"
                assert report.saw_client_eof, f"{name} {conn}: the server did not end the session"

    run(main())
    assert out.pop("errors") == []
    return out


def test_basic_env_and_variables() -> None:
    out = replay("agi-01-basic")
    assert (out["status_before"], out["status_after"]) == (4, 6)
    assert (out["capvar"], out["unset"], out["name"]) == ("hello world", None, "Alice Caller")
    assert out["full"] == "hello world" and out["expr"] == "5551001-101@cap-agi"
    assert out["full_unset"].value == 1 and out["full_unset"].data == ""
    assert out["other"] == "Local/101@cap-agi-00000000;1"
    assert (out["other_status"], out["missing_status"]) == (6, -1)
    assert out["hangup"] == 1 and out["hangup_line"] is True


def test_args_and_query() -> None:
    out = replay("agi-02-args")
    first, second = out["requests"]
    assert (first.entry, first.query, first.args) == ("route", {"x": "1"}, ("arg one", "2", "quoted, comma"))
    assert (second.entry, second.query, second.args) == ("route2", {"y": "2", "z": "3"}, ("5552000", "", "last arg"))
    assert first.caller == "5552000" and first.env["agi_accountcode"] == ""


def test_dtmf_replies() -> None:
    out = replay("agi-03-dtmf")
    assert (out["plain"].value, out["plain"].endpos) == (0, 3520)
    assert (chr(out["interrupted"].value), out["interrupted"].endpos) == ("5", 9120)
    assert (out["hash"].result, out["hash"].timed_out) == ("1234", False)
    assert out["max"].result == "5678"
    assert (out["none"].result, out["none"].value, out["none"].timed_out) == ("", None, True)
    assert (out["partial"].result, out["partial"].timed_out) == ("12", True)
    assert (out["w9"], out["w_none"], out["w_star"], out["lost"]) == (ord("9"), 0, ord("*"), 0)
    assert out["say"] == [0, 0, ord("#"), ord("3")]


def test_errors_510_520_and_edge_cases() -> None:
    out = replay("agi-04-errors")
    failures = dict(out["failures"])
    assert failures["NOT A REAL COMMAND"] == 510 and failures["GET"] == 510
    usage = failures["GET DATA"]
    assert usage[0].startswith("Stream the given <replaceable>file</replaceable>") and len(usage) == 2
    assert usage_lines_ok(failures["STREAM FILE"])
    assert failures["STREAM FILE beep"] == failures["STREAM FILE"]
    assert failures["GET VARIABLE"][-1] == "Example return code: 200 result=1 (testvariable)"
    assert out["missing_app"] == -2
    assert (out["missing_file"].value, out["missing_file"].endpos) == (-1, 0)
    assert (out["missing_getdata"], out["playback_missing"]) == (-1, 0)
    assert out["v"] is None
    assert out["default_timeout"].timed_out and out["default_timeout"].result == ""
    assert out["lower"] == "Local/104@cap-agi-00000003;2" and out["crlf"] == 0
    assert (out["x"], out["y"]) == ("a", "a b")


def usage_lines_ok(usage: tuple[str, ...]) -> bool:
    return usage[-1] == "    <value>FAILED</value>" and usage[-2] == "    <value>SUCCESS</value>"


def test_hangup_during_commands_and_dead_channel() -> None:
    out = replay("agi-05-hangup-mid-command")
    assert out["wait"] == -1 and out["hangup_line"] is True
    assert out["channel"] == "Local/105@cap-agi-00000004;2" and out["after"] == "1"
    assert out["dead"] == 7
    assert out["getdata"] == -1 and out["channel2"] == "Local/106@cap-agi-00000005;2"


def test_exec_dial_and_queue() -> None:
    out = replay("agi-06-exec-dial-queue")
    assert out["results"] == [(-1, "ANSWER"), (0, "ANSWER"), (0, "BUSY"), (0, "NOANSWER"), (-1, None),
                              (0, "CONTINUE"), (0, "UNKNOWN")]
    assert out["status"] == 6


def test_close_without_hangup() -> None:
    out = replay("agi-07-asynchronous-hangup-after-agi")
    assert out["channel"] == "Local/108@cap-agi-0000000d;2"


def test_fastagi_side_of_ami_scenarios() -> None:
    assert replay("ami-03-call-events") == {"choice": "2", "dial": -1}
    out = replay("ami-05-redirect-hangup")
    assert out["wait"] == -1 and out["hangup_line"] and out["channel"] == "Local/120@cap-ami-00000018;2"
    assert replay("ami-08-playdtmf")["digits"] == ["5", "#", "7"]
