"""The shared real-time state store: call sessions, rate limits, OTPs, lockouts, queues.

Two implementations of one interface: `MemoryStore` (one node, in-process) and `RedisStore`
(several nodes). Values are strings. A conformance suite in tests/ runs against both.
"""

from __future__ import annotations

import bisect
import builtins
import fnmatch
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Protocol, TypeVar, cast

from core.clock import Clock, SystemClock

_T = TypeVar("_T")


def as_text(value: bytes | str) -> str:
    """A Redis reply as text (the client decodes replies, but its types still allow bytes)."""
    return value.decode() if isinstance(value, bytes) else value


class StateStore(Protocol):
    def get(self, key: str) -> str | None: ...
    def set(self, key: str, value: str, ttl: float | None = None, nx: bool = False) -> bool: ...
    def delete(self, *keys: str) -> int: ...
    def incr(self, key: str, amount: int = 1, ttl: float | None = None) -> int:
        """Add to a counter; `ttl` is set only when the key is created."""
        ...
    def expire(self, key: str, ttl: float) -> bool: ...
    def ttl(self, key: str) -> float | None: ...
    def hset(self, key: str, mapping: Mapping[str, str]) -> None: ...
    def hget(self, key: str, field: str) -> str | None: ...
    def hgetall(self, key: str) -> dict[str, str]: ...
    def hdel(self, key: str, *fields: str) -> int: ...
    def hincrby(self, key: str, field: str, amount: int = 1) -> int:
        """Add to an integer field of a hash (created at 0), as Redis HINCRBY; returns the new value."""
        ...
    def zadd(self, key: str, mapping: Mapping[str, float]) -> None: ...
    def zrem(self, key: str, *members: str) -> int: ...
    def zscore(self, key: str, member: str) -> float | None: ...
    def zrange(self, key: str, start: int = 0, end: int = -1) -> list[tuple[str, float]]: ...
    def zcard(self, key: str) -> int: ...
    def sadd(self, key: str, *members: str) -> int: ...
    def srem(self, key: str, *members: str) -> int: ...
    def smembers(self, key: str) -> builtins.set[str]: ...
    def keys(self, pattern: str) -> list[str]: ...
    @contextmanager
    def lock(self, name: str, timeout: float = 10.0) -> Iterator[None]: ...
    def close(self) -> None: ...


class _ZSet:
    """A sorted set kept in (score, member) order: reading the first members costs no sort, and adding
    or removing one is a binary search (and a memory move), whatever the set's size."""

    __slots__ = ("order", "scores")

    def __init__(self) -> None:
        self.scores: dict[str, float] = {}
        self.order: list[tuple[float, str]] = []

    def __len__(self) -> int:
        return len(self.scores)

    def add(self, member: str, score: float) -> None:
        old = self.scores.get(member)
        if old == score:
            return
        if old is not None:
            self._unlink(old, member)
        self.scores[member] = score
        bisect.insort(self.order, (score, member))

    def remove(self, member: str) -> bool:
        old = self.scores.pop(member, None)
        if old is None:
            return False
        self._unlink(old, member)
        return True

    def _unlink(self, score: float, member: str) -> None:
        del self.order[bisect.bisect_left(self.order, (score, member))]

    def range(self, start: int, stop: int | None) -> list[tuple[str, float]]:
        return [(m, sc) for sc, m in self.order[start:stop]]

    def upto(self, ceiling: float, count: int) -> list[tuple[str, float]]:
        rows: list[tuple[str, float]] = []
        for sc, m in self.order[:count]:
            if sc > ceiling:
                break
            rows.append((m, sc))
        return rows


def _wrong_kind(key: str, value: object, kind: type) -> TypeError:
    return TypeError(f"key {key!r} holds a {type(value).__name__}, not a {kind.__name__}")


class MemoryStore:
    """In-process store with TTLs read from an injectable clock."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock or SystemClock()
        self._data: dict[str, object] = {}
        self._expiry: dict[str, float] = {}
        self._mutex = threading.RLock()
        self._locks: dict[str, threading.Lock] = {}
        self._swept_at = self.clock.time()

    SWEEP_EVERY_S = 30.0

    def sweep(self) -> int:
        """Drop every expired key (keys are otherwise only expired when read again); returns how many."""
        with self._mutex:
            now = self.clock.time()
            self._swept_at = now
            dead = [key for key, exp in self._expiry.items() if exp <= now]
            for key in dead:
                self._data.pop(key, None)
                self._expiry.pop(key, None)
            return len(dead)

    def _maybe_sweep(self) -> None:
        """Writes sweep expired keys at most every SWEEP_EVERY_S, so per-call state never piles up."""
        if self.clock.time() - self._swept_at >= self.SWEEP_EVERY_S:
            self.sweep()

    def _live(self, key: str) -> object | None:
        """The value at `key`, None when there is none or it expired (an expired key is dropped here;
        a key's expiry never outlives its value)."""
        return self._typed(key, object)

    def _alive(self, key: str) -> bool:
        return self._live(key) is not None

    def _typed(self, key: str, kind: type[_T]) -> _T | None:
        """The live value at `key` (None when absent or expired, an expired key dropped here); a
        TypeError when it holds another kind. Every read of the ACD's state comes through here."""
        value = self._data.get(key)
        if value is None:
            return None
        exp = self._expiry.get(key)
        if exp is not None and exp <= self.clock.time():
            del self._data[key], self._expiry[key]
            return None
        if isinstance(value, kind):
            return value
        raise _wrong_kind(key, value, kind)

    def _ensure(self, key: str, kind: type[_T]) -> _T:
        """The live value at `key`, created empty when absent (or expired)."""
        value = self._typed(key, kind)
        if value is None:
            value = self._data[key] = kind()
        return value

    def _checked(self, key: str, kind: type[_T]) -> _T:
        value = self._data[key]
        if not isinstance(value, kind):
            raise _wrong_kind(key, value, kind)
        return value

    def _hash(self, key: str) -> dict[str, str] | None:
        return self._typed(key, dict)

    def _zset(self, key: str) -> _ZSet | None:
        return self._typed(key, _ZSet)

    def _set(self, key: str) -> builtins.set[str] | None:
        return self._typed(key, builtins.set)

    def get(self, key: str) -> str | None:
        with self._mutex:
            return self._typed(key, str)

    def set(self, key: str, value: str, ttl: float | None = None, nx: bool = False) -> bool:
        with self._mutex:
            self._maybe_sweep()
            if nx and self._alive(key):
                return False
            self._data[key] = str(value)
            if ttl is not None:
                self._expiry[key] = self.clock.time() + ttl
            else:
                self._expiry.pop(key, None)
            return True

    def delete(self, *keys: str) -> int:
        with self._mutex:
            count = 0
            for key in keys:
                if self._alive(key):
                    count += 1
                self._data.pop(key, None)
                self._expiry.pop(key, None)
            return count

    def incr(self, key: str, amount: int = 1, ttl: float | None = None) -> int:
        with self._mutex:
            existed = self._alive(key)
            current = int(self._checked(key, str)) if existed else 0
            current += amount
            self._data[key] = str(current)
            if not existed and ttl is not None:
                self._expiry[key] = self.clock.time() + ttl
            return current

    def expire(self, key: str, ttl: float) -> bool:
        with self._mutex:
            if not self._alive(key):
                return False
            self._expiry[key] = self.clock.time() + ttl
            return True

    def ttl(self, key: str) -> float | None:
        with self._mutex:
            if not self._alive(key) or key not in self._expiry:
                return None
            return self._expiry[key] - self.clock.time()

    def hset(self, key: str, mapping: Mapping[str, str]) -> None:
        with self._mutex:
            self._maybe_sweep()
            h = self._ensure(key, dict)
            h.update({k: str(v) for k, v in mapping.items()})

    def hget(self, key: str, field: str) -> str | None:
        with self._mutex:
            h = self._hash(key)
            return h.get(field) if h else None

    def hgetall(self, key: str) -> dict[str, str]:
        with self._mutex:
            h = self._hash(key)
            return dict(h) if h else {}

    def hincrby(self, key: str, field: str, amount: int = 1) -> int:
        with self._mutex:
            self._maybe_sweep()
            h = self._ensure(key, dict)
            value = int(h.get(field) or 0) + int(amount)
            h[field] = str(value)
            return value

    def hdel(self, key: str, *fields: str) -> int:
        with self._mutex:
            h = self._hash(key)
            if not h:
                return 0
            n = sum(1 for f in fields if h.pop(f, None) is not None)
            if not h:
                self.delete(key)
            return n

    def zadd(self, key: str, mapping: Mapping[str, float]) -> None:
        with self._mutex:
            z = self._ensure(key, _ZSet)
            for k, v in mapping.items():
                z.add(k, float(v))

    def zrem(self, key: str, *members: str) -> int:
        with self._mutex:
            z = self._zset(key)
            if not z:
                return 0
            n = sum(1 for m in members if z.remove(m))
            if not z:
                self.delete(key)
            return n

    def zscore(self, key: str, member: str) -> float | None:
        with self._mutex:
            z = self._zset(key)
            return z.scores.get(member) if z else None

    def zrange(self, key: str, start: int = 0, end: int = -1) -> list[tuple[str, float]]:
        with self._mutex:
            z = self._zset(key)
            if not z:
                return []
            return z.range(start, None if end == -1 else end + 1)

    def zrange_upto(self, key: str, ceiling: float, count: int) -> list[tuple[str, float]]:
        """The first `count` members scored at most `ceiling`, in score order (as ZRANGEBYSCORE … LIMIT;
        the ACD's Redis state does this inside a script)."""
        with self._mutex:
            z = self._zset(key)
            return z.upto(ceiling, count) if z else []

    def zrange_upto_many(self, limits: Sequence[tuple[str, float]], count: int) -> list[list[tuple[str, float]]]:
        """`zrange_upto` of several (key, ceiling) at once (the in-process ACD's matching reads ~50)."""
        with self._mutex:
            out = []
            for key, ceiling in limits:
                z = self._typed(key, _ZSet)
                out.append(z.upto(ceiling, count) if z else [])
            return out

    def zcard(self, key: str) -> int:
        with self._mutex:
            z = self._zset(key)
            return len(z) if z else 0

    def zrank(self, key: str, member: str) -> int | None:
        """The member's 0-based position in score order (None when absent), as Redis ZRANK."""
        with self._mutex:
            z = self._zset(key)
            score = z.scores.get(member) if z else None
            if z is None or score is None:
                return None
            return bisect.bisect_left(z.order, (score, member))

    def sadd(self, key: str, *members: str) -> int:
        with self._mutex:
            s = self._ensure(key, builtins.set)
            before = len(s)
            s.update(members)
            return len(s) - before

    def srem(self, key: str, *members: str) -> int:
        with self._mutex:
            s = self._set(key)
            if not s:
                return 0
            n = sum(1 for m in members if m in s)
            s.difference_update(members)
            if not s:
                self.delete(key)
            return n

    def smembers(self, key: str) -> builtins.set[str]:
        with self._mutex:
            s = self._set(key)
            return set(s) if s else set()

    def keys(self, pattern: str) -> list[str]:
        with self._mutex:
            return sorted(k for k in list(self._data) if fnmatch.fnmatchcase(k, pattern) and self._alive(k))

    @contextmanager
    def lock(self, name: str, timeout: float = 10.0) -> Iterator[None]:
        with self._mutex:
            lk = self._locks.setdefault(name, threading.Lock())
        if not lk.acquire(timeout=timeout):
            raise TimeoutError(f"could not take lock {name!r}")
        try:
            yield
        finally:
            lk.release()

    def close(self) -> None:
        pass


class RedisStore:
    """The same interface on Redis; `prefix` namespaces every key (one per deployment or test)."""

    def __init__(self, url: str, prefix: str = "hotline:") -> None:
        import redis

        self.prefix = prefix
        self.redis = redis.Redis.from_url(url, decode_responses=True)

    def k(self, key: str) -> str:
        return self.prefix + key

    def get(self, key: str) -> str | None:
        value = self.redis.get(self.k(key))
        return None if value is None else as_text(value)

    def set(self, key: str, value: str, ttl: float | None = None, nx: bool = False) -> bool:
        px = int(ttl * 1000) if ttl is not None else None
        return bool(self.redis.set(self.k(key), value, px=px, nx=nx))

    def delete(self, *keys: str) -> int:
        return int(self.redis.delete(*[self.k(k) for k in keys])) if keys else 0

    _INCR = """
    local v = redis.call('INCRBY', KEYS[1], ARGV[1])
    if tonumber(ARGV[2]) > 0 and v == tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
    return v
    """

    def incr(self, key: str, amount: int = 1, ttl: float | None = None) -> int:
        return int(self.redis.eval(self._INCR, 1, self.k(key), amount, int((ttl or 0) * 1000)))

    def expire(self, key: str, ttl: float) -> bool:
        return bool(self.redis.pexpire(self.k(key), int(ttl * 1000)))

    def ttl(self, key: str) -> float | None:
        ms = self.redis.pttl(self.k(key))
        return None if ms is None or ms < 0 else ms / 1000.0

    def hset(self, key: str, mapping: Mapping[str, str]) -> None:
        if mapping:
            self.redis.hset(self.k(key), mapping={k: str(v) for k, v in mapping.items()})

    def hget(self, key: str, field: str) -> str | None:
        value = self.redis.hget(self.k(key), field)
        return None if value is None else as_text(value)

    def hincrby(self, key: str, field: str, amount: int = 1) -> int:
        return int(self.redis.hincrby(self.k(key), field, int(amount)))

    def hgetall(self, key: str) -> dict[str, str]:
        return {as_text(f): as_text(v) for f, v in self.redis.hgetall(self.k(key)).items()}

    def hdel(self, key: str, *fields: str) -> int:
        return int(self.redis.hdel(self.k(key), *fields)) if fields else 0

    def zadd(self, key: str, mapping: Mapping[str, float]) -> None:
        if mapping:
            self.redis.zadd(self.k(key), {k: float(v) for k, v in mapping.items()})

    def zrem(self, key: str, *members: str) -> int:
        return int(self.redis.zrem(self.k(key), *members)) if members else 0

    def zscore(self, key: str, member: str) -> float | None:
        return self.redis.zscore(self.k(key), member)

    def zrange(self, key: str, start: int = 0, end: int = -1) -> list[tuple[str, float]]:
        # withscores=True always yields (member, score) pairs; redis-py's zrange is not overloaded on it
        pairs = cast("list[tuple[bytes | str, float]]", self.redis.zrange(self.k(key), start, end, withscores=True))
        return [(as_text(m), float(s)) for m, s in pairs]

    def zcard(self, key: str) -> int:
        return int(self.redis.zcard(self.k(key)))

    def sadd(self, key: str, *members: str) -> int:
        return int(self.redis.sadd(self.k(key), *members)) if members else 0

    def srem(self, key: str, *members: str) -> int:
        return int(self.redis.srem(self.k(key), *members)) if members else 0

    def smembers(self, key: str) -> builtins.set[str]:
        return {as_text(m) for m in self.redis.smembers(self.k(key))}

    def keys(self, pattern: str) -> list[str]:
        n = len(self.prefix)
        return sorted(k[n:] for k in self.redis.scan_iter(match=self.k(pattern), count=1000))

    @contextmanager
    def lock(self, name: str, timeout: float = 10.0) -> Iterator[None]:
        lk = self.redis.lock(self.k("lock:" + name), timeout=timeout, blocking_timeout=timeout)
        if not lk.acquire():
            raise TimeoutError(f"could not take lock {name!r}")
        try:
            yield
        finally:
            lk.release()

    def close(self) -> None:
        self.redis.close()


def make_store(redis_url: str | None, clock: Clock | None = None, prefix: str = "hotline:") -> StateStore:
    if redis_url:
        return RedisStore(redis_url, prefix=prefix)
    return MemoryStore(clock)
