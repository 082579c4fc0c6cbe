"""Flags: an agent marks an answer wrong, outdated, unclear or other; editors see the open flags and
resolve them, saying what was done."""

from __future__ import annotations

from sqlalchemy import select

from knowledge.articles import Actor, ArticleStore, require
from knowledge.content import FLAG_REASONS
from knowledge.errors import InvalidState, KnowledgeError, NotFound
from knowledge.models import KbFlag
from knowledge.views import FlagView


class Flags:
    def __init__(self, store: ArticleStore) -> None:
        self.store = store

    def flag(self, article_id: str, user_id: int, reason: str, note: str = "") -> None:
        """An agent marks an answer wrong/outdated/unclear/other (contract)."""
        if reason not in FLAG_REASONS:
            raise KnowledgeError(f"flag reason must be one of {', '.join(FLAG_REASONS)}")
        st = self.store
        with st.db.session() as s:
            art = st.article(s, article_id)
            s.add(KbFlag(article_id=article_id, revision_id=art.published_revision_id, user_id=user_id, reason=reason,
                         note=(note or "").strip()[:2000], created_at=st.now(), resolution=""))
            st.log(s, article_id, art.published_revision_id, "flag", user_id, reason)

    def flags(self, *, open_only: bool = True, article_id: str | None = None) -> list[FlagView]:
        with self.store.db.session() as s:
            q = select(KbFlag)
            if open_only:
                q = q.where(KbFlag.resolved_at.is_(None))
            if article_id:
                q = q.where(KbFlag.article_id == article_id)
            return [FlagView.of(f) for f in s.execute(q.order_by(KbFlag.id)).scalars()]

    def resolve_flag(self, user: Actor | None, flag_id: int, resolution: str) -> FlagView:
        uid = require(user, "editor", "resolve a flag")
        if not (resolution or "").strip():
            raise KnowledgeError("resolve: say what was done (resolution is required)")
        st = self.store
        with st.db.session() as s:
            f = s.get(KbFlag, flag_id)
            if f is None:
                raise NotFound(f"no flag {flag_id}")
            if f.resolved_at is not None:
                raise InvalidState(f"flag {flag_id} is already resolved")
            f.resolved_by, f.resolved_at, f.resolution = uid, st.now(), resolution.strip()
            st.log(s, f.article_id, f.revision_id, "resolve_flag", uid, resolution.strip())
            return FlagView.of(f)
