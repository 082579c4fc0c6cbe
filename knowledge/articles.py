"""What the parts of `platform.knowledge` share: the database, the search index, the read cache and the
query log of one node, and the steps every writer takes — the change log (`kb_changes`: who, when,
why), publishing a revision (superseding the previous one), announcing a change (index, cache, event).
Also who may do what (`Actor`, `require`) and the article id and content checks shared by every way in.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import china_now
from knowledge.api import KnowledgeHost
from knowledge.content import CONTENT_FIELDS
from knowledge.errors import KnowledgeError, NotFound, PermissionDenied
from knowledge.events import KbArchived, KbPublished
from knowledge.index import KnowledgeIndex
from knowledge.models import KbArticle, KbChange, KbNotice, KbRevision
from knowledge.querylog import QueryLog
from knowledge.readcache import ReadCache
from knowledge.views import ArticleView, NoticeView

ARTICLE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")


class Actor(Protocol):
    id: int

    def has_role(self, *roles: str) -> bool: ...


def require(user: Actor | None, role: str, action: str) -> int:
    if user is None or not user.has_role(role):
        raise PermissionDenied(f"{action}: only a user with the {role} role may do this")
    return user.id


def content_args(content: dict[str, Any]) -> dict[str, Any]:
    """Accept `body` as an alias of `body_html`; refuse unknown fields."""
    content = dict(content)
    if "body" in content:
        content["body_html"] = content.pop("body")
    unknown = set(content) - set(CONTENT_FIELDS)
    if unknown:
        raise KnowledgeError(f"unknown fields: {', '.join(sorted(unknown))}")
    return content


class ArticleStore:
    def __init__(self, platform: KnowledgeHost) -> None:
        self.platform = platform
        self.db = platform.db
        self.clock = platform.clock
        self.index = KnowledgeIndex(platform)
        self.cache = ReadCache(platform.bus, self.read_article, self.read_live_notices)
        self.queries = QueryLog(platform.db)

    def now(self) -> datetime:
        return self.clock.now()

    def today(self) -> date:
        return china_now(self.clock).date()

    # --- rows -----------------------------------------------------------------------------------
    def log(self, s: Session, article_id: str, revision_id: int | None, action: str, user_id: int | None,
            reason: str = "") -> None:
        s.add(KbChange(article_id=article_id, revision_id=revision_id, action=action, user_id=user_id,
                       at=self.now(), reason=reason or ""))

    def rev(self, s: Session, revision_id: int) -> KbRevision:
        rev = s.get(KbRevision, revision_id)
        if rev is None:
            raise NotFound(f"no revision {revision_id}")
        return rev

    def article(self, s: Session, article_id: str) -> KbArticle:
        art = s.get(KbArticle, article_id)
        if art is None:
            raise NotFound(f"no article {article_id}")
        return art

    def latest(self, s: Session, article_id: str) -> KbRevision | None:
        return s.execute(select(KbRevision).where(KbRevision.article_id == article_id)
                         .order_by(KbRevision.number.desc()).limit(1)).scalar_one_or_none()

    # --- publishing -----------------------------------------------------------------------------
    def publish(self, s: Session, rev: KbRevision, user_id: int | None, reason: str) -> None:
        art = self.article(s, rev.article_id)
        if art.published_revision_id and art.published_revision_id != rev.id:
            old = s.get(KbRevision, art.published_revision_id)
            if old is not None and old.status == "published":
                old.status = "superseded"
        rev.status = "published"
        rev.published_at = self.now()
        art.published_revision_id = rev.id
        art.archived = False
        self.log(s, rev.article_id, rev.id, "publish", user_id, reason)

    def announce(self, event: type[KbPublished | KbArchived], article_id: str, revision_id: int | None) -> None:
        """After an article's change is committed: refresh the index, clear the cache, tell the others."""
        self.index.refresh(article_id)
        self.cache.forget_article(article_id)
        self.platform.bus.emit(event(article_id=article_id, revision_id=revision_id, origin=self.index.origin))

    # --- what the read cache loads --------------------------------------------------------------
    def read_article(self, article_id: str) -> ArticleView | None:
        with self.db.session() as s:
            art = s.get(KbArticle, article_id)
            if art is None or art.archived or not art.published_revision_id:
                return None
            rev = s.get(KbRevision, art.published_revision_id)
            return ArticleView.of(rev, []) if rev is not None else None

    def read_live_notices(self) -> list[NoticeView]:
        with self.db.session() as s:
            rows = s.execute(select(KbNotice).where(KbNotice.withdrawn.is_(False), KbNotice.status == "published",
                                                    KbNotice.ends_at > self.now())
                             .order_by(KbNotice.starts_at.desc(), KbNotice.id.desc())).scalars().all()
            return [NoticeView.of(n) for n in rows]

    def close(self) -> None:
        try:
            self.queries.flush()
        finally:
            self.index.close()
            self.cache.close()
