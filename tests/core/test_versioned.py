"""The per-node snapshot kept in step by a version counter: read once, re-read only when any node
says it changed, and the counter looked at no more than once per interval."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.clock import FakeClock
from core.state import MemoryStore
from core.versioned import VersionedCache


@dataclass
class Host:
    clock: FakeClock = field(default_factory=FakeClock)
    store: MemoryStore = field(init=False)

    def __post_init__(self) -> None:
        self.store = MemoryStore(self.clock)


def test_a_change_on_another_node_is_seen_after_the_check_interval() -> None:
    host = Host()
    loads: list[int] = []

    def load() -> int:
        loads.append(1)
        return len(loads)

    here = VersionedCache(host, "t:version", load)
    there = VersionedCache(host, "t:version", load)  # another node on the same store
    assert here.get() == 1 and here.get() == 1  # cached
    there.changed()
    assert here.get() == 1  # not looked at again within the second
    host.clock.advance(1.0)
    assert here.get() == 2  # the counter moved: re-read
    host.clock.advance(1.0)
    assert here.get() == 2 and len(loads) == 2  # unchanged counter: no re-read


def test_a_change_on_this_node_drops_its_copy_at_once() -> None:
    host = Host()
    values = iter(["a", "b"])
    cache = VersionedCache(host, "t:version", lambda: next(values))
    assert cache.get() == "a"
    cache.changed()
    assert cache.get() == "b"


def test_a_change_made_while_loading_is_read_on_the_next_check() -> None:
    """Another node changes the tables after this node's load read them but before it finished: the
    copy is stale, so it must not be remembered under the new version."""
    host = Host()
    other = VersionedCache(host, "t:version", lambda: 0)
    loads: list[int] = []

    def load() -> int:
        loads.append(1)
        if len(loads) == 1:
            other.changed()  # lands while the first load is under way
        return len(loads)

    cache = VersionedCache(host, "t:version", load)
    assert cache.get() == 1
    host.clock.advance(1.0)
    assert cache.get() == 2  # the version it loaded under was the one before the change
