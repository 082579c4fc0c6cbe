"""The search index as derived data: built from the database on first use or on demand, updated on
publish and archive, and kept in step across nodes by `kb.published` / `kb.archived` events."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from datetime import date

from sqlalchemy import select

from core.clock import china_now
from core.events import Event
from knowledge.analysis import default_analyzer
from knowledge.api import KnowledgeHost
from knowledge.backend import IndexDoc
from knowledge.config import KnowledgeSettings
from knowledge.content import html_to_text
from knowledge.events import KbIndexRebuilt
from knowledge.models import KbArticle, KbRevision
from knowledge.search import SearchConfig, Searcher, SearchResult
from knowledge.tantivy_backend import TantivyBackend

log = logging.getLogger(__name__)


class KnowledgeIndex:
    def __init__(self, platform: KnowledgeHost, config: SearchConfig | None = None) -> None:
        self.platform = platform
        self.origin = uuid.uuid4().hex  # tells this node's own events from other nodes'
        self._config = config or SearchConfig.for_mode(KnowledgeSettings.of(platform.settings).semantic)
        self._searcher: Searcher | None = None
        self._lock = threading.RLock()
        self._sub = platform.bus.subscribe(self._on_event, types=("kb.published", "kb.archived", "kb.index.rebuilt"))
        self.last_rebuild_seconds = 0.0

    @property
    def searcher(self) -> Searcher:
        if self._searcher is None:
            with self._lock:
                if self._searcher is None:
                    self._searcher = self._build()
        return self._searcher

    def today(self) -> date:
        return china_now(self.platform.clock).date()

    def doc_for(self, searcher: Searcher, rev: KbRevision) -> IndexDoc:
        return searcher.make_doc(
            article_id=rev.article_id, revision_id=rev.id, title=rev.title, questions=rev.questions,
            keywords=[*rev.keywords, *rev.synonyms], body_text=html_to_text(rev.body_html),
            short_answer=rev.short_answer, province=rev.province, category=rev.category,
            effective_from=rev.effective_from, effective_to=rev.effective_to)

    def _published(self) -> list[KbRevision]:
        with self.platform.db.session() as s:
            return list(s.execute(
                select(KbRevision).join(KbArticle, KbArticle.published_revision_id == KbRevision.id)
                .where(KbArticle.archived.is_(False))).scalars())

    def _build(self) -> Searcher:
        """A new searcher over the published revisions; searches keep using the old one meanwhile."""
        started = time.perf_counter()
        searcher = Searcher(TantivyBackend(), default_analyzer(), self._config)
        revs = self._published()
        # Teach the segmenter every keyword first, so that each document is cut the same way.
        searcher.analyzer.add_words(k for rev in revs for k in (*rev.keywords, *rev.synonyms))
        searcher.rebuild([self.doc_for(searcher, rev) for rev in revs])
        self.last_rebuild_seconds = time.perf_counter() - started
        return searcher

    def rebuild(self, announce: bool = True) -> int:
        """Rebuild from the database (`hotline kb reindex`, bulk imports); returns the number of articles.
        Other nodes rebuild too when they hear `kb.index.rebuilt` (they do not announce theirs)."""
        with self._lock:
            self._searcher = self._build()  # swapped in whole: no search sees a half-built index
            count = len(self._searcher.backend)
        if announce:
            self.platform.bus.emit(KbIndexRebuilt(articles=count, seconds=round(self.last_rebuild_seconds, 3),
                                                  origin=self.origin))
        return count

    def refresh(self, article_id: str) -> None:
        """Bring one article's entry in line with the database (published revision or nothing)."""
        with self._lock:  # a build in progress may have read the database before this change
            if self._searcher is None:
                return  # built lazily from the database on first use anyway
            with self.platform.db.session() as s:
                art = s.get(KbArticle, article_id)
                rev = s.get(KbRevision, art.published_revision_id) if art and art.published_revision_id else None
                archived = bool(art and art.archived)
            if rev is None or archived:
                self._searcher.backend.remove(article_id)
            else:
                self._searcher.upsert(self.doc_for(self._searcher, rev))

    def _on_event(self, event: Event) -> None:
        if event.data.get("origin") == self.origin:
            return
        if event.type == "kb.index.rebuilt":
            if self._searcher is not None:
                self.rebuild(announce=False)
            return
        article_id = event.data.get("article_id")
        if isinstance(article_id, str):
            self.refresh(article_id)

    def search(self, query: str, *, province: str | None, limit: int,
               include_other_provinces: bool, topic: str | None = None) -> SearchResult:
        return self.searcher.search(query, province=province, day=self.today(), limit=limit,
                                    include_other_provinces=include_other_provinces, topic=topic)

    def close(self) -> None:
        self._sub.close()
