"""Property-based tests: malformed, truncated and oversized input to both protocol layers never
crashes, never hangs, leaves a clear log line and closes the connection; the server keeps serving."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ivr.asterisk.agi import AGIConnection
from ivr.asterisk.agi_protocol import (
    MAX_ENV_BYTES,
    AGIError,
    AGIProtocolError,
    parse_env_line,
    parse_reply,
)
from ivr.asterisk.ami import AMIClient
from ivr.asterisk.ami_protocol import AMIProtocolError, MessageAssembler
from tests.asterisk.emulator import env_block
from tests.asterisk.helpers import agi_server, run

FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
GOOD_ENV = env_block()


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@contextlib.contextmanager
def captured():  # type: ignore[no-untyped-def]
    handler = _Capture()
    logger = logging.getLogger("ivr.asterisk")
    logger.addHandler(handler)
    try:
        yield handler.lines
    finally:
        logger.removeHandler(handler)


async def _send_and_wait_close(port: int, data: bytes, *, eof: bool) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(data)
    if eof:
        writer.write_eof()
    await writer.drain()
    try:
        got = await asyncio.wait_for(reader.read(), 3)  # must end: closed by the server
    finally:
        writer.close()
    return got


async def _good_call(port: int) -> list[str]:
    """A well-formed session after the junk: the server still serves."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(GOOD_ENV)
    lines: list[str] = []
    while True:
        line = await asyncio.wait_for(reader.readline(), 3)
        if not line:
            break
        lines.append(line.decode())
        writer.write(b"200 result=0\n")
        await writer.drain()
    writer.close()
    return lines


async def _noop_handler(conn: AGIConnection) -> None:
    await conn.run("NOOP")


env_lines = st.lists(st.sampled_from([b"agi_network: yes", b"agi_channel: PJSIP/x-1", b"agi_arg_1: a b",
                                      b"agi_extension: 12333", b"garbage line", b"agi_: ", b":", b"\xff\xfe"]),
                     max_size=30).map(lambda ls: b"\n".join(ls))


@FUZZ
@given(junk=st.one_of(st.binary(max_size=4000), env_lines), eof=st.booleans())
def test_fastagi_survives_any_env_block(junk: bytes, eof: bool) -> None:
    async def main() -> None:
        async with agi_server(_noop_handler, env_timeout=0.1) as server:
            await _send_and_wait_close(server.port, junk, eof=eof)
            await asyncio.sleep(0)
            assert server.active == 0  # nothing left running (no spin after EOF inside the env block)
            assert (await _good_call(server.port))[:1] == ["NOOP\n"]

    with captured():
        run(main())


def test_truncated_env_block_is_a_hangup_and_logged() -> None:
    async def main() -> None:
        async with agi_server(_noop_handler) as server:
            for cut in (1, 40, len(GOOD_ENV) // 2, len(GOOD_ENV) - 1):
                assert await _send_and_wait_close(server.port, GOOD_ENV[:cut], eof=True) == b""
            assert server.served == 0 and server.rejected == 4

    with captured() as lines:
        run(main())
    assert sum("environment block" in line for line in lines) == 4


def test_oversized_and_endless_env_blocks_are_refused() -> None:
    async def main() -> None:
        async with agi_server(_noop_handler, env_timeout=0.1) as server:
            huge = b"agi_network: " + b"y" * (MAX_ENV_BYTES * 2) + b"\n\n"
            assert await _send_and_wait_close(server.port, huge, eof=False) == b""
            many = b"".join(b"agi_arg_%d: x\n" % i for i in range(1, 400)) + b"\n"
            assert await _send_and_wait_close(server.port, many, eof=False) == b""
            # a peer that never finishes the block is cut off by the env timeout
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            writer.write(b"agi_network: yes\n")
            assert await asyncio.wait_for(reader.read(), 3) == b""
            writer.close()
            assert (await _good_call(server.port))[:1] == ["NOOP\n"]

    with captured() as lines:
        run(main())
    assert sum("too large" in line for line in lines) == 2
    assert any("no complete environment block" in line for line in lines)


reply_lines = st.lists(st.one_of(st.sampled_from(["200 result=", "200 result=x", "520-Invalid", "HANGUP", "510",
                                                  "100 Trying...", "200 result=1 (a", "-", ""]),
                                 st.text(max_size=60).filter(lambda s: "\n" not in s)), min_size=1, max_size=6)


@FUZZ
@given(replies=reply_lines, close=st.booleans())
def test_garbled_replies_end_the_session_not_the_server(replies: list[str], close: bool) -> None:
    outcome: list[object] = []

    async def handler(conn: AGIConnection) -> None:
        try:
            for _ in range(3):
                outcome.append(await conn.run("NOOP"))
        except AGIError as exc:
            outcome.append(exc)
            raise

    async def main() -> None:
        async with agi_server(handler, command_timeout=0.5) as server:
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            writer.write(GOOD_ENV)
            await reader.readline()
            writer.write("".join(r + "\n" for r in replies).encode("utf-8", "surrogatepass"))
            if close:
                writer.write_eof()
            await writer.drain()
            with contextlib.suppress(ConnectionError):
                await asyncio.wait_for(reader.read(), 3)
            writer.close()
            await asyncio.sleep(0)
            assert server.active == 0
            assert (await _good_call(server.port))[:1] == ["NOOP\n"]

    with captured():
        run(main())
    assert outcome  # every session ended with replies or a clear AGI error


@settings(deadline=None)
@given(st.text(max_size=200))
def test_reply_and_env_parsers_accept_or_refuse_cleanly(text: str) -> None:
    for parse in (parse_reply, parse_env_line):
        try:
            parse(text)
        except AGIProtocolError as exc:
            assert str(exc)


@settings(deadline=None)
@given(st.lists(st.text(max_size=80).filter(lambda s: "\n" not in s and "\r" not in s), max_size=50))
def test_ami_assembler_never_fails_otherwise(lines: list[str]) -> None:
    assembler = MessageAssembler(max_lines=30)
    try:
        for line in lines:
            msg = assembler.feed(line)
            if msg is not None:
                assert msg.headers
    except AMIProtocolError as exc:
        assert str(exc)


@settings(max_examples=25, deadline=None)
@given(junk=st.binary(min_size=1, max_size=3000))
def test_ami_client_drops_a_peer_sending_garbage_and_reconnects(junk: bytes) -> None:
    async def main() -> tuple[int, list[str]]:
        connections = 0

        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            nonlocal connections
            connections += 1
            writer.write(b"Asterisk Call Manager/11.0.0\r\n")
            login = await reader.readuntil(b"\r\n\r\n")
            action_id = login.split(b"ActionID: ", 1)[1].split(b"\r\n", 1)[0]
            writer.write(b"Response: Success\r\nActionID: " + action_id + b"\r\n\r\n")
            writer.write(junk + b"\r\n" + b"x" * 70_000 + b"\r\n")
            await writer.drain()
            with contextlib.suppress(Exception):
                await reader.read()
            writer.close()

        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        client = AMIClient("127.0.0.1", port, "u", "s", ping_interval=0, backoff_initial=0.01, backoff_max=0.02)
        await client.start()
        loop = asyncio.get_running_loop()
        end = loop.time() + 3
        while connections < 2 and loop.time() < end:
            await asyncio.sleep(0.01)
        await client.stop()
        server.close()
        await server.wait_closed()
        return connections, list(client.errors)

    with captured():
        connections, _ = run(main())
    assert connections >= 2  # it came back after dropping the bad peer



def test_a_stalled_call_does_not_slow_the_others() -> None:
    """One peer stops answering mid-call: the other calls go on; the stalled one is cut off at its
    command timeout, with a log line."""

    async def main() -> list[str]:
        async with agi_server(_noop_handler, command_timeout=0.5) as server:
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            writer.write(GOOD_ENV)
            assert await reader.readline() == b"NOOP\n"  # ... and never answered
            loop = asyncio.get_running_loop()
            t0 = loop.time()
            served = [await _good_call(server.port) for _ in range(5)]
            assert loop.time() - t0 < 0.4  # not queued behind the stalled call
            assert await asyncio.wait_for(reader.read(), 3) == b""  # cut off after 0.5 s
            writer.close()
            return [lines[0] for lines in served]

    with captured() as lines:
        assert run(main()) == ["NOOP\n"] * 5
    assert any("no reply to" in line for line in lines)
