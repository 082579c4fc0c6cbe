"""FastAGI on asyncio: the server (one TCP connection per call, opened by Asterisk) and the
connection object a call's script drives.

The connection is an `asyncio.Protocol`: `data_received` feeds the bytes to the sans-I/O parser
(`agi_protocol.AGIParser`: lines, never recv() chunks) and hands each completed reply to the command
waiting for it (one future per command; no reader task, no StreamReader). The unsolicited `HANGUP` line
and end of stream mark the channel hung up (they are never taken as the reply to a command); while no
command runs, `watch()` makes any other line an error. A connection that misbehaves (garbage, oversized
lines, a stalled env block, a reply timeout) is logged and closed on its own; the others never notice.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any, cast

from ivr.asterisk.agi_protocol import (
    HANGUP,
    AGIDeadChannel,
    AGIError,
    AGIHangup,
    AGIParser,
    AGIProtocolError,
    AGIRequest,
    AGITimeout,
    AGIUnknownCommand,
    AGIUsageError,
    Keys,
    Reply,
    build_command,
)

log = logging.getLogger(__name__)

Handler = Callable[["AGIConnection"], Awaitable[None]]

NO_REQUEST = AGIRequest(env={}, entry="")  # `request` until the env block is in
READ_BUFFER_BYTES = 64 * 1024  # what one read may take on the standard loop (uvloop reads into its own)


class AGIConnection(asyncio.Protocol):
    """One call's AGI session. Commands run one at a time: `command()` writes the line and awaits a
    future that `data_received` resolves with the reply (no reader task, no task hop, no StreamReader).

    What Asterisk sends is taken in stream order, and only while someone reads, exactly as a reader on
    a stream would: a running command (its reply; `HANGUP` lines on the way set `hungup`) or `watch()`
    (while no command runs: `HANGUP` sets `hungup`, anything else is an error). Lines that arrive when
    nobody reads (a `HANGUP` between commands, the rest of a segment after a reply) wait in a queue for
    the next reader, and reading pauses until it is empty: a peer out of step cannot fill memory (flow
    control on the read side). Writes need none of their own: one command line is in flight at a time
    and its reply is awaited. End of stream and errors take their turn in the queue as well."""

    def __init__(self, *, command_timeout: float = 10.0, media_timeout: float = 600.0,
                 server: FastAGIServer | None = None) -> None:
        self.request = NO_REQUEST
        self.command_timeout = command_timeout
        self.media_timeout = media_timeout
        self.hungup = asyncio.Event()
        self.closed = False
        # a connection lives on the loop that accepted it (the server's: asking asyncio costs a getpid())
        self._loop = server._loop if server is not None and server._loop is not None else asyncio.get_running_loop()
        self._server = server
        self._transport: asyncio.Transport | None = None
        self._parser = AGIParser()
        self._waiter: asyncio.Future[Reply] | None = None  # the running command's reply
        self._queue: collections.deque[Reply | str | AGIError] = collections.deque()  # read, nobody reading
        self._paused = False
        self._watching = False
        self._eof_waiter: asyncio.Future[None] | None = None  # finish() waiting for Asterisk's EOF
        self._eof = False  # end of stream read (it may still wait in the queue)
        self._lost = False  # the transport is gone
        # (start, end) loop times of the last commands: a key seen over AMI outside them was pressed
        # while no command ran, which Asterisk throws away (see channel._Call.absorb). Enough of them for
        # a whole input: an 18-digit ID is 19 WAIT FOR DIGITs, and a key whose window was dropped would
        # be buffered a second time (seen on the real Asterisk: the ID confirmation then read "1" + stale keys)
        self.windows: collections.deque[tuple[float, float]] = collections.deque(maxlen=512)
        self.busy_since: float | None = None
        self._error: AGIError | None = None
        self._reaper: _Reaper | None = None
        self._task: asyncio.Task[None] | None = None
        self.deadline: float | None = None  # when the env block or the running command times out (reaper)
        self.deadline_for = ""

    # -- asyncio.Protocol ---------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)
        if self._server is not None:
            self._server._opened(self)

    def data_received(self, data: bytes) -> None:
        waiter = self._waiter
        if waiter is not None and not self._queue:
            reply = self._parser.known(data)
            if reply is not None:  # the usual case: a familiar reply line for the running command
                self._waiter = None
                if not waiter.done():
                    waiter.set_result(reply)
                return
        if self._parser.in_env:
            self._env_received(data)
            return
        events = self._parser.feed(data)
        if waiter is not None and len(events) == 1 and not self._queue:
            event = events[0]
            if type(event) is Reply and event[0] != 100:  # one reply for the running command
                self._waiter = None
                if not waiter.done():
                    waiter.set_result(event)
                return
        self._queue.extend(events)
        self._read_queue()

    def _read_queue(self) -> None:
        """Hand queued events to whoever reads (the running command, or watch()), in order."""
        queue = self._queue
        while queue and (self._waiter is not None or self._watching) and not self.closed:
            event = queue.popleft()
            if event is HANGUP:
                self.hungup.set()
            elif isinstance(event, AGIError):  # a protocol error, end of stream
                self._fail(event)
            elif self._watching:
                self._fail(_stray(event))  # type: ignore[arg-type]
            elif event[0] != 100:  # "100 Trying...": the real reply follows
                waiter, self._waiter = self._waiter, None
                if waiter is not None and not waiter.done():
                    waiter.set_result(event)  # type: ignore[arg-type]
        if self.closed or self._eof_waiter is not None:  # closed, or finish() waiting for EOF: drop the rest
            queue.clear()
        if self._lost or self.closed:
            return
        if queue and not self._paused:
            self._paused = True
            self._transport.pause_reading()  # type: ignore[union-attr]
        elif not queue and self._paused:
            self._paused = False
            self._transport.resume_reading()  # type: ignore[union-attr]

    def _env_received(self, data: bytes) -> None:
        try:
            request = self._parser.feed_env(data)
        except AGIProtocolError as exc:
            self._reject(str(exc))
            return
        if request is None:
            return
        self.request = request
        self.deadline = None
        if self._server is not None:
            self._server._started(self)
        if self._parser.buffered:  # bytes after the blank line: they wait for the first command
            self._queue.extend(self._parser.feed(b""))
            self._read_queue()

    def eof_received(self) -> bool:
        if self._parser.in_env:
            self._reject(str(self._parser.eof_error()))
            return False
        self._end_of_stream(self._parser.eof_error())
        return True  # half-open until the session ends (we may still half-close for the dialplan)

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost = True
        if self._parser.in_env:
            self._reject(str(exc) if exc is not None else str(self._parser.eof_error()))
        elif not self.closed and not self._eof:
            self._end_of_stream(AGIHangup(str(exc)) if exc is not None else self._parser.eof_error())
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():  # closed by abort() under a running command
            waiter.set_exception(AGIHangup("connection closed"))

    def _end_of_stream(self, error: AGIError) -> None:
        """EOF takes its turn after what was read before it: at once if someone reads, else for the next
        reader (the next command, watch())."""
        self._eof = True
        self._queue.append(error)
        self._read_queue()
        if self._eof_waiter is not None and not self._eof_waiter.done():
            self._eof_waiter.set_result(None)

    # -- failures ---------------------------------------------------------------------------------
    def expire(self, line: str = "") -> None:
        """The deadline passed: no env block in time (the connection is refused), or the running
        command got no reply in time (the session is out of step): close it."""
        if self._parser.in_env:
            if not self.closed and self._server is not None:
                self._reject(f"no complete environment block in {self._server.env_timeout:.1f}s")
            return
        log.warning("AGI %s (%s): no reply to %r in time; closing", self.peer, self.request.channel,
                    line.split(" ", 2)[:2])
        self._fail(AGITimeout(f"no reply to {line[:40]!r}"))

    @property
    def peer(self) -> str:
        peer = self._transport.get_extra_info("peername") if self._transport is not None else None
        return f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)

    def _fail(self, exc: AGIError) -> None:
        """End the session with `exc`: the running command raises it, later ones too; close."""
        if self.closed:
            return
        if isinstance(exc, AGIProtocolError):
            log.warning("AGI %s (%s): %s; closing the connection", self.peer, self.request.channel, exc)
        self._error = exc
        self.hungup.set()
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)
        self.abort()

    def _reject(self, reason: str) -> None:
        """The env block failed (or never came): count it, log it, close."""
        if self.closed:
            return
        self.closed = True
        if self._server is not None:
            self._server._rejected(self, reason)
        if self._transport is not None:
            self._transport.close()

    # -- idle watching --------------------------------------------------------------------------
    def watch(self) -> None:
        """Read while no command runs: `HANGUP`/EOF set `hungup`, anything else is an error."""
        if self.closed or self._watching or self.busy_since is not None:
            return
        self._watching = True
        if self._queue:
            self._read_queue()

    async def unwatch(self) -> None:
        self._watching = False

    async def wait_hangup(self, timeout: float | None = None) -> bool:
        """Wait (watching the socket) until the channel hangs up; False on timeout."""
        self.watch()
        try:
            async with asyncio.timeout(timeout):
                await self.hungup.wait()
        except TimeoutError:
            return False
        return True

    # -- commands -------------------------------------------------------------------------------
    async def command(self, line: str, timeout: float | None = None) -> Reply:
        """Send one command line and return its 200 reply; other codes raise (see agi_protocol).
        One command at a time per connection (AGI has no command ids): a second one raises."""
        if self.busy_since is not None:
            raise RuntimeError("an AGI command is already running on this connection")
        if self.closed:
            raise self._error if self._error is not None else AGIHangup("connection closed")
        loop = self._loop
        start = self.busy_since = loop.time()
        self._watching = False
        try:
            if not self._lost:  # else the end of stream waits in the queue
                try:
                    self._transport.write(line.encode("utf-8") + b"\n")  # type: ignore[union-attr]
                except (ConnectionError, OSError, RuntimeError) as exc:  # RuntimeError: uvloop, closing
                    self._fail(AGIHangup(str(exc)))
                    raise AGIHangup(str(exc)) from exc
            waiter = self._waiter = loop.create_future()
            if self._queue:  # read before this command (a HANGUP, the rest of a segment): its turn first
                self._read_queue()
            if self._reaper is not None:  # one server-wide timer instead of one per command
                self.deadline = start + (timeout if timeout is not None else self.command_timeout)
                self.deadline_for = line
                reply = await waiter
            else:
                timer = loop.call_later(timeout if timeout is not None else self.command_timeout, self.expire, line)
                try:
                    reply = await waiter
                finally:
                    timer.cancel()
        finally:
            self._waiter = self.deadline = self.busy_since = None
            self.windows.append((start, loop.time()))
        return reply if reply[0] == 200 else self._check(line, reply)

    def _check(self, line: str, reply: Reply) -> Reply:
        if reply.code == 200:
            return reply
        if reply.code == 511:
            self.hungup.set()
            raise AGIDeadChannel(reply.text)
        if reply.code == 510:
            raise AGIUnknownCommand(f"{line[:40]!r}: {reply.text}")
        if reply.code == 520:
            raise AGIUsageError(f"{line[:40]!r}: {reply.text}", reply.usage)
        raise AGIProtocolError(f"unexpected reply {reply.code} {reply.text[:60]!r}")

    async def run(self, *words: str | int, timeout: float | None = None) -> Reply:
        return await self.command(build_command(*words), timeout)

    # -- the commands the platform uses -------------------------------------------------------
    async def answer(self) -> Reply:
        return await self.run("ANSWER")

    async def channel_status(self) -> int | None:
        return (await self.run("CHANNEL STATUS")).value

    async def stream_file(self, name: str, escape_digits: str = "") -> Reply:
        return await self.run("STREAM FILE", name, Keys(escape_digits), timeout=self.media_timeout)

    async def get_data(self, prompt: str, timeout_ms: int, max_digits: int) -> Reply:
        return await self.run("GET DATA", prompt, timeout_ms, max_digits, timeout=self.media_timeout)

    async def wait_for_digit(self, timeout_ms: int) -> Reply:
        return await self.run("WAIT FOR DIGIT", timeout_ms, timeout=timeout_ms / 1000 + self.command_timeout)

    async def set_variable(self, name: str, value: str) -> Reply:
        return await self.run("SET VARIABLE", name, value)

    async def get_variable(self, name: str) -> str | None:
        reply = await self.run("GET VARIABLE", name)
        return reply.data if reply.value == 1 else None

    async def exec(self, app: str, data: str = "", timeout: float | None = None) -> Reply:
        """EXEC passes one argument to the application (Asterisk drops words after an unquoted blank)."""
        return await self.run("EXEC", app, data, timeout=timeout if timeout is not None else self.media_timeout)

    async def set_music(self, on: bool, music_class: str = "default") -> Reply:
        return await self.run("SET MUSIC", "ON", music_class) if on else await self.run("SET MUSIC", "OFF")

    async def verbose(self, message: str, level: int = 1) -> Reply:
        return await self.run("VERBOSE", message, level)

    async def hangup(self) -> Reply:
        return await self.run("HANGUP")

    # -- ending -------------------------------------------------------------------------------
    def abort(self) -> None:
        """Close at once (after a protocol error or timeout)."""
        self.closed = True
        if self._transport is not None:
            self._transport.close()

    async def finish(self, wait: float = 0.0) -> None:
        """End the session: half-close so Asterisk continues the dialplan (AGISTATUS=SUCCESS), then
        optionally wait briefly for its last `HANGUP` line / EOF, then close."""
        self._watching = False
        if not self.closed and not self._lost and self._transport is not None:
            with contextlib.suppress(OSError, RuntimeError):
                self._transport.write_eof()
            if wait > 0 and not self._eof:
                self._eof_waiter = self._loop.create_future()
                self._read_queue()  # what was read and not taken is dropped now; reading resumes
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(wait):
                        await self._eof_waiter
        self.abort()


class _BufferedAGIConnection(AGIConnection, asyncio.BufferedProtocol):
    """The connection on the standard (selector) loop: it reads into the server's buffer. Left to itself
    that transport allocates a 256 KiB bytes object for every recv(), which glibc may serve with
    mmap + mremap + munmap each time, depending on the state of its dynamic mmap threshold (seen on this
    machine: three extra system calls per reply, about 0.1 ms of CPU per call, in some processes and not
    others). uvloop reads into a buffer of its own and keeps the plain Protocol."""

    def __init__(self, buffer: memoryview, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._buffer = buffer

    def get_buffer(self, sizehint: int) -> memoryview:
        return self._buffer

    def buffer_updated(self, nbytes: int) -> None:
        # the buffer is shared by the server's connections: what it holds is copied out at once
        self.data_received(bytes(self._buffer[:nbytes]))


def _stray(reply: Reply) -> AGIProtocolError:
    line = f"{reply.code}{'-' if reply.usage else ' '}{reply.text}"
    return AGIProtocolError(f"reply with no command waiting: {line[:80]!r}")


class _Reaper:
    """Checks the deadline of every connection (its env block, then its running command) a few times a
    second: far cheaper than arming and cancelling a timer for each of the ~13 commands of every call."""

    def __init__(self, period: float = 0.1) -> None:
        self.period = period
        self.connections: set[AGIConnection] = set()
        self._task: asyncio.Task[None] | None = None

    def add(self, conn: AGIConnection) -> None:
        conn._reaper = self
        self.connections.add(conn)
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    def discard(self, conn: AGIConnection) -> None:
        self.connections.discard(conn)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self.period)
            now = loop.time()
            for conn in [c for c in self.connections if c.deadline is not None and c.deadline < now]:
                conn.deadline = None
                conn.expire(conn.deadline_for)

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None


class FastAGIServer:
    """A NodeService: listens for Asterisk's FastAGI connections and runs `handler` for each."""

    name = "asterisk.fastagi"

    def __init__(self, handler: Handler, host: str = "127.0.0.1", port: int = 4573, *,
                 env_timeout: float = 5.0, command_timeout: float = 10.0, media_timeout: float = 600.0,
                 backlog: int = 4096) -> None:
        self.handler = handler
        self.host, self.port = host, port
        self.env_timeout = env_timeout
        self.command_timeout = command_timeout
        self.media_timeout = media_timeout
        self.backlog = backlog
        self.active = 0
        self.served = 0
        self.rejected = 0
        self._server: asyncio.base_events.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._reaper = _Reaper(min(0.1, command_timeout / 5, env_timeout / 5))
        self._buffer: memoryview | None = None  # one read buffer for all connections (standard loop)
        self._loop: asyncio.AbstractEventLoop | None = None

    def _connection(self) -> AGIConnection:
        if self._buffer is not None:
            return _BufferedAGIConnection(self._buffer, command_timeout=self.command_timeout,
                                          media_timeout=self.media_timeout, server=self)
        return AGIConnection(command_timeout=self.command_timeout, media_timeout=self.media_timeout, server=self)

    async def start(self) -> None:
        loop = self._loop = asyncio.get_running_loop()
        if isinstance(loop, asyncio.SelectorEventLoop):  # the standard loop (uvloop's is not one)
            self._buffer = memoryview(bytearray(READ_BUFFER_BYTES))
        self._server = await loop.create_server(self._connection, self.host, self.port, backlog=self.backlog)
        sock = self._server.sockets[0]
        self.port = sock.getsockname()[1]
        log.info("FastAGI listening on %s:%s", self.host, self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        self._reaper.stop()
        for conn in list(self._reaper.connections):
            if conn._task is None and not conn.closed:  # still in its env block: no session to end
                self.active -= 1
                self._reaper.discard(conn)
                conn.abort()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    # -- called by the connections ----------------------------------------------------------------
    def _opened(self, conn: AGIConnection) -> None:
        self.active += 1
        conn.deadline = conn._loop.time() + self.env_timeout
        self._reaper.add(conn)

    def _started(self, conn: AGIConnection) -> None:
        self.served += 1
        conn._task = task = conn._loop.create_task(self._session(conn))
        self._tasks.add(task)

    def _rejected(self, conn: AGIConnection, reason: str) -> None:
        self.rejected += 1
        self.active -= 1
        self._reaper.discard(conn)
        log.warning("AGI %s: %s; closing", conn.peer, reason)

    async def _session(self, conn: AGIConnection) -> None:
        try:
            await self.handler(conn)
        except asyncio.CancelledError:
            # only stop() cancels a session: the node is stopping. Ending the task normally keeps
            # the shutdown from logging every open call as an error at Ctrl-C.
            log.info("AGI session %s ended: the node is stopping", conn.request.channel)
        except AGIError as exc:
            log.info("AGI session %s ended: %s", conn.request.channel, exc)
        except Exception:
            log.exception("AGI session %s failed", conn.request.channel)
        finally:
            self.active -= 1
            self._reaper.discard(conn)
            await conn.finish()
            if conn._task is not None:
                self._tasks.discard(conn._task)
