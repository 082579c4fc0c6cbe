"""The query log for editors' analytics (top queries, queries with no answer).

Searches must stay sub-millisecond, so entries are buffered and written in batches (on a size limit,
by the runtime timer, before analytics are read and on close). The text is scrubbed of ID and mobile
numbers first (core.masking.scrub): callers do say them.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import Any

from sqlalchemy import insert

from core.masking import scrub
from knowledge.models import KbQuery

log = logging.getLogger(__name__)

FLUSH_AT = 200


class QueryLog:
    def __init__(self, db: Any) -> None:
        self.db = db
        self._buf: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._flushing = False

    def add(self, *, at: datetime, query: str, province: str | None, channel: str, no_answer: bool,
            top_article_id: str | None, score: float) -> None:
        row = {"at": at, "query": scrub(query.strip())[:200], "province": province, "channel": channel[:10],
               "no_answer": no_answer, "top_article_id": top_article_id, "score": float(score)}
        with self._lock:
            self._buf.append(row)
            full = len(self._buf) >= FLUSH_AT and not self._flushing
            if full:
                self._flushing = True
        if full:  # write off the search path: a search must not wait for the database
            threading.Thread(target=self._background_flush, name="kb-querylog", daemon=True).start()

    def _background_flush(self) -> None:
        try:
            self.flush()
        except Exception:  # the next flush retries with whatever is buffered then
            log.exception("writing the knowledge query log failed")
        finally:
            self._flushing = False

    def flush(self) -> int:
        with self._lock:
            rows, self._buf = self._buf, []
        if not rows:
            return 0
        try:
            with self.db.engine.begin() as conn:  # one executemany; the ORM would cost far more
                conn.execute(insert(KbQuery), rows)
        except Exception:
            with self._lock:  # keep them for the next attempt
                self._buf = rows + self._buf
            raise
        return len(rows)
