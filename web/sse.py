"""Server-sent events for the console: one bus subscription per process fans events out to each
open stream, filtered for the user who opened it (role, province scope, own agent id).

A stream holds no database session (the viewer is a detached snapshot taken at connect time), writes
a heartbeat comment every `heartbeat` seconds so that a vanished client is noticed by the failed
write, and ends after `max_seconds` (EventSource reconnects). `Last-Event-ID` replays what the
client missed from a ring buffer; an id the buffer no longer holds (or garbage) yields a `reset`
event, telling the page to reload its state instead of trusting a gap.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from core.events import Event
from core.masking import mask_id, mask_phone

# event-type prefix -> roles that may receive it
TYPE_ROLES: tuple[tuple[str, frozenset[str]], ...] = (
    ("acd.", frozenset({"agent", "supervisor"})),
    ("call.", frozenset({"supervisor"})),
    ("route.", frozenset({"supervisor"})),
    ("kb.", frozenset({"agent", "editor", "reviewer", "supervisor"})),
    ("sms.", frozenset({"supervisor"})),
    ("ticket.", frozenset({"agent", "supervisor"})),
    ("console.", frozenset({"agent", "supervisor", "editor", "reviewer", "admin"})),
)
_MASKS = {"phone": mask_phone, "id": mask_id}


@dataclass(frozen=True)
class Viewer:
    """Who a stream belongs to (a snapshot: streams never touch the database)."""

    user_id: int
    roles: frozenset[str]
    province_scope: str
    agent_id: int | None = None

    def can_see_province(self, code: str | None) -> bool:
        return self.province_scope == "00" or (code is not None and code == self.province_scope)


def visible(viewer: Viewer, event: Event) -> dict[str, Any] | None:
    """The event data this viewer may see (masked), or None when it is not for them. Reads only the
    envelope the event's declaration filled (scope, agent, masked fields), never the data."""
    roles = next((r for prefix, r in TYPE_ROLES if event.type.startswith(prefix)), None)
    if roles is None or not viewer.roles & roles:
        return None
    province = event.scope
    agent_id = event.agent_id
    own = agent_id is not None and viewer.agent_id is not None and agent_id == str(viewer.agent_id)
    if province == "*":  # deliberately for everyone (a national broadcast)
        province = None
    elif province is None and viewer.province_scope != "00" and not own:
        return None  # an event without a scope is for national roles only (or the agent it is about)
    elif not viewer.can_see_province(province) and not own:
        return None
    watcher = bool(viewer.roles & {"supervisor", "admin", "editor", "reviewer"})
    if agent_id is not None and not watcher and not own:
        return None
    if event.type.startswith("acd.call.") and agent_id is None and not watcher and province is None:
        return None
    out = dict(event.data)
    for name, kind in event.masks:
        if isinstance(out.get(name), str):
            out[name] = _MASKS[kind](out[name])
    return out


RESET = 'data: {"type": "reset"}\n\n'


def format_event(event: Event, data: dict[str, Any]) -> str:
    payload = json.dumps({"type": event.type, "ts": event.ts, "data": data}, ensure_ascii=False, default=str)
    return f"id: {event.id}\ndata: {payload}\n\n"


class _Client:
    def __init__(self, viewer: Viewer, maxsize: int) -> None:
        self.viewer = viewer
        self.queue: queue.Queue[Event | None] = queue.Queue(maxsize=maxsize)
        self.overflowed = False

    def offer(self, event: Event) -> None:
        try:
            self.queue.put_nowait(event)
        except queue.Full:
            self.overflowed = True  # the stream ends with `reset`; the page reloads its state


class Hub:
    """Fan-out of bus events to SSE streams in this process."""

    def __init__(self, bus: Any, *, heartbeat: float = 15.0, max_seconds: float = 3600.0,
                 buffer: int = 1000, client_queue: int = 500) -> None:
        self.heartbeat = heartbeat
        self.max_seconds = max_seconds
        self.client_queue = client_queue
        self._ring: deque[Event] = deque(maxlen=buffer)
        self._clients: set[_Client] = set()
        self._lock = threading.Lock()
        self._sub = bus.subscribe(self._on_event)

    @property
    def client_count(self) -> int:
        return len(self._clients)

    def _on_event(self, event: Event) -> None:
        with self._lock:
            self._ring.append(event)
            clients = list(self._clients)
        for client in clients:
            client.offer(event)

    def _missed(self, last_id: str) -> list[Event] | None:
        with self._lock:
            ring = list(self._ring)
        for i, event in enumerate(ring):
            if event.id == last_id:
                return ring[i + 1:]
        return None

    def stream(self, viewer: Viewer, last_event_id: str | None = None) -> Iterator[str]:
        """The text of one SSE response; ends when the client goes or after `max_seconds`."""
        client = _Client(viewer, self.client_queue)
        with self._lock:
            self._clients.add(client)
        try:
            yield f"retry: 3000\n: connected {int(time.time())}\n\n"
            if last_event_id:
                missed = self._missed(last_event_id.strip())
                if missed is None:
                    yield RESET
                else:
                    for past in missed:
                        data = visible(viewer, past)
                        if data is not None:
                            yield format_event(past, data)
            deadline = time.monotonic() + self.max_seconds
            while time.monotonic() < deadline:
                try:
                    event = client.queue.get(timeout=self.heartbeat)
                except queue.Empty:
                    yield ": hb\n\n"
                    continue
                if event is None:
                    break
                if client.overflowed:
                    yield RESET
                    break
                data = visible(viewer, event)
                if data is not None:
                    yield format_event(event, data)
        finally:
            with self._lock:
                self._clients.discard(client)

    def close(self) -> None:
        self._sub.close()
        with self._lock:
            clients = list(self._clients)
        for client in clients:
            try:
                client.queue.put_nowait(None)
            except queue.Full:
                client.overflowed = True
