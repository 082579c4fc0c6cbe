import re
import time
from dataclasses import dataclass
from typing import ClassVar

import pytest

from core.events import DomainEvent, Event, InProcessBus, event_class, id_field, phone_field, scope_field


# test-local declared events ("test.*": no product home emits these types)
@dataclass(frozen=True, kw_only=True)
class Ping(DomainEvent):
    type: ClassVar[str] = "test.ping"
    n: str = ""


@dataclass(frozen=True, kw_only=True)
class Pong(DomainEvent):
    type: ClassVar[str] = "test.pong"
    n: str = ""


@dataclass(frozen=True, kw_only=True)
class Looked(DomainEvent):
    """Every marker at once: a scope, the agent it is about, a phone and an ID field."""

    type: ClassVar[str] = "test.looked"
    province: str | None = scope_field()
    agent_id: int | None = None
    caller: str | None = phone_field()
    subject: str | None = id_field()
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class Scoped(DomainEvent):
    """A field named `scope` (as console.broadcast and call.blocked have) is the event's scope."""

    type: ClassVar[str] = "test.scoped"
    scope: str | None = scope_field()


def test_in_process_bus_filters_by_prefix_and_survives_bad_subscribers(clock) -> None:  # type: ignore[no-untyped-def]
    bus = InProcessBus("n1", clock)
    seen: list[str] = []
    bus.subscribe(lambda e: (_ for _ in ()).throw(RuntimeError("boom")))
    sub = bus.subscribe(lambda e: seen.append(e.type), types=("test.pi",))
    bus.emit(Ping(n="1"))
    bus.emit(Pong(n="2"))
    sub.close()
    bus.emit(Ping(n="3"))
    assert seen == ["test.ping"]


def test_a_subscriber_added_or_removed_after_a_type_was_dispatched_counts_at_once(clock) -> None:  # type: ignore[no-untyped-def]
    bus = InProcessBus("n1", clock)
    first: list[str] = []
    later: list[str] = []
    bus.subscribe(lambda e: first.append(e.data["n"]), types=("test.ping",))
    bus.emit(Ping(n="1"))  # the subscribers of test.ping are worked out here and remembered
    sub = bus.subscribe(lambda e: later.append(e.data["n"]), types=("test.",))
    bus.emit(Ping(n="2"))
    bus.emit(Pong(n="3"))
    sub.close()
    bus.emit(Ping(n="4"))
    assert first == ["1", "2", "4"]
    assert later == ["2", "3"]


def test_redis_bus_delivers_once_to_each_node(redis_bus_pair) -> None:  # type: ignore[no-untyped-def]
    a, b = redis_bus_pair
    got_a: list[str] = []
    got_b: list[str] = []
    a.subscribe(lambda e: got_a.append(e.data["n"]))
    b.subscribe(lambda e: got_b.append(e.data["n"]))
    time.sleep(0.2)
    a.emit(Ping(n="1"))
    b.publish("test.ping", n="2")
    deadline = time.time() + 5
    while time.time() < deadline and (len(got_a) < 2 or len(got_b) < 2):
        time.sleep(0.05)
    assert sorted(got_a) == ["1", "2"]
    assert sorted(got_b) == ["1", "2"]


def test_emit_fills_the_envelope_from_the_declaration(clock) -> None:  # type: ignore[no-untyped-def]
    bus = InProcessBus("n1", clock)
    event = bus.emit(Looked(province="44", agent_id=70, caller="139****1111", subject="110105********002X"))
    assert (event.scope, event.agent_id) == ("44", "70")
    assert dict(event.masks) == {"caller": "phone", "subject": "id"}
    assert event.data == {"province": "44", "agent_id": 70, "caller": "139****1111",
                          "subject": "110105********002X", "note": ""}
    bare = bus.emit(Looked(province="", note="no scope, no agent"))
    assert (bare.scope, bare.agent_id) == (None, None)
    assert bus.emit(Scoped(scope="*")).scope == "*"


def test_redis_bus_round_trip_keeps_the_envelope(redis_bus_pair) -> None:  # type: ignore[no-untyped-def]
    a, b = redis_bus_pair
    got: list[Event] = []
    b.subscribe(got.append, ("test.looked",))
    time.sleep(0.2)
    sent = a.emit(Looked(province="44", agent_id=70, caller="13900001111", subject="11010519491231002X",
                         note="round trip"))
    deadline = time.time() + 5
    while time.time() < deadline and not got:
        time.sleep(0.05)
    assert len(got) == 1
    received = got[0]
    assert (received.id, received.type, received.node) == (sent.id, "test.looked", "node-a")
    assert (received.scope, received.agent_id) == ("44", "70")
    assert received.masks == sent.masks == (("caller", "phone"), ("subject", "id"))
    assert received.data == sent.data
    assert "13900001111" not in received.to_json() and "11010519491231002X" not in received.to_json()


def test_publish_builds_the_declared_class_by_name(clock) -> None:  # type: ignore[no-untyped-def]
    bus = InProcessBus("n1", clock)
    assert event_class("test.looked") is Looked
    event = bus.publish("test.looked", province="11", agent_id=3)
    assert (event.type, event.scope, event.agent_id) == ("test.looked", "11", "3")


def test_publish_refuses_an_undeclared_type(clock) -> None:  # type: ignore[no-untyped-def]
    bus = InProcessBus("n1", clock)
    seen: list[Event] = []
    bus.subscribe(seen.append)
    with pytest.raises(ValueError, match=re.escape("undeclared event type 'test.never_declared'")):
        bus.publish("test.never_declared", n="1")
    assert seen == []


def test_publish_refuses_an_unknown_field(clock) -> None:  # type: ignore[no-untyped-def]
    bus = InProcessBus("n1", clock)
    seen: list[Event] = []
    bus.subscribe(seen.append)
    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        bus.publish("test.ping", n="1", colour="red")
    assert seen == []


def test_a_type_declared_twice_by_different_classes_is_refused() -> None:
    with pytest.raises(TypeError, match=re.escape("event type 'test.ping' declared twice")):
        @dataclass(frozen=True, kw_only=True)
        class OtherPing(DomainEvent):
            type: ClassVar[str] = "test.ping"


def test_event_ids_are_unique_within_a_process_and_across_a_fork() -> None:
    import os

    from core.events import _event_id

    mine = {_event_id() for _ in range(10_000)}
    assert len(mine) == 10_000 and {len(i) for i in mine} == {32}
    assert all(int(i, 16) >= 0 for i in list(mine)[:10])  # hex
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child writes its ids and leaves at once
        os.close(read)
        os.write(write, "\n".join(_event_id() for _ in range(1000)).encode())
        os._exit(0)
    os.close(write)
    chunks = []
    while chunk := os.read(read, 65536):
        chunks.append(chunk)
    os.close(read)
    os.waitpid(pid, 0)
    theirs = set(b"".join(chunks).decode().split("\n"))
    assert len(theirs) == 1000
    assert not theirs & mine
    assert not theirs & {_event_id() for _ in range(1000)}  # the parent's next ids: not the child's either
