"""Searching the published articles: a query scrubbed of personal numbers, ranked by the index
(knowledge/search.py), and logged for the editors' analytics; rebuilding the index on demand."""

from __future__ import annotations

from core.masking import scrub
from knowledge.articles import ArticleStore
from knowledge.search import SearchResult


class Searching:
    def __init__(self, store: ArticleStore) -> None:
        self.store = store

    def search(self, query: str, *, province: str | None = None, limit: int = 5, channel: str = "ivr",
               include_other_provinces: bool = False, log_query: bool = True,
               topic: str | None = None) -> SearchResult:
        """Ranked answers, or `no_answer` (contract: docs/contracts.md). `topic` is the IVR's recognised
        intent (pension, medical, …) or a category: a prior that favours articles of that topic."""
        limit = max(1, min(int(limit), 50))
        query = scrub(query)  # personal numbers never reach the index, the query log or the reply
        if province in ("", "00"):
            province = None
        result = self.store.index.search(query, province=province, limit=limit,
                                         include_other_provinces=include_other_provinces, topic=topic)
        if log_query and result.query:
            best = result.best
            self.store.queries.add(at=self.store.now(), query=result.query, province=province, channel=channel,
                                   no_answer=result.no_answer, top_article_id=best.article_id if best else None,
                                   score=best.score if best else 0.0)
        return result

    def reindex(self) -> int:
        return self.store.index.rebuild()
