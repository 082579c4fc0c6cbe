"""The events the knowledge base emits (`core.events.DomainEvent`, `kb.*`). Each node keeps its search
index and read cache in step with them, skipping its own (`origin`, see knowledge/index.py and
knowledge/readcache.py). None carries a province: the console shows them to national roles only
(web/sse.py; the editor's list reloads on `kb.published`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from core.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class KbPublished(DomainEvent):
    """A revision of an article was published (or rolled back to)."""

    type: ClassVar[str] = "kb.published"
    article_id: str
    revision_id: int | None
    origin: str


@dataclass(frozen=True, kw_only=True)
class KbArchived(DomainEvent):
    type: ClassVar[str] = "kb.archived"
    article_id: str
    revision_id: int | None
    origin: str


@dataclass(frozen=True, kw_only=True)
class KbIndexRebuilt(DomainEvent):
    """A node rebuilt its search index from the database: the others rebuild theirs."""

    type: ClassVar[str] = "kb.index.rebuilt"
    articles: int
    seconds: float
    origin: str


@dataclass(frozen=True, kw_only=True)
class KbNoticesChanged(DomainEvent):
    """A notice was posted, edited or withdrawn: every node re-reads its notices."""

    type: ClassVar[str] = "kb.notices.changed"
    origin: str
