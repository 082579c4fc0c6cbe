"""FastAGI on asyncio: the server (one TCP connection per call, opened by Asterisk) and the
connection object a call's script drives.

The stream is parsed by lines, never by recv() chunks: a command reads its own reply inline, the
unsolicited `HANGUP` line and end of stream mark the channel hung up (they are never taken as the reply
to a command); while no command runs (music on hold) `watch()` reads the socket instead. A connection
that misbehaves (garbage, oversized lines, a stalled env block, a reply timeout) is logged and closed
on its own; the others never notice.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
from collections.abc import Awaitable, Callable

from ivr.asterisk.agi_protocol import (
    MAX_ENV_BYTES,
    MAX_ENV_LINES,
    MAX_USAGE_LINES,
    AGIDeadChannel,
    AGIError,
    AGIHangup,
    AGIProtocolError,
    AGIRequest,
    AGITimeout,
    AGIUnknownCommand,
    AGIUsageError,
    Keys,
    Reply,
    build_command,
    build_request,
    parse_env_line,
    parse_reply,
)

log = logging.getLogger(__name__)

Handler = Callable[["AGIConnection"], Awaitable[None]]


async def _readline(reader: asyncio.StreamReader) -> str | None:
    """One line without its terminator; None at end of stream (a partial last line counts as EOF).
    Lines longer than the reader's limit raise AGIProtocolError."""
    try:
        raw = await reader.readline()
    except (asyncio.LimitOverrunError, ValueError) as exc:
        raise AGIProtocolError("line longer than the limit") from exc
    if not raw.endswith(b"\n"):
        return None
    return raw[:-1].decode("utf-8", errors="replace").rstrip("\r")


async def read_env(reader: asyncio.StreamReader, *, max_lines: int = MAX_ENV_LINES,
                   max_bytes: int = MAX_ENV_BYTES) -> AGIRequest:
    """The `agi_*` block up to its blank line, read in one go (the reader's limit bounds it). EOF
    inside it is a hang-up (no retry, no spin)."""
    try:
        raw = await reader.readuntil(b"\n\n")
    except asyncio.IncompleteReadError:
        raise AGIHangup("connection closed inside the AGI environment block") from None
    except asyncio.LimitOverrunError:
        raise AGIProtocolError("AGI environment block too large") from None
    if len(raw) > max_bytes:
        raise AGIProtocolError("AGI environment block too large")
    lines = raw[:-2].decode("utf-8", errors="replace").split("\n")
    if len(lines) > max_lines:
        raise AGIProtocolError("AGI environment block too large")
    if lines[0] == "":
        raise AGIProtocolError("empty AGI environment block")
    env: dict[str, str] = {}
    for line in lines:
        key, value = parse_env_line(line.rstrip("\r"))
        env[key] = value
    return build_request(env)


class AGIConnection:
    """One call's AGI session. Commands run one at a time and read their own reply inline (no task hop
    per command). While no command runs, `watch()` keeps a reader on the socket so an unsolicited
    `HANGUP` line or EOF is seen at once (the adapter does this while the caller is on hold)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: AGIRequest, *,
                 command_timeout: float = 10.0, media_timeout: float = 600.0) -> None:
        self.request = request
        self.command_timeout = command_timeout
        self.media_timeout = media_timeout
        self.hungup = asyncio.Event()
        self.closed = False
        self._reader = reader
        self._writer = writer
        self._busy = False
        # (start, end) loop times of the last commands: a key seen over AMI outside them was pressed
        # while no command ran, which Asterisk throws away (see channel._Call.absorb). Enough of them for
        # a whole input: an 18-digit ID is 19 WAIT FOR DIGITs, and a key whose window was dropped would
        # be buffered a second time (seen on the real Asterisk: the ID confirmation then read "1" + stale keys)
        self.windows: collections.deque[tuple[float, float]] = collections.deque(maxlen=512)
        self.busy_since: float | None = None
        self._watch: asyncio.Task[None] | None = None
        self._error: BaseException | None = None
        self._reaper: _Reaper | None = None
        self.deadline: float | None = None  # when the running command times out (reaper mode)
        self.deadline_for = ""

    def expire(self, line: str) -> None:
        """The running command got no reply in time: the session is out of step, close it."""
        log.warning("AGI %s (%s): no reply to %r in time; closing", self.peer, self.request.channel,
                    line.split(" ", 2)[:2])
        self._fail(AGITimeout(f"no reply to {line[:40]!r}"))

    @property
    def peer(self) -> str:
        peer = self._writer.get_extra_info("peername")
        return f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)

    def _fail(self, exc: BaseException) -> None:
        if isinstance(exc, AGIProtocolError):
            log.warning("AGI %s (%s): %s; closing the connection", self.peer, self.request.channel, exc)
        self._error = exc
        self.hungup.set()
        self.abort()

    async def _read_reply(self) -> Reply:
        """The next reply; `HANGUP` lines on the way only mark the channel hung up."""
        while True:
            line = await _readline(self._reader)
            if line is None:
                raise AGIHangup("connection closed by Asterisk")
            if line == "HANGUP":
                self.hungup.set()
                continue
            reply = await self._read_usage(line) if line.startswith("520-") else parse_reply(line)
            if reply.code != 100:  # "100 Trying...": the real reply follows
                return reply

    async def _read_usage(self, first: str) -> Reply:
        body: list[str] = []
        while True:
            line = await _readline(self._reader)
            if line is None:
                raise AGIProtocolError("connection closed inside a 520 usage reply")
            if line.startswith("520 "):
                return Reply(520, text=first[4:], usage=tuple(body))
            body.append(line)
            if len(body) > MAX_USAGE_LINES:
                raise AGIProtocolError("520 usage reply too long")

    # -- idle watching --------------------------------------------------------------------------
    def watch(self) -> None:
        """Read the socket while no command runs: `HANGUP`/EOF set `hungup`, anything else is an error."""
        if self._watch is None and not self.closed:
            self._watch = asyncio.get_running_loop().create_task(self._watch_loop())

    async def _watch_loop(self) -> None:
        try:
            while True:
                line = await _readline(self._reader)
                if line is None:
                    self._fail(AGIHangup("connection closed by Asterisk"))
                    return
                if line != "HANGUP":
                    raise AGIProtocolError(f"reply with no command waiting: {line[:80]!r}")
                self.hungup.set()
        except AGIProtocolError as exc:
            self._fail(exc)
        except (ConnectionError, OSError) as exc:
            self._fail(AGIHangup(str(exc)))

    async def unwatch(self) -> None:
        task, self._watch = self._watch, None
        if task is not None and not task.done():
            task.cancel()  # a pending readline leaves unread data in the buffer
            with contextlib.suppress(asyncio.CancelledError):
                await task

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
        if self._busy:
            raise RuntimeError("an AGI command is already running on this connection")
        self._busy = True
        loop = asyncio.get_running_loop()
        self.busy_since = loop.time()
        try:
            if self._watch is not None:
                await self.unwatch()
            if self.closed:
                raise self._error if isinstance(self._error, AGIError) else AGIHangup("connection closed")
            limit = timeout if timeout is not None else self.command_timeout
            self._writer.write(line.encode("utf-8") + b"\n")
            if self._writer.transport.get_write_buffer_size():  # only wait when the socket pushed back
                await self._writer.drain()
            if self._reaper is not None:  # one server-wide timer instead of one per command
                self.deadline = self.busy_since + limit
                self.deadline_for = line
                reply = await self._read_reply()
            else:
                async with asyncio.timeout(limit):
                    reply = await self._read_reply()
        except TimeoutError:
            self.expire(line)
            raise AGITimeout(f"no reply to {line[:40]!r}") from None
        except AGIProtocolError as exc:
            self._fail(exc)
            raise
        except AGIHangup as exc:
            if isinstance(self._error, AGITimeout):
                raise self._error from None
            self._fail(exc)
            raise
        except (ConnectionError, OSError) as exc:
            self._fail(AGIHangup(str(exc)))
            raise AGIHangup(str(exc)) from exc
        finally:
            self.deadline = None
            self._busy = False
            if self.busy_since is not None:
                self.windows.append((self.busy_since, loop.time()))
            self.busy_since = None
        return reply if reply.code == 200 else self._check(line, reply)

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
        self._writer.close()

    async def finish(self, wait: float = 0.0) -> None:
        """End the session: half-close so Asterisk continues the dialplan (AGISTATUS=SUCCESS), then
        optionally wait briefly for its last `HANGUP` line / EOF, then close."""
        await self.unwatch()
        if not self.closed and self._writer.can_write_eof():
            with contextlib.suppress(OSError, RuntimeError):
                self._writer.write_eof()
        if wait > 0 and not self.closed:
            with contextlib.suppress(TimeoutError, AGIError, ConnectionError, OSError):
                async with asyncio.timeout(wait):
                    while await _readline(self._reader) is not None:
                        pass
        self.abort()


class _Reaper:
    """Checks the running command's deadline of every connection a few times a second: far cheaper
    than arming and cancelling a timer for each of the ~13 commands of every call."""

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
        self._reaper = _Reaper(min(0.1, command_timeout / 5))

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._on_connect, self.host, self.port,
                                                  limit=MAX_ENV_BYTES, backlog=self.backlog)
        sock = self._server.sockets[0]
        self.port = sock.getsockname()[1]
        log.info("FastAGI listening on %s:%s", self.host, self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        self._reaper.stop()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        self.active += 1
        conn: AGIConnection | None = None
        try:
            try:
                async with asyncio.timeout(self.env_timeout):
                    request = await read_env(reader)
            except TimeoutError:
                self.rejected += 1
                log.warning("AGI %s: no complete environment block in %.1fs; closing",
                            writer.get_extra_info("peername"), self.env_timeout)
                return
            except (AGIProtocolError, AGIHangup) as exc:
                self.rejected += 1
                log.warning("AGI %s: %s; closing", writer.get_extra_info("peername"), exc)
                return
            conn = AGIConnection(reader, writer, request, command_timeout=self.command_timeout,
                                 media_timeout=self.media_timeout)
            self._reaper.add(conn)
            self.served += 1
            await self.handler(conn)
        except asyncio.CancelledError:
            # only stop() cancels a session: the node is stopping. Ending the task normally keeps
            # asyncio's stream callback from logging every open call as an error at Ctrl-C.
            log.info("AGI session %s ended: the node is stopping", conn.request.channel if conn else "?")
        except AGIError as exc:
            log.info("AGI session %s ended: %s", conn.request.channel if conn else "?", exc)
        except Exception:
            log.exception("AGI session %s failed", conn.request.channel if conn else "?")
        finally:
            self.active -= 1
            if conn is not None:
                self._reaper.discard(conn)
                await conn.finish()
            else:
                writer.close()
            if task is not None:
                self._tasks.discard(task)
