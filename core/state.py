"""The shared real-time state store: call sessions, rate limits, OTPs, lockouts, queues.

Two implementations of one interface: `MemoryStore` (one node, in-process) and `RedisStore`
(several nodes). Values are strings. A conformance suite in tests/ runs against both.
"""

from __future__ import annotations

import fnmatch
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Protocol

from core.clock import Clock, SystemClock


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
    def zadd(self, key: str, mapping: Mapping[str, float]) -> None: ...
    def zrem(self, key: str, *members: str) -> int: ...
    def zscore(self, key: str, member: str) -> float | None: ...
    def zrange(self, key: str, start: int = 0, end: int = -1) -> list[tuple[str, float]]: ...
    def zcard(self, key: str) -> int: ...
    def sadd(self, key: str, *members: str) -> int: ...
    def srem(self, key: str, *members: str) -> int: ...
    def smembers(self, key: str) -> set[str]: ...
    def keys(self, pattern: str) -> list[str]: ...
    @contextmanager
    def lock(self, name: str, timeout: float = 10.0) -> Iterator[None]: ...
    def close(self) -> None: ...


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

    def _alive(self, key: str) -> bool:
        exp = self._expiry.get(key)
        if exp is not None and exp <= self.clock.time():
            self._data.pop(key, None)
            self._expiry.pop(key, None)
            return False
        return key in self._data

    def _typed(self, key: str, kind: type, create: bool) -> object | None:
        if not self._alive(key):
            if not create:
                return None
            self._data[key] = kind()
        value = self._data[key]
        if not isinstance(value, kind):
            raise TypeError(f"key {key!r} holds a {type(value).__name__}, not a {kind.__name__}")
        return value

    def get(self, key: str) -> str | None:
        with self._mutex:
            value = self._typed(key, str, False)
            return value  # type: ignore[return-value]

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
            current = int(self._data[key]) if existed else 0  # type: ignore[call-overload]
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
            h = self._typed(key, dict, True)
            h.update({k: str(v) for k, v in mapping.items()})  # type: ignore[union-attr]

    def hget(self, key: str, field: str) -> str | None:
        with self._mutex:
            h = self._typed(key, dict, False)
            return h.get(field) if h else None  # type: ignore[union-attr]

    def hgetall(self, key: str) -> dict[str, str]:
        with self._mutex:
            h = self._typed(key, dict, False)
            return dict(h) if h else {}  # type: ignore[call-overload]

    def hdel(self, key: str, *fields: str) -> int:
        with self._mutex:
            h = self._typed(key, dict, False)
            if not h:
                return 0
            n = sum(1 for f in fields if h.pop(f, None) is not None)  # type: ignore[union-attr]
            if not h:
                self.delete(key)
            return n

    def zadd(self, key: str, mapping: Mapping[str, float]) -> None:
        with self._mutex:
            z = self._typed(key, dict, True)
            z.update({k: float(v) for k, v in mapping.items()})  # type: ignore[union-attr]

    def zrem(self, key: str, *members: str) -> int:
        return self.hdel(key, *members)

    def zscore(self, key: str, member: str) -> float | None:
        with self._mutex:
            z = self._typed(key, dict, False)
            return z.get(member) if z else None  # type: ignore[union-attr]

    def zrange(self, key: str, start: int = 0, end: int = -1) -> list[tuple[str, float]]:
        with self._mutex:
            z = self._typed(key, dict, False)
            if not z:
                return []
            items = sorted(z.items(), key=lambda kv: (kv[1], kv[0]))  # type: ignore[union-attr]
            stop = None if end == -1 else end + 1
            return items[start:stop]

    def zcard(self, key: str) -> int:
        with self._mutex:
            z = self._typed(key, dict, False)
            return len(z) if z else 0  # type: ignore[arg-type]

    def sadd(self, key: str, *members: str) -> int:
        with self._mutex:
            s = self._typed(key, set, True)
            before = len(s)  # type: ignore[arg-type]
            s.update(members)  # type: ignore[union-attr]
            return len(s) - before  # type: ignore[arg-type]

    def srem(self, key: str, *members: str) -> int:
        with self._mutex:
            s = self._typed(key, set, False)
            if not s:
                return 0
            n = sum(1 for m in members if m in s)  # type: ignore[operator]
            s.difference_update(members)  # type: ignore[union-attr]
            if not s:
                self.delete(key)
            return n

    def smembers(self, key: str) -> set[str]:
        with self._mutex:
            s = self._typed(key, set, False)
            return set(s) if s else set()  # type: ignore[call-overload]

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
        return self.redis.get(self.k(key))

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
        return self.redis.hget(self.k(key), field)

    def hgetall(self, key: str) -> dict[str, str]:
        return dict(self.redis.hgetall(self.k(key)))

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
        return [(m, float(s)) for m, s in self.redis.zrange(self.k(key), start, end, withscores=True)]

    def zcard(self, key: str) -> int:
        return int(self.redis.zcard(self.k(key)))

    def sadd(self, key: str, *members: str) -> int:
        return int(self.redis.sadd(self.k(key), *members)) if members else 0

    def srem(self, key: str, *members: str) -> int:
        return int(self.redis.srem(self.k(key), *members)) if members else 0

    def smembers(self, key: str) -> set[str]:
        return set(self.redis.smembers(self.k(key)))

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
