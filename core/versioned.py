"""A per-node snapshot of tables that change rarely (the switch's directory, the ACD's queues), kept
in step across nodes by a version counter in the shared state store.

`get()` returns the cached snapshot; at most once every `check_every_s` it reads the counter and
re-reads the tables (`load`) when it moved. `changed()`, called after a committed change, bumps the
counter (every node then re-reads) and drops this node's copy at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, Protocol, TypeVar

from core.clock import Clock
from core.state import StateStore

T = TypeVar("T")


class CacheHost(Protocol):
    @property
    def store(self) -> StateStore: ...

    @property
    def clock(self) -> Clock: ...


class VersionedCache(Generic[T]):
    def __init__(self, host: CacheHost, key: str, load: Callable[[], T], *, check_every_s: float = 1.0) -> None:
        self.host, self.key, self.load, self.check_every_s = host, key, load, check_every_s
        self._lock = threading.RLock()
        self._value: T | None = None
        self._version: str | None = None
        self._checked_at = -1.0

    def get(self) -> T:
        now = self.host.clock.time()
        with self._lock:
            if self._value is not None and now - self._checked_at < self.check_every_s:
                return self._value
            version = self.host.store.get(self.key)
            self._checked_at = now
            if self._value is not None and version == self._version:
                return self._value
        value = self.load()
        with self._lock:  # the version read before the load: a change made during it is re-read next time
            self._value, self._version = value, version
            return value

    def changed(self) -> None:
        self.host.store.incr(self.key)
        with self._lock:
            self._value = None
