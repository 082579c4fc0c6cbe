"""The FastAGI connection as an asyncio.Protocol: bytes fed to it directly through a fake transport
(TCP cut anywhere, several replies in one read, oversized lines, the peer closing under a command),
then the same through real sockets on both event loops."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from ivr.asterisk.agi import AGIConnection, FastAGIServer
from ivr.asterisk.agi_protocol import (
    MAX_LINE_BYTES,
    AGIDeadChannel,
    AGIHangup,
    AGIProtocolError,
    AGITimeout,
    AGIUsageError,
    Reply,
)
from tests.asterisk.emulator import env_block
from tests.asterisk.helpers import agi_server, run

ENV = env_block()


class FakeTransport(asyncio.Transport):
    """Records what the connection writes; close() reports connection_lost on the next loop turn, as
    the real transports do."""

    def __init__(self, protocol: asyncio.Protocol) -> None:
        super().__init__()
        self.protocol = protocol
        self.written: list[bytes] = []
        self.eof_written = False
        self.closed = False
        self.paused = False

    def write(self, data: Any) -> None:
        self.written.append(bytes(data))

    def write_eof(self) -> None:
        self.eof_written = True

    def can_write_eof(self) -> bool:
        return True

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            asyncio.get_running_loop().call_soon(self.protocol.connection_lost, None)

    def is_closing(self) -> bool:
        return self.closed

    def pause_reading(self) -> None:
        self.paused = True

    def resume_reading(self) -> None:
        self.paused = False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("192.0.2.1", 40000) if name == "peername" else default


def _connect(**kwargs: Any) -> tuple[AGIConnection, FakeTransport]:
    conn = AGIConnection(**kwargs)
    transport = FakeTransport(conn)
    conn.connection_made(transport)
    return conn, transport


async def _open(env_pieces: tuple[bytes, ...] = (ENV,), **kwargs: Any) -> tuple[AGIConnection, FakeTransport]:
    conn, transport = _connect(**kwargs)
    for piece in env_pieces:
        conn.data_received(piece)
    assert conn.request.channel == "PJSIP/trunk-00000001"
    return conn, transport


async def _sent(transport: FakeTransport, count: int) -> None:
    """Let the command coroutines run until `count` lines were written."""
    for _ in range(100):
        if len(transport.written) >= count:
            return
        await asyncio.sleep(0)
    raise AssertionError(f"only {transport.written!r} written")


def test_env_block_in_pieces_then_a_reply_split_across_reads() -> None:
    async def main() -> Reply:
        conn, transport = await _open((ENV[:5], ENV[5:100], ENV[100:]))
        task = asyncio.ensure_future(conn.get_variable("CALLERID(name)"))
        await _sent(transport, 1)
        assert transport.written == [b"GET VARIABLE CALLERID(name)\n"]
        for piece in (b"20", b"0 result=1 (Alice ", b"Caller", b")", b"\n"):
            assert not task.done()
            conn.data_received(piece)
            await asyncio.sleep(0)
        assert await task == "Alice Caller"
        reply_task = asyncio.ensure_future(conn.stream_file("welcome", "12"))
        await _sent(transport, 2)
        conn.data_received(b"200 result=49 endpos=1234\n")
        return await reply_task

    reply = run(main())
    assert (reply.value, reply.endpos, reply.data) == (49, 1234, None)


def test_200_result_with_data_in_parentheses() -> None:
    async def main() -> list[Reply]:
        conn, transport = await _open()
        out = []
        for data in (b"200 result=1 (timeout)\n", b"200 result= (timeout)\n", b"200 result=1 (a (b) c) endpos=7\n",
                     b"200 result=1 ()\n", b"200 result=-1 endpos=0\n"):
            task = asyncio.ensure_future(conn.command("GET DATA beep 1000 4"))
            await _sent(transport, len(out) + 1)
            conn.data_received(data)
            out.append(await task)
        return out

    got = run(main())
    assert [(r.result, r.data, r.endpos) for r in got] == [("1", "timeout", None), ("", "timeout", None),
                                                           ("1", "a (b) c", 7), ("1", "", None), ("-1", None, 0)]
    assert got[0].timed_out and got[1].value is None


def test_several_replies_in_one_read_are_taken_in_order_with_reading_paused() -> None:
    async def main() -> None:
        conn, transport = await _open()
        first = asyncio.ensure_future(conn.command("NOOP"))
        await _sent(transport, 1)
        # Trying + the reply, a HANGUP and the reply to the next command, all in one read
        conn.data_received(b"100 result=0 Trying...\n200 result=1\nHANGUP\n200 result=2\n")
        assert (await first).result == "1"
        assert transport.paused and not conn.hungup.is_set()  # the rest waits, in order, for its reader
        second = await conn.command("NOOP")
        assert second.result == "2" and conn.hungup.is_set() and not transport.paused
        assert transport.written == [b"NOOP\n", b"NOOP\n"]  # the second command was still sent

    run(main())


def test_hangup_between_commands_and_watch() -> None:
    async def main() -> None:
        conn, transport = await _open()
        conn.data_received(b"HANGUP\n")  # nobody reads: it waits like a stream would
        assert not conn.hungup.is_set() and transport.paused
        assert await conn.wait_hangup(1) is True  # watch() reads it
        assert not transport.paused
        conn2, transport2 = await _open()
        conn2.watch()
        conn2.data_received(b"HANGUP\n")
        assert conn2.hungup.is_set()
        conn2.data_received(b"200 result=0\n")  # a reply with no command: out of step
        assert conn2.closed and transport2.closed
        with pytest.raises(AGIProtocolError, match="no command waiting"):
            await conn2.command("NOOP")

    run(main())


def test_520_usage_across_reads_and_511() -> None:
    async def main() -> None:
        conn, transport = await _open()
        task = asyncio.ensure_future(conn.command("GET DATA"))
        await _sent(transport, 1)
        conn.data_received(b"520-Invalid command syntax.  Proper usage follows:\n")
        await asyncio.sleep(0)
        conn.data_received(b"Usage: GET DATA <file>\n520 End of proper usage.\n")
        with pytest.raises(AGIUsageError) as info:
            await task
        assert info.value.usage == ("Usage: GET DATA <file>",)
        task = asyncio.ensure_future(conn.command("STREAM FILE beep \"\""))
        await _sent(transport, 2)
        conn.data_received(b"511 Command Not Permitted on a dead channel or intercept routine\n")
        with pytest.raises(AGIDeadChannel):
            await task
        assert conn.hungup.is_set() and not conn.closed

    run(main())


def test_line_over_the_limit_is_a_clear_error_and_closes(caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> FakeTransport:
        conn, transport = await _open()
        task = asyncio.ensure_future(conn.command("GET VARIABLE X"))
        await _sent(transport, 1)
        conn.data_received(b"200 result=1 (" + b"x" * 8000)
        conn.data_received(b"x" * MAX_LINE_BYTES)
        with pytest.raises(AGIProtocolError, match="line longer than the limit"):
            await task
        assert conn.closed and conn.hungup.is_set()
        with pytest.raises(AGIProtocolError):  # later commands get the same error, nothing is written
            await conn.command("NOOP")
        assert transport.written == [b"GET VARIABLE X\n"]
        return transport

    with caplog.at_level(logging.WARNING, logger="ivr.asterisk"):
        transport = run(main())
    assert transport.closed
    assert any("line longer than the limit; closing the connection" in r.getMessage() for r in caplog.records)


def test_peer_closing_mid_command_raises_the_hangup_error() -> None:
    async def main() -> None:
        conn, transport = await _open()
        task = asyncio.ensure_future(conn.command("WAIT FOR DIGIT 5000"))
        await _sent(transport, 1)
        conn.data_received(b"200 res")  # a partial line, then EOF: the line is dropped
        assert conn.eof_received() is True
        with pytest.raises(AGIHangup, match="connection closed by Asterisk"):
            await task
        assert conn.closed and conn.hungup.is_set() and transport.closed

        conn, transport = await _open()  # connection lost (reset) mid-command
        task = asyncio.ensure_future(conn.command("WAIT FOR DIGIT 5000"))
        await _sent(transport, 1)
        conn.connection_lost(ConnectionResetError("reset by peer"))
        with pytest.raises(AGIHangup, match="reset by peer"):
            await task

        conn, transport = await _open()  # EOF inside a 520 body
        task = asyncio.ensure_future(conn.command("GET DATA"))
        await _sent(transport, 1)
        conn.data_received(b"520-Invalid command syntax.  Proper usage follows:\n")
        conn.eof_received()
        with pytest.raises(AGIProtocolError, match="inside a 520 usage reply"):
            await task

        conn, transport = await _open()  # EOF while no command runs: the next command raises it
        conn.eof_received()
        assert not conn.closed
        with pytest.raises(AGIHangup):
            await conn.command("NOOP")
        assert conn.closed

        conn, transport = await _open()  # aborted under a running command
        task = asyncio.ensure_future(conn.command("NOOP"))
        await _sent(transport, 1)
        conn.abort()
        with pytest.raises(AGIHangup):
            await task

    run(main())


def test_reply_timeout_without_the_servers_reaper() -> None:
    async def main() -> None:
        conn, transport = await _open(command_timeout=0.05)
        with pytest.raises(AGITimeout):
            await conn.command("NOOP")
        assert conn.closed and transport.closed
        with pytest.raises(AGITimeout):
            await conn.command("NOOP")

    run(main())


def test_one_command_at_a_time_and_finish_half_closes() -> None:
    async def main() -> None:
        conn, transport = await _open()
        task = asyncio.ensure_future(conn.command("NOOP"))
        await _sent(transport, 1)
        with pytest.raises(RuntimeError, match="already running"):
            await conn.command("NOOP")
        conn.data_received(b"200 result=0\n")
        await task
        assert len(conn.windows) == 1 and conn.busy_since is None
        finishing = asyncio.ensure_future(conn.finish(wait=1))
        await asyncio.sleep(0)
        assert transport.eof_written and not transport.closed
        conn.data_received(b"HANGUP\n")  # Asterisk's answer to our EOF, then its EOF
        conn.eof_received()
        await finishing
        assert transport.closed

    run(main())


def test_garbage_env_block_is_rejected_by_the_server(caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> FastAGIServer:
        async def handler(conn: AGIConnection) -> None:
            raise AssertionError("not reached")

        server = FastAGIServer(handler, "127.0.0.1", 0)
        conn = server._connection()
        transport = FakeTransport(conn)
        conn.connection_made(transport)
        assert server.active == 1
        conn.data_received(b"agi_network: yes\nnot an env line\n\n")
        assert transport.closed and server.active == 0 and server.rejected == 1
        await asyncio.sleep(0)
        server._reaper.stop()
        return server

    with caplog.at_level(logging.WARNING, logger="ivr.asterisk"):
        run(main())
    assert any("not an AGI environment line" in r.getMessage() for r in caplog.records)


# ------------------------------------------------------------------------------------ real sockets

def _loops() -> list[Any]:
    out: list[Any] = [pytest.param(None, id="asyncio")]
    with contextlib.suppress(ImportError):
        import uvloop

        out.append(pytest.param(uvloop.new_event_loop, id="uvloop"))
    return out


def _run_on(loop_factory: Callable[[], asyncio.AbstractEventLoop] | None, coro: Awaitable[Any]) -> Any:
    if loop_factory is None:
        return run(coro)

    async def bounded() -> Any:
        return await asyncio.wait_for(coro, 20)

    with asyncio.Runner(loop_factory=loop_factory) as runner:
        return runner.run(bounded())


@pytest.mark.parametrize("loop_factory", _loops())
def test_real_socket_split_replies_batches_and_a_close_mid_command(loop_factory: Any) -> None:
    seen: dict[str, Any] = {}

    async def handler(conn: AGIConnection) -> None:
        seen["name"] = await conn.get_variable("CALLERID(name)")
        seen["a"] = (await conn.command("NOOP")).result
        seen["b"] = (await conn.command("NOOP")).result
        seen["hungup"] = conn.hungup.is_set()
        try:
            await conn.wait_for_digit(5000)
        except AGIHangup as exc:
            seen["error"] = exc
            raise

    async def main() -> None:
        async with agi_server(handler) as server:
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            for cut in (7, 300, len(ENV)):  # the env block in three segments
                writer.write(ENV[:cut] if cut == 7 else ENV[7:300] if cut == 300 else ENV[300:])
                await writer.drain()
                await asyncio.sleep(0.01)
            assert await reader.readline() == b"GET VARIABLE CALLERID(name)\n"
            for piece in (b"200 result=1 (Alice", b" Caller)", b"\n"):  # one reply in three segments
                writer.write(piece)
                await writer.drain()
                await asyncio.sleep(0.01)
            assert await reader.readline() == b"NOOP\n"
            writer.write(b"200 result=1\nHANGUP\n200 result=2\n")  # two replies and a HANGUP in one segment
            assert await reader.readline() == b"NOOP\n"
            assert await reader.readline() == b"WAIT FOR DIGIT 5000\n"
            writer.close()  # the caller's side goes away under a running command
            await asyncio.sleep(0.05)
            for _ in range(100):
                if server.active == 0:
                    break
                await asyncio.sleep(0.01)
            assert server.active == 0 and server.served == 1

    _run_on(loop_factory, main())
    assert (seen["name"], seen["a"], seen["b"], seen["hungup"]) == ("Alice Caller", "1", "2", True)
    assert isinstance(seen["error"], AGIHangup)
