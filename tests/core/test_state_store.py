"""Conformance suite: every test runs against MemoryStore and RedisStore."""

import time

import pytest

from core.clock import FakeClock
from core.state import MemoryStore


def _pass(store, clock: FakeClock, seconds: float) -> None:  # type: ignore[no-untyped-def]
    if isinstance(store, MemoryStore):
        clock.advance(seconds)
    else:
        time.sleep(seconds)


def test_strings_and_nx(any_store) -> None:  # type: ignore[no-untyped-def]
    assert any_store.get("a") is None
    assert any_store.set("a", "1")
    assert not any_store.set("a", "2", nx=True)
    assert any_store.get("a") == "1"
    assert any_store.delete("a", "missing") == 1
    assert any_store.get("a") is None


def test_ttl_expires(any_store, clock) -> None:  # type: ignore[no-untyped-def]
    any_store.set("otp", "123456", ttl=0.3)
    assert 0 < any_store.ttl("otp") <= 0.3
    _pass(any_store, clock, 0.5)
    assert any_store.get("otp") is None
    assert any_store.set("otp", "x", nx=True)


def test_counter_ttl_set_once(any_store, clock) -> None:  # type: ignore[no-untyped-def]
    assert any_store.incr("fails", ttl=0.4) == 1
    _pass(any_store, clock, 0.2)
    assert any_store.incr("fails", ttl=0.4) == 2  # does not extend the window
    _pass(any_store, clock, 0.3)
    assert any_store.get("fails") is None
    assert any_store.incr("fails", 5) == 5


def test_hashes(any_store) -> None:  # type: ignore[no-untyped-def]
    any_store.hset("call:1", {"state": "ivr", "province": "44"})
    any_store.hset("call:1", {"state": "queued"})
    assert any_store.hgetall("call:1") == {"state": "queued", "province": "44"}
    assert any_store.hget("call:1", "province") == "44"
    assert any_store.hdel("call:1", "state", "nope") == 1
    assert any_store.hgetall("missing") == {}


def test_hash_counters(any_store) -> None:  # type: ignore[no-untyped-def]
    assert any_store.hincrby("st:q1", "offered") == 1
    assert any_store.hincrby("st:q1", "offered", 4) == 5
    assert any_store.hincrby("st:q1", "wait_ms", -250) == -250
    any_store.hset("st:q1", {"label": "x"})
    assert any_store.hgetall("st:q1") == {"offered": "5", "wait_ms": "-250", "label": "x"}
    with pytest.raises(Exception):  # noqa: B017 - a field that is not an integer, as Redis refuses it
        any_store.hincrby("st:q1", "label")
    any_store.set("plain", "1")
    with pytest.raises(Exception):  # noqa: B017 - a key of another kind
        any_store.hincrby("plain", "f")


def test_sorted_sets_order_by_score(any_store) -> None:  # type: ignore[no-untyped-def]
    any_store.zadd("q", {"c3": 30.0, "c1": 10.0, "c2": 20.0})
    assert [m for m, _ in any_store.zrange("q")] == ["c1", "c2", "c3"]
    assert any_store.zrange("q", 0, 0) == [("c1", 10.0)]
    assert any_store.zscore("q", "c2") == 20.0
    assert any_store.zrem("q", "c1") == 1
    assert any_store.zcard("q") == 2


def test_sorted_sets_rescore_ties_and_ranges(any_store) -> None:  # type: ignore[no-untyped-def]
    """Equal scores order by member; a new score moves a member; ranges and removal as Redis does."""
    any_store.zadd("q", {"b": 5.0, "a": 5.0, "c": 1.0, "d": 9.0})
    any_store.zadd("q", {"c": 7.0})  # rescored: from the head to after the ties
    assert any_store.zrange("q") == [("a", 5.0), ("b", 5.0), ("c", 7.0), ("d", 9.0)]
    assert any_store.zrange("q", 1, 2) == [("b", 5.0), ("c", 7.0)]
    assert any_store.zrange("q", 0, -2) == [("a", 5.0), ("b", 5.0), ("c", 7.0)]
    assert any_store.zrem("q", "b", "missing") == 1
    assert any_store.zrange("q", 0, 99) == [("a", 5.0), ("c", 7.0), ("d", 9.0)]
    assert any_store.zrem("q", "a", "c", "d") == 3
    assert any_store.zcard("q") == 0 and any_store.zrange("q") == [] and "q" not in any_store.keys("*")


def test_sets_and_keys(any_store) -> None:  # type: ignore[no-untyped-def]
    assert any_store.sadd("agents:44", "a1", "a2") == 2
    assert any_store.sadd("agents:44", "a2") == 0
    assert any_store.smembers("agents:44") == {"a1", "a2"}
    assert any_store.srem("agents:44", "a1") == 1
    any_store.set("call:9", "x")
    assert any_store.keys("agents:*") == ["agents:44"]


def test_lock_is_exclusive(any_store) -> None:  # type: ignore[no-untyped-def]
    import threading

    counter = {"n": 0, "max": 0}
    inside = {"n": 0}

    def work() -> None:
        for _ in range(20):
            with any_store.lock("match", timeout=5):
                inside["n"] += 1
                counter["max"] = max(counter["max"], inside["n"])
                counter["n"] += 1
                inside["n"] -= 1

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert counter == {"n": 80, "max": 1}


def test_memory_store_reads_several_sorted_sets_at_once_as_one_by_one(clock) -> None:  # type: ignore[no-untyped-def]
    """`zrange_upto_many` (the in-process ACD's matching) answers exactly as `zrange_upto` per key: an
    expired set is empty, a missing one too, and a key of another kind is an error."""
    store = MemoryStore(clock)
    store.zadd("z:a", {"a1": 1.0, "a2": 2.0, "a3": 3.0})
    store.zadd("z:b", {"b1": 0.5, "b2": 5.0})
    store.zadd("z:gone", {"g": 1.0})
    store.expire("z:gone", 1)
    clock.advance(2)
    limits = [("z:a", 2.5), ("z:b", 10.0), ("z:missing", 9.0), ("z:gone", 9.0), ("z:a", 0.1)]
    assert store.zrange_upto_many(limits, 2) == [store.zrange_upto(k, c, 2) for k, c in limits]
    assert store.zrange_upto_many(limits, 2)[:2] == [[("a1", 1.0), ("a2", 2.0)], [("b1", 0.5), ("b2", 5.0)]]
    store.set("z:text", "x")
    with pytest.raises(TypeError):
        store.zrange_upto_many([("z:text", 1.0)], 1)


def test_writing_to_an_expired_key_starts_it_afresh(any_store, clock) -> None:  # type: ignore[no-untyped-def]
    any_store.hset("h:old", {"a": "1"})
    any_store.expire("h:old", 0.3)
    any_store.sadd("s:old", "x")
    any_store.expire("s:old", 0.3)
    _pass(any_store, clock, 0.5)
    any_store.hset("h:old", {"b": "2"})
    any_store.sadd("s:old", "y")
    assert any_store.hgetall("h:old") == {"b": "2"}
    assert any_store.smembers("s:old") == {"y"}
    assert any_store.ttl("h:old") is None  # the new key has no expiry of the old one's
