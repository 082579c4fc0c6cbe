"""The editors' analytics of what callers ask: the most frequent queries, and those with no answer,
over the last days, read from the query log (knowledge/querylog.py, flushed first)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import case, func, select

from knowledge.articles import ArticleStore
from knowledge.models import KbQuery
from knowledge.views import QueryStat


class QueryStats:
    def __init__(self, store: ArticleStore) -> None:
        self.store = store

    def top_queries(self, days: int = 30, limit: int = 20) -> list[QueryStat]:
        return self._query_stats(days, limit, False)

    def unanswered_queries(self, days: int = 30, limit: int = 20) -> list[QueryStat]:
        return self._query_stats(days, limit, True)

    def _query_stats(self, days: int, limit: int, only_unanswered: bool) -> list[QueryStat]:
        st = self.store
        st.queries.flush()
        since = st.now() - timedelta(days=days)
        with st.db.session() as s:
            q = (select(KbQuery.query, func.count(), func.sum(case((KbQuery.no_answer.is_(True), 1), else_=0)),
                        func.max(KbQuery.at)).where(KbQuery.at >= since))
            if only_unanswered:
                q = q.where(KbQuery.no_answer.is_(True))
            rows = s.execute(q.group_by(KbQuery.query).order_by(func.count().desc(), KbQuery.query)
                             .limit(limit)).all()
        return [QueryStat(query=r[0], count=int(r[1]), no_answer=int(r[2] or 0),
                          last_at=r[3] if r[3].tzinfo else r[3].replace(tzinfo=st.now().tzinfo))
                for r in rows]
