"""An asyncio AMI client: login (plain or MD5 challenge), ActionID correlation with futures, event
lists, Command output, async Originate, event subscriptions, keep-alive pings and reconnection.

Back-pressure policy: the socket reader never waits for subscribers. It routes responses at once and
puts events wanted by at least one subscription into a bounded queue (default 10,000). When the queue
is full the *oldest* queued event is dropped, `dropped_events` is counted and a warning is logged (at
most every 10 s); subscribers that registered `on_overflow` are told so they can re-read state
(e.g. CoreShowChannels). Actions and their responses are never dropped. Asterisk itself disconnects a
manager session that does not read fast enough, which this policy avoids; filters at the source
(`events=` mask at login and `Filter` actions) keep the stream small in the first place.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import itertools
import logging
import random
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ivr.asterisk.ami_protocol import (
    BANNER_PREFIX,
    MAX_LINE_BYTES,
    AMIActionError,
    AMIAuthError,
    AMIDisconnected,
    AMIError,
    AMIProtocolError,
    Message,
    MessageAssembler,
    encode,
    md5_key,
)

log = logging.getLogger(__name__)

EventHandler = Callable[[Message], Any]


@dataclass
class Subscription:
    handler: EventHandler
    events: frozenset[str] | None = None  # lower-case event names; None = all
    where: Callable[[Message], bool] | None = None
    on_overflow: Callable[[int], Any] | None = None
    _client: AMIClient | None = None

    def wants(self, msg: Message) -> bool:
        name = (msg.event or "").lower()
        if self.events is not None and name not in self.events:
            return False
        return self.where is None or bool(self.where(msg))

    def close(self) -> None:
        if self._client is not None:
            self._client._subs = [s for s in self._client._subs if s is not self]


@dataclass
class _Pending:
    action: str
    future: asyncio.Future[Any]
    is_list: bool = False
    originate: bool = False
    response: Message | None = None
    items: list[Message] = field(default_factory=list)
    originate_event: asyncio.Future[Message] | None = None


@dataclass(frozen=True)
class OriginateResult:
    success: bool
    reason: int | None  # 4 answered, 5 busy, 3 no answer, 0 failed (see Asterisk's Reason codes)
    channel: str | None
    uniqueid: str | None
    event: Message


class AMIClient:
    """A NodeService. `start()` returns at once; the client connects (and reconnects) in the background."""

    name = "asterisk.ami"

    def __init__(self, host: str, port: int = 5038, username: str = "", secret: str = "", *,
                 auth: str = "plain", events: str | None = "on", ping_interval: float = 20.0,
                 ping_timeout: float = 5.0, action_timeout: float = 10.0, connect_timeout: float = 5.0,
                 backoff_initial: float = 0.5, backoff_max: float = 30.0, queue_size: int = 10_000,
                 filters: Iterable[str] = ()) -> None:
        if auth not in ("plain", "md5"):
            raise ValueError("auth must be 'plain' or 'md5'")
        self.host, self.port = host, port
        self.username, self.secret, self.auth = username, secret, auth
        self.events_mask = events
        self.ping_interval, self.ping_timeout = ping_interval, ping_timeout
        self.action_timeout, self.connect_timeout = action_timeout, connect_timeout
        self.backoff_initial, self.backoff_max = backoff_initial, backoff_max
        self.filters = tuple(filters)
        self.connected = asyncio.Event()
        self.banner: str | None = None
        self.dropped_events = 0
        self.connects = 0
        self.last_error: str | None = None
        self.errors: deque[str] = deque(maxlen=20)  # recent connection errors, newest last
        self._queue: deque[Message] = deque()
        self._queue_size = queue_size
        self._queue_ready = asyncio.Event()
        self._subs: list[Subscription] = []
        self._pending: dict[str, _Pending] = {}
        self._ids = itertools.count(1)
        self._prefix = f"hl{random.randrange(16**6):06x}"
        self._writer: asyncio.StreamWriter | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False
        self._last_drop_log = 0.0

    # -- service ------------------------------------------------------------------------------
    async def start(self) -> None:
        self._stopping = False
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._run(), name="ami-run"),
                       loop.create_task(self._dispatch(), name="ami-dispatch")]

    async def stop(self) -> None:
        self._stopping = True
        if self._writer is not None and self.connected.is_set():
            with contextlib.suppress(AMIError, TimeoutError, OSError):
                await self.action("Logoff", timeout=1.0, check=False)
        if self._writer is not None:
            self._writer.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    async def wait_connected(self, timeout: float = 5.0) -> None:
        async with asyncio.timeout(timeout):
            await self.connected.wait()

    # -- connection ---------------------------------------------------------------------------
    async def _run(self) -> None:
        attempt = 0
        while not self._stopping:
            try:
                await self._session()
                attempt = 0 if self.connected.is_set() else attempt
            except asyncio.CancelledError:
                raise
            except (OSError, AMIError, TimeoutError) as exc:
                self.last_error = f"{type(exc).__name__}: {exc}"
                self.errors.append(self.last_error)
                log.warning("AMI %s:%s: %s", self.host, self.port, self.last_error)
            finally:
                was_up = self.connected.is_set()
                self.connected.clear()
                self._fail_pending(AMIDisconnected("AMI connection lost"))
                if was_up:
                    attempt = 0
            if self._stopping:
                break
            delay = min(self.backoff_max, self.backoff_initial * (2 ** attempt)) * random.uniform(0.5, 1.0)
            attempt += 1
            await asyncio.sleep(delay)

    async def _session(self) -> None:
        async with asyncio.timeout(self.connect_timeout):
            reader, writer = await asyncio.open_connection(self.host, self.port, limit=MAX_LINE_BYTES)
        self._writer = writer
        reader_task: asyncio.Task[None] | None = None
        ping_task: asyncio.Task[None] | None = None
        try:
            async with asyncio.timeout(self.connect_timeout):
                banner = await reader.readline()
            if not banner:
                raise AMIDisconnected("closed before the banner")
            text = banner.decode("utf-8", errors="replace").rstrip("\r\n")
            if not text.startswith(BANNER_PREFIX):
                raise AMIProtocolError(f"not an AMI banner: {text[:60]!r}")
            self.banner = text
            reader_task = asyncio.get_running_loop().create_task(self._read_loop(reader))
            await self._login()
            for expr in self.filters:
                await self.action("Filter", {"Operation": "Add", "Filter": expr})
            self.connects += 1
            self.connected.set()
            log.info("AMI connected to %s:%s (%s)", self.host, self.port, self.banner)
            if self.ping_interval > 0:
                ping_task = asyncio.get_running_loop().create_task(self._keepalive())
            await reader_task
        finally:
            for task in (ping_task, reader_task):
                if task is not None and not task.done():
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await task
            writer.close()
            self._writer = None

    async def _login(self) -> None:
        headers: dict[str, str | None]
        if self.auth == "md5":
            challenge = await self.action("Challenge", {"AuthType": "MD5"}, check=False)
            if (challenge.get("Response") or "").lower() != "success" or not challenge.get("Challenge"):
                raise AMIAuthError(f"challenge refused: {challenge.get('Message')}")
            headers = {"AuthType": "MD5", "Username": self.username,
                       "Key": md5_key(challenge["Challenge"], self.secret)}
        else:
            headers = {"Username": self.username, "Secret": self.secret}
        headers["Events"] = self.events_mask
        reply = await self.action("Login", headers, check=False)
        if (reply.get("Response") or "").lower() != "success":
            raise AMIAuthError(reply.get("Message") or "authentication failed")

    async def _keepalive(self) -> None:
        while True:
            await asyncio.sleep(self.ping_interval)
            try:
                await self.action("Ping", timeout=self.ping_timeout)
            except (AMIError, TimeoutError) as exc:
                log.warning("AMI keep-alive failed (%s); reconnecting", exc)
                if self._writer is not None:
                    self._writer.close()
                return

    async def _read_loop(self, reader: asyncio.StreamReader) -> None:
        assembler = MessageAssembler()
        try:
            while True:
                try:
                    raw = await reader.readline()
                except (asyncio.LimitOverrunError, ValueError) as exc:
                    raise AMIProtocolError("AMI line longer than the limit") from exc
                if not raw.endswith(b"\n"):
                    return  # EOF (a partial last line is dropped)
                line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
                msg = assembler.feed(line)
                if msg is not None:
                    self._route(msg)
        except AMIProtocolError as exc:
            log.warning("AMI %s:%s sent bad data (%s); closing the connection", self.host, self.port, exc)
            self.last_error = str(exc)
        except (ConnectionError, OSError):
            return

    def _fail_pending(self, exc: Exception) -> None:
        pending, self._pending = self._pending, {}
        for p in pending.values():
            for fut in (p.future, p.originate_event):
                if fut is not None and not fut.done():
                    fut.set_exception(exc)
                    fut.exception()  # mark retrieved: nobody may be waiting any more

    # -- routing ------------------------------------------------------------------------------
    def _route(self, msg: Message) -> None:
        aid = msg.action_id
        pending = self._pending.get(aid) if aid else None
        if msg.event is not None:
            if pending is not None and pending.is_list and pending.response is not None:
                if msg.is_list_end:
                    del self._pending[aid]  # type: ignore[arg-type]
                    if not pending.future.done():
                        pending.future.set_result((pending.response, pending.items))
                else:
                    pending.items.append(msg)
                return  # list items belong to the action, not to subscribers
            if (pending is not None and pending.originate and msg.event == "OriginateResponse"
                    and pending.originate_event is not None):
                del self._pending[aid]  # type: ignore[arg-type]
                if not pending.originate_event.done():
                    pending.originate_event.set_result(msg)
            self._enqueue(msg)
            return
        if pending is None:
            log.debug("AMI response with no action waiting (ActionID %r)", aid)
            return
        if pending.is_list and msg.is_list_start:
            pending.response = msg
            return
        if not (pending.originate and (msg.get("Response") or "").lower() == "success"):
            del self._pending[aid]  # type: ignore[arg-type]
        if not pending.future.done():
            pending.future.set_result((msg, []) if pending.is_list else msg)

    def _enqueue(self, msg: Message) -> None:
        if not any(sub.wants(msg) for sub in self._subs):
            return
        if len(self._queue) >= self._queue_size:
            self._queue.popleft()
            self.dropped_events += 1
            now = time.monotonic()
            if now - self._last_drop_log > 10:
                self._last_drop_log = now
                log.warning("AMI event queue full (%d): dropping the oldest events (%d dropped so far)",
                            self._queue_size, self.dropped_events)
                for sub in self._subs:
                    if sub.on_overflow is not None:
                        with contextlib.suppress(Exception):
                            sub.on_overflow(self.dropped_events)
        self._queue.append(msg)
        self._queue_ready.set()

    async def _dispatch(self) -> None:
        while True:
            await self._queue_ready.wait()
            while self._queue:
                msg = self._queue.popleft()
                for sub in list(self._subs):
                    if not sub.wants(msg):
                        continue
                    try:
                        result = sub.handler(msg)
                        if inspect.isawaitable(result):
                            await result
                    except Exception:
                        log.exception("AMI subscriber failed on %s", msg.event)
            self._queue_ready.clear()

    # -- public API ---------------------------------------------------------------------------
    def subscribe(self, handler: EventHandler, events: Iterable[str] | None = None, *,
                  where: Mapping[str, str] | Callable[[Message], bool] | None = None,
                  on_overflow: Callable[[int], Any] | None = None) -> Subscription:
        """`events`: event names (case-insensitive); `where`: header values that must match exactly,
        or a predicate."""
        pred: Callable[[Message], bool] | None
        if isinstance(where, Mapping):
            wanted = dict(where)
            pred = lambda m: all(m.get(k) == v for k, v in wanted.items())  # noqa: E731
        else:
            pred = where
        sub = Subscription(handler, frozenset(e.lower() for e in events) if events is not None else None,
                           pred, on_overflow, self)
        self._subs = [*self._subs, sub]
        return sub

    def _next_id(self) -> str:
        return f"{self._prefix}-{next(self._ids)}"

    async def _send(self, action: str | None, headers: Mapping[str, object] | Iterable[tuple[str, object]] | None,
                    *, is_list: bool = False, originate: bool = False) -> _Pending:
        if self._writer is None:
            raise AMIDisconnected("AMI is not connected")
        aid = self._next_id()
        loop = asyncio.get_running_loop()
        pending = _Pending(action or "", loop.create_future(), is_list=is_list, originate=originate,
                           originate_event=loop.create_future() if originate else None)
        items = list(headers.items()) if isinstance(headers, Mapping) else list(headers or ())
        data = encode(action, [("ActionID", aid), *items])
        self._pending[aid] = pending
        try:
            self._writer.write(data)
            await self._writer.drain()
        except (ConnectionError, OSError) as exc:
            self._pending.pop(aid, None)
            raise AMIDisconnected(str(exc)) from exc
        pending.future.add_done_callback(lambda f: self._forget(aid, pending, f))
        return pending

    def _forget(self, aid: str, pending: _Pending, fut: asyncio.Future[Any]) -> None:
        if fut.cancelled() and self._pending.get(aid) is pending:
            del self._pending[aid]

    async def action(self, action: str, headers: Mapping[str, object] | None = None, *,
                     timeout: float | None = None, check: bool = True) -> Message:
        """Send one action and return its response; `Response: Error` raises AMIActionError."""
        pending = await self._send(action, headers)
        async with asyncio.timeout(timeout or self.action_timeout):
            msg: Message = await pending.future
        if check and (msg.get("Response") or "").lower() == "error":
            raise AMIActionError(action, msg)
        return msg

    async def request(self, headers: Iterable[tuple[str, object]], *, timeout: float | None = None) -> Message:
        """A raw message (headers in the given order, e.g. lower-case names); an ActionID is added first.
        The response is returned as is, errors included."""
        pending = await self._send(None, headers)
        async with asyncio.timeout(timeout or self.action_timeout):
            msg: Message = await pending.future
        return msg

    async def action_list(self, action: str, headers: Mapping[str, object] | None = None, *,
                          timeout: float | None = None) -> tuple[Message, list[Message]]:
        """An action answered by an event list: (response, items) once `EventList: Complete` arrives."""
        pending = await self._send(action, headers, is_list=True)
        async with asyncio.timeout(timeout or self.action_timeout):
            msg, items = await pending.future
        if (msg.get("Response") or "").lower() == "error":
            raise AMIActionError(action, msg)
        return msg, items

    async def command(self, cli: str, *, timeout: float | None = None) -> list[str]:
        """A CLI command's output lines (22.x `Output:` headers or legacy `Response: Follows`)."""
        msg = await self.action("Command", {"Command": cli}, timeout=timeout, check=False)
        output = msg.command_output()
        if (msg.get("Response") or "").lower() == "error" and not output:
            raise AMIActionError("Command", msg)
        return output

    async def originate(self, channel: str, *, context: str | None = None, exten: str | None = None,
                        priority: int | str | None = None, application: str | None = None,
                        data: str | None = None, caller_id: str | None = None,
                        variables: Mapping[str, str] | None = None, timeout_ms: int | None = None,
                        account: str | None = None) -> OriginateResult:
        """Async Originate: the immediate Response, then the OriginateResponse event (same ActionID).
        `timeout_ms` is the ring time (Asterisk's default is 30 s when it is not sent)."""
        headers: dict[str, object] = {
            "Channel": channel, "Context": context, "Exten": exten,
            "Priority": priority if priority is not None else (1 if exten is not None else None),
            "Application": application, "Data": data, "CallerID": caller_id,
            "Variable": [f"{k}={v}" for k, v in (variables or {}).items()] or None,
            "Timeout": timeout_ms, "Account": account, "Async": "true",
        }
        pending = await self._send("Originate", headers, originate=True)
        try:
            async with asyncio.timeout(self.action_timeout):
                msg: Message = await pending.future
            if (msg.get("Response") or "").lower() != "success":
                raise AMIActionError("Originate", msg)
            assert pending.originate_event is not None
            async with asyncio.timeout((timeout_ms or 30_000) / 1000 + self.action_timeout):
                event = await pending.originate_event
        finally:
            for fut in (pending.future, pending.originate_event):
                if fut is not None and not fut.done():
                    fut.cancel()
        reason = event.get("Reason")
        uniqueid = event.get("Uniqueid")
        return OriginateResult(
            success=(event.get("Response") or "").lower() == "success",
            reason=int(reason) if reason and reason.lstrip("-").isdigit() else None,
            channel=event.get("Channel"),
            uniqueid=None if uniqueid in (None, "<unknown>") else uniqueid,
            event=event,
        )

    async def redirect(self, channel: str, context: str, exten: str, priority: int = 1) -> Message:
        return await self.action("Redirect", {"Channel": channel, "Context": context, "Exten": exten,
                                              "Priority": priority})

    async def hangup(self, channel: str) -> Message:
        return await self.action("Hangup", {"Channel": channel})

    async def setvar(self, channel: str | None, variable: str, value: str) -> Message:
        return await self.action("Setvar", {"Channel": channel, "Variable": variable, "Value": value})

    async def getvar(self, channel: str | None, variable: str) -> str:
        return (await self.action("Getvar", {"Channel": channel, "Variable": variable})).get("Value") or ""
