"""The event bus: every step of a call or message emits an event (call started, routed, queued,
offered, answered, abandoned, looked up, sms sent ...). Events feed the console, statistics and audit.

`InProcessBus` dispatches to subscribers in the publishing thread. `RedisBus` does the same locally
and also publishes to a Redis channel so that other nodes' subscribers see the event once.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from core.clock import Clock, SystemClock
from core.masking import scrub_data

log = logging.getLogger(__name__)

CHANNEL = "hotline:events"


@dataclass(frozen=True)
class Event:
    type: str
    data: dict[str, Any]
    ts: float
    node: str
    id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, default=str)

    @classmethod
    def from_json(cls, text: str | bytes) -> Event:
        raw = json.loads(text)
        return cls(type=raw["type"], data=raw["data"], ts=raw["ts"], node=raw["node"], id=raw["id"])


Handler = Callable[[Event], None]


class Subscription:
    def __init__(self, bus: _LocalDispatch, handler: Handler, prefixes: tuple[str, ...]) -> None:
        self._bus, self.handler, self.prefixes = bus, handler, prefixes

    def matches(self, event_type: str) -> bool:
        return not self.prefixes or event_type.startswith(self.prefixes)

    def close(self) -> None:
        self._bus._remove(self)


class EventBus(Protocol):
    node_id: str

    def publish(self, event_type: str, **data: Any) -> Event: ...

    def subscribe(self, handler: Handler, types: Iterable[str] = ()) -> Subscription:
        """`types` are prefixes: ``("call.",)`` receives every call event."""
        ...

    def close(self) -> None: ...


class _LocalDispatch:
    def __init__(self, node_id: str, clock: Clock | None) -> None:
        self.node_id = node_id
        self.clock = clock or SystemClock()
        self._subs: list[Subscription] = []
        self._lock = threading.Lock()

    def subscribe(self, handler: Handler, types: Iterable[str] = ()) -> Subscription:
        sub = Subscription(self, handler, tuple(types))
        with self._lock:
            self._subs = [*self._subs, sub]
        return sub

    def _remove(self, sub: Subscription) -> None:
        with self._lock:
            self._subs = [s for s in self._subs if s is not sub]

    def _dispatch(self, event: Event) -> None:
        for sub in self._subs:
            if sub.matches(event.type):
                try:
                    sub.handler(event)
                except Exception:  # a broken subscriber must not break the publisher
                    log.exception("event subscriber failed on %s", event.type)

    def _make(self, event_type: str, data: dict[str, Any]) -> Event:
        # events reach consoles, other nodes and statistics: no full personal number travels in one
        return Event(type=event_type, data=scrub_data(data), ts=self.clock.time(), node=self.node_id)


class InProcessBus(_LocalDispatch):
    def publish(self, event_type: str, **data: Any) -> Event:
        event = self._make(event_type, data)
        self._dispatch(event)
        return event

    def close(self) -> None:
        self._subs = []


class RedisBus(_LocalDispatch):
    """Local dispatch plus Redis pub/sub between nodes (each node skips its own echoes)."""

    def __init__(self, redis_url: str, node_id: str, clock: Clock | None = None,
                 channel: str = CHANNEL) -> None:
        import redis

        super().__init__(node_id, clock)
        self.channel = channel
        self._redis = redis.Redis.from_url(redis_url)
        self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        self._pubsub.subscribe(**{channel: self._on_message})
        self._thread = self._pubsub.run_in_thread(sleep_time=0.05, daemon=True)

    def _on_message(self, message: dict[str, Any]) -> None:
        try:
            event = Event.from_json(message["data"])
        except (ValueError, KeyError, TypeError):
            log.warning("dropped a malformed event on %s", self.channel)
            return
        if event.node != self.node_id:
            self._dispatch(event)

    def publish(self, event_type: str, **data: Any) -> Event:
        event = self._make(event_type, data)
        self._dispatch(event)
        self._redis.publish(self.channel, event.to_json())
        return event

    def close(self) -> None:
        self._thread.stop()
        self._thread.join(timeout=2)
        self._pubsub.close()
        self._redis.close()


def make_bus(redis_url: str | None, node_id: str, clock: Clock | None = None) -> EventBus:
    if redis_url:
        return RedisBus(redis_url, node_id, clock)
    return InProcessBus(node_id, clock)
