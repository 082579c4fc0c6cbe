"""The ACD's queue definitions: one queue per center and topic with its skills, maximum wait and
overflow action, kept in `acd_queues`, cached per node and created here (`ensure_queues`, which the
switch calls when it creates a center).

The cache is one snapshot of the table, re-read when the store's version counter moves (any node's
change bumps it; `changed()`) and checked at most once a second (`core.versioned.VersionedCache`, as
the switch caches its directory).
An empty table is filled on the first read with the default queues of every center the directory
holds (a database made before the queues had rows, or a test that never created the centers)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from agents.api import QueueDef
from agents.domain import MAX_WAIT_RANGE
from agents.models import QueueRow
from core import provinces
from core.errors import Refusal
from core.topics import GENERAL, TOPICS, queue_id
from core.versioned import VersionedCache

if TYPE_CHECKING:
    from agents.api import AgentsHost

VERSION_KEY = "acd:queues:version"


class QueueChangeRefused(Refusal):
    """A queue change that would break routing (unknown queue, wait out of range, bad overflow)."""


def default_queues(code: str) -> tuple[QueueDef, ...]:
    """One queue per topic; after the maximum wait a provincial call moves to the national queue of
    its topic, and a national call is offered a callback."""
    def action(topic: str) -> str:
        return "callback" if code == provinces.NATIONAL else f"queue:{queue_id(provinces.NATIONAL, topic)}"

    return tuple(QueueDef(queue_id(code, t), code, t, (t,), 600, action(t)) for t in TOPICS)


@dataclass(frozen=True)
class Snapshot:
    """`acd_queues` as last read: by id (in id order) and by center and topic."""

    by_id: dict[str, QueueDef]
    by_center: dict[str, dict[str, QueueDef]]
    ids: frozenset[str]

    @classmethod
    def of(cls, queues: list[QueueDef]) -> Snapshot:
        by_center: dict[str, dict[str, QueueDef]] = {}
        for q in queues:
            by_center.setdefault(q.center_code, {})[q.topic] = q
        return cls({q.id: q for q in queues}, by_center, frozenset(q.id for q in queues))


class Queues:
    def __init__(self, platform: AgentsHost) -> None:
        self.platform = platform
        self._cache = VersionedCache(platform, VERSION_KEY, self._load_or_fill)
        self._filling = False

    def ensure_queues(self, center_code: str) -> int:
        """Create the center's missing default queues; return how many were created."""
        created = 0
        with self.platform.db.session() as s:
            existing = set(s.execute(select(QueueRow.id).where(QueueRow.center_code == center_code)).scalars())
            for q in default_queues(center_code):
                if q.id in existing:
                    continue
                s.add(QueueRow(id=q.id, center_code=q.center_code, topic=q.topic, skills=list(q.skills),
                               max_wait=q.max_wait, overflow_action=q.overflow_action))
                created += 1
        if created:
            self.changed()
        return created

    def update(self, queue_id: str, *, max_wait: int, overflow_action: str) -> tuple[QueueDef, QueueDef]:
        """Change a queue's maximum wait and overflow action; (before, after). Calls already waiting keep
        the deadline they were given when they were queued; new calls get the new one on every node
        (the cache's version moves). The overflow is "callback" or "queue:<another existing queue>"."""
        before = self.queue(queue_id)
        if before is None:
            raise QueueChangeRefused(f"没有队列 {queue_id} / no queue {queue_id}", kind="not_found")
        low, high = MAX_WAIT_RANGE
        if not low <= max_wait <= high:
            raise QueueChangeRefused(f"最长等待须在 {low}–{high} 秒之间 / the maximum wait must be {low}–{high} s")
        action = overflow_action.strip()
        if action != "callback":
            target = action.removeprefix("queue:") if action.startswith("queue:") else ""
            if not target or self.queue(target) is None:
                raise QueueChangeRefused("溢出去向须为回电或已有队列 / overflow must be callback or an existing "
                                         f"queue, not {overflow_action!r}")
            if target == queue_id:
                raise QueueChangeRefused("队列不能溢出到自身 / a queue cannot overflow into itself")
        with self.platform.db.session() as s:
            row = s.get(QueueRow, queue_id)
            if row is None:  # removed since the snapshot was read
                raise QueueChangeRefused(f"没有队列 {queue_id} / no queue {queue_id}", kind="not_found")
            row.max_wait, row.overflow_action = max_wait, action
        self.changed()
        after = QueueDef(before.id, before.center_code, before.topic, before.skills, max_wait, action)
        return before, after

    def changed(self) -> None:
        """After a committed change to `acd_queues`: every node re-reads it."""
        self._cache.changed()

    def snapshot(self) -> Snapshot:
        return self._cache.get()

    def _load_or_fill(self) -> Snapshot:
        snapshot = self._load()
        if not snapshot.by_id and not self._filling:
            self._fill()
            snapshot = self._load()
        return snapshot

    def _fill(self) -> None:
        """The default queues of every center of the directory (reading it creates the directory, which
        asks for its centers' queues)."""
        self._filling = True
        try:
            for center in self.platform.acd_directory.centers():
                self.ensure_queues(center.code)
        finally:
            self._filling = False

    def _load(self) -> Snapshot:
        with self.platform.db.session() as s:
            rows = s.execute(select(QueueRow).order_by(QueueRow.id)).scalars().all()
            return Snapshot.of([QueueDef(q.id, q.center_code, q.topic, tuple(q.skills), q.max_wait, q.overflow_action)
                                for q in rows])

    def queue(self, queue_id: str) -> QueueDef | None:
        return self.snapshot().by_id.get(queue_id)

    def queue_for(self, center_code: str, topic: str | None) -> QueueDef | None:
        """The center's queue for a topic (its general queue when it has none for the topic); None for a
        center without queues."""
        by_topic = self.snapshot().by_center.get(center_code, {})
        return by_topic.get(topic or GENERAL) or by_topic.get(GENERAL)

    def queues(self, center_code: str | None = None) -> list[QueueDef]:
        return [q for q in self.snapshot().by_id.values() if center_code is None or q.center_code == center_code]
