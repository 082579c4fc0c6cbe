"""What every answer reads — an article's published revision, its provincial variant and the live
notices — held in memory.

The IVR reads an article and the notices on every answer (a menu item, a spoken question, the SMS
reply); from the database that was two ORM queries and about half of the CPU of a call's first 13
AGI commands. The cache is derived data like the search index: a change on this node clears it at
once, other nodes clear theirs when they hear `kb.published` / `kb.archived` / `kb.index.rebuilt` /
`kb.notices.changed`, and every entry is re-read after `ttl_s` anyway, so a lost event costs at most
that long a stale read. Notice times are checked against the platform clock at each read.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any, TypeVar, cast

from core.events import Event, EventBus
from knowledge.views import ArticleView, NoticeView

V = TypeVar("V")
K = TypeVar("K")
NATIONAL = "00"
EVENTS = ("kb.published", "kb.archived", "kb.index.rebuilt", "kb.notices.changed")

#: `article_id -> ArticleView` (published revision, no notices) or None
ArticleLoader = Callable[[str], ArticleView | None]
#: every notice that is published, not withdrawn and has not ended, newest first
NoticeLoader = Callable[[], list[NoticeView]]


class ReadCache:
    def __init__(self, bus: EventBus, load_article: ArticleLoader, load_notices: NoticeLoader, *,
                 ttl_s: float = 30.0) -> None:
        self._load_article = load_article
        self._load_notices = load_notices
        self._ttl = ttl_s
        self._lock = threading.Lock()
        self._articles: dict[str, tuple[float, Any]] = {}
        self._notices: dict[None, tuple[float, Any]] = {}  # one entry: every live notice
        self._variants: dict[tuple[str, str], tuple[float, Any]] = {}
        self._generation = 0  # bumped by every change heard
        self._sub = bus.subscribe(self._on_event, types=EVENTS)

    # -- reading ---------------------------------------------------------------------------------
    def article(self, article_id: str, now: datetime) -> ArticleView | None:
        """The published revision with its active notices (the article's own and the province's)."""
        view: ArticleView | None = self._held(self._articles, article_id, lambda: self._load_article(article_id))
        if view is None:
            return None
        return replace(view, notices=self.notices(view.province, now, article_id=article_id))

    def variant(self, key: tuple[str, str], find: Callable[[], V]) -> V:
        """A province's variant of a national article (`key` = article id, province), found by a search
        once and kept until any article changes (a change to any of them may make or end a variant)."""
        return cast(V, self._held(self._variants, key, find))

    def notices(self, province: str | None, now: datetime, *, article_id: str | None = None) -> list[NoticeView]:
        """Active notices for a province (national ones included), newest first; with `article_id`,
        those tied to that article or to none."""
        scopes = {NATIONAL, province} if province and province != NATIONAL else {NATIONAL}
        return [n for n in self._live()
                if n.starts_at <= now < n.ends_at and n.province in scopes
                and (article_id is None or n.article_id in (article_id, None))]

    def _live(self) -> list[NoticeView]:
        return cast(list[NoticeView], self._held(self._notices, None, self._load_notices))

    def _held(self, table: dict[K, tuple[float, Any]], key: K, load: Callable[[], Any]) -> Any:
        """`table[key]`, loaded when missing or older than the lifetime; a change heard while loading
        leaves the older copy out of the cache."""
        entry = table.get(key)
        if entry is None or time.monotonic() - entry[0] > self._ttl:
            generation = self._generation
            entry = (time.monotonic(), load())
            with self._lock:
                if generation == self._generation:
                    table[key] = entry
        return entry[1]

    # -- keeping it true -------------------------------------------------------------------------
    def forget_article(self, article_id: str | None = None) -> None:
        """One article changed (or, with None, possibly all of them)."""
        with self._lock:
            self._generation += 1
            self._variants.clear()
            if article_id is None:
                self._articles.clear()
            else:
                self._articles.pop(article_id, None)

    def forget_notices(self) -> None:
        with self._lock:
            self._generation += 1
            self._notices.clear()

    def _on_event(self, event: Event) -> None:
        if event.type == "kb.notices.changed":
            self.forget_notices()
        elif event.type == "kb.index.rebuilt":
            self.forget_article(None)
        else:
            article_id = event.data.get("article_id")
            self.forget_article(article_id if isinstance(article_id, str) else None)

    def close(self) -> None:
        self._sub.close()
