"""The event bus: every step of a call or message emits an event (call started, routed, queued,
offered, answered, abandoned, looked up, sms sent ...). Events feed the console, statistics and audit.

Every event is declared: a frozen dataclass per event type (a `DomainEvent` subclass in the home
that emits it, e.g. `agents/events.py`) naming its fields, the field that holds the province it
concerns (`scope_field()`) and the fields that hold personal numbers (`phone_field()`,
`id_field()`). `bus.emit(CallQueued(...))` turns it into the wire `Event`, whose envelope carries
the scope, the agent it is about and what to mask, so the console's filters read declared fields
and never guess. `publish(type, **data)` builds the declared class from its type name (unknown
types and fields are refused).

`InProcessBus` dispatches to subscribers in the publishing thread. `RedisBus` does the same locally
and also publishes to a Redis channel so that other nodes' subscribers see the event once.
"""

from __future__ import annotations

import itertools
import logging
import os
import random
import threading
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, fields
from typing import Any, ClassVar, Literal, Protocol

from core import fastjson
from core.clock import Clock, SystemClock
from core.masking import scrub_data

log = logging.getLogger(__name__)

CHANNEL = "hotline:events"


# Event ids: 64 random bits drawn from the OS once per process (again in a forked child, so two
# processes never share a prefix) and a 64-bit counter: 32 hex digits, unique, not secret (the
# console's replay filters by the viewer's scope). A syscall, or even a 128-bit draw, per id cost more
# than the rest of building the event.
class _EventIds:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.prefix = os.urandom(8).hex()
        self.counter = itertools.count(random.randrange(2**32))

    def next(self) -> str:
        return f"{self.prefix}{next(self.counter):016x}"  # next() on a count is atomic under the GIL


_ids = _EventIds()
os.register_at_fork(after_in_child=_ids.reset)


def _event_id() -> str:
    return _ids.next()


PiiKind = Literal["phone", "id"]
_EVENT_TYPES: dict[str, type[DomainEvent]] = {}


def scope_field(default: str | None = None) -> Any:
    """Declares the field holding the province (GB/T 2260 code) an event concerns; ``"*"`` means
    every province (a national broadcast) and an empty value means national roles only."""
    return field(default=default, metadata={"scope": True})


def phone_field(default: str | None = None) -> Any:
    """Declares a field holding a phone number (masked before it reaches a screen)."""
    return field(default=default, metadata={"pii": "phone"})


def id_field(default: str | None = None) -> Any:
    """Declares a field holding a citizen ID number (masked before it reaches a screen)."""
    return field(default=default, metadata={"pii": "id"})


@dataclass(frozen=True, kw_only=True)
class DomainEvent:
    """Base of every declared event. A subclass sets `type` (its wire name) and declares its fields;
    declaring it registers it, so `publish(type, **data)` and the tests can find it by name."""

    type: ClassVar[str] = ""
    _scope: ClassVar[str | None] = None
    _pii: ClassVar[tuple[tuple[str, PiiKind], ...]] = ()
    _has_agent: ClassVar[bool] = False
    _field_names: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        name = cls.__dict__.get("type")
        if name:
            if name in _EVENT_TYPES and _EVENT_TYPES[name].__qualname__ != cls.__qualname__:
                raise TypeError(f"event type {name!r} declared twice ({_EVENT_TYPES[name].__qualname__})")
            _EVENT_TYPES[name] = cls

    @classmethod
    def _describe(cls) -> None:
        # fields are known only once @dataclass has run, after __init_subclass__: read them lazily
        if "_described" in cls.__dict__:
            return
        declared = fields(cls)  # type: ignore[arg-type]
        cls._scope = next((f.name for f in declared if f.metadata.get("scope")), None)
        cls._pii = tuple((f.name, f.metadata["pii"]) for f in declared if "pii" in f.metadata)
        cls._has_agent = any(f.name == "agent_id" for f in declared)
        cls._field_names = tuple(f.name for f in declared)
        cls._described = True  # type: ignore[attr-defined]

    def data(self) -> dict[str, Any]:
        """The event's fields as the wire carries them (shallow: nested values stay as given)."""
        self._describe()
        return {name: getattr(self, name) for name in self._field_names}

    # The envelope's parts. Underscored: an event may declare a field named `scope` (console.broadcast,
    # call.blocked, switch.block.*), `agent` or `pii`, which would hide a method of that name.
    def _envelope_scope(self) -> str | None:
        self._describe()
        value = getattr(self, self._scope) if self._scope else None
        return None if value in (None, "") else str(value)

    def _envelope_agent(self) -> str | None:
        self._describe()
        value = getattr(self, "agent_id", None) if self._has_agent else None
        return None if value in (None, "") else str(value)

    def _envelope_masks(self) -> tuple[tuple[str, PiiKind], ...]:
        self._describe()
        return self._pii


def scope_field_of(event: DomainEvent | type[DomainEvent]) -> str | None:
    """The name of the field an event declares with `scope_field()` (None when it declares none).
    A function, not a method: an event's own fields may be called anything."""
    cls = event if isinstance(event, type) else type(event)
    cls._describe()
    return cls._scope


def event_class(event_type: str) -> type[DomainEvent]:
    """The declared class of an event type; unknown types are an error, not a silent new type."""
    try:
        return _EVENT_TYPES[event_type]
    except KeyError:
        raise ValueError(f"undeclared event type {event_type!r}") from None


def declared_event_types() -> dict[str, type[DomainEvent]]:
    return dict(_EVENT_TYPES)


@dataclass(frozen=True)
class Event:
    """An event as it travels: the declared event's type and data plus an envelope the console
    filters on without reading the data (`scope`: province code, ``"*"`` or None; `agent_id`: the
    agent it is about; `masks`: which data fields hold a phone or ID number)."""

    type: str
    data: dict[str, Any]
    ts: float
    node: str
    id: str = field(default_factory=_event_id)
    scope: str | None = None
    agent_id: str | None = None
    masks: tuple[tuple[str, PiiKind], ...] = ()

    def to_json(self) -> str:
        return fastjson.dumps(asdict(self), default=str)

    @classmethod
    def from_json(cls, text: str | bytes) -> Event:
        raw = fastjson.loads(text)
        masks = tuple((str(name), kind) for name, kind in raw.get("masks") or () if kind in ("phone", "id"))
        return cls(type=raw["type"], data=raw["data"], ts=raw["ts"], node=raw["node"], id=raw["id"],
                   scope=raw.get("scope"), agent_id=raw.get("agent_id"), masks=masks)


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

    def emit(self, event: DomainEvent) -> Event: ...

    def publish(self, event_type: str, **data: Any) -> Event:
        """`emit` of the declared class named `event_type` built from `data`."""
        ...

    def subscribe(self, handler: Handler, types: Iterable[str] = ()) -> Subscription:
        """`types` are prefixes: ``("call.",)`` receives every call event."""
        ...

    def close(self) -> None: ...


class _LocalDispatch:
    def __init__(self, node_id: str, clock: Clock | None) -> None:
        self.node_id = node_id
        self.clock = clock or SystemClock()
        self._subs: list[Subscription] = []
        # the subscribers of each event type seen, worked out once per type; replaced (not changed) when a
        # subscription comes or goes, so a dispatch running meanwhile keeps the map it started with
        self._by_type: dict[str, tuple[Subscription, ...]] = {}
        self._lock = threading.Lock()

    def subscribe(self, handler: Handler, types: Iterable[str] = ()) -> Subscription:
        sub = Subscription(self, handler, tuple(types))
        with self._lock:
            self._subs = [*self._subs, sub]
            self._by_type = {}
        return sub

    def _remove(self, sub: Subscription) -> None:
        with self._lock:
            self._subs = [s for s in self._subs if s is not sub]
            self._by_type = {}

    def _subscribers(self, event_type: str) -> tuple[Subscription, ...]:
        by_type = self._by_type
        subs = by_type.get(event_type)
        if subs is None:
            subs = by_type[event_type] = tuple(s for s in self._subs if s.matches(event_type))
        return subs

    def _dispatch(self, event: Event) -> None:
        for sub in self._subscribers(event.type):
            try:
                sub.handler(event)
            except Exception:  # a broken subscriber must not break the publisher
                log.exception("event subscriber failed on %s", event.type)

    def _make(self, declared: DomainEvent) -> Event:
        # events reach consoles, other nodes and statistics: no full personal number travels in one
        return Event(type=declared.type, data=scrub_data(declared.data()), ts=self.clock.time(),
                     node=self.node_id, scope=declared._envelope_scope(), agent_id=declared._envelope_agent(),
                     masks=declared._envelope_masks())

    def publish(self, event_type: str, **data: Any) -> Event:
        return self.emit(event_class(event_type)(**data))

    def emit(self, event: DomainEvent) -> Event:
        raise NotImplementedError


class InProcessBus(_LocalDispatch):
    def emit(self, event: DomainEvent) -> Event:
        wire = self._make(event)
        self._dispatch(wire)
        return wire

    def close(self) -> None:
        with self._lock:
            self._subs = []
            self._by_type = {}


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

    def emit(self, event: DomainEvent) -> Event:
        wire = self._make(event)
        self._dispatch(wire)
        self._redis.publish(self.channel, wire.to_json())
        return wire

    def close(self) -> None:
        self._thread.stop()
        self._thread.join(timeout=2)
        self._pubsub.close()
        self._redis.close()


def make_bus(redis_url: str | None, node_id: str, clock: Clock | None = None) -> EventBus:
    if redis_url:
        return RedisBus(redis_url, node_id, clock)
    return InProcessBus(node_id, clock)
