"""The editorial workflow of an article: editors write drafts and submit them; reviewers publish (or
schedule) them, send them back, archive an article and roll it back, and never approve a revision they
wrote or edited. Revisions are immutable once submitted; publishing one supersedes the previous
published revision; the timer publishes scheduled revisions when their date comes (`publish_due`).
Every step is kept in `kb_changes` (who, when, why)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from knowledge.articles import ARTICLE_ID, Actor, ArticleStore, content_args, require
from knowledge.content import CONTENT_FIELDS, validate
from knowledge.errors import InvalidState, KnowledgeError, NotFound, PermissionDenied
from knowledge.events import KbArchived, KbPublished
from knowledge.models import KbArticle, KbChange, KbRevision
from knowledge.views import RevisionView


class Workflow:
    def __init__(self, store: ArticleStore) -> None:
        self.store = store

    # --- editing (editors) ----------------------------------------------------------------------
    def create_draft(self, user: Actor | None, *, article_id: str | None = None, reason: str = "",
                     **content: Any) -> RevisionView:
        """A new draft: of a new article, or the next revision of an existing one (fields not given
        are copied from its newest revision)."""
        uid = require(user, "editor", "create a draft")
        if article_id is not None and not ARTICLE_ID.match(article_id):
            raise KnowledgeError(f"article id: letters, digits, '-', '_' or '.', at most 40: {article_id!r}")
        st = self.store
        with st.db.session() as s:
            art = s.get(KbArticle, article_id) if article_id else None
            base: dict[str, Any] = {}
            if art is not None:
                if s.execute(select(KbRevision.id).where(KbRevision.article_id == art.id,
                                                         KbRevision.status.in_(("draft", "in_review")))).first():
                    raise InvalidState(f"{art.id} already has a draft or a revision in review")
                latest = st.latest(s, art.id)
                base = {f: getattr(latest, f) for f in CONTENT_FIELDS} if latest else {}
            fields = validate({**base, **content_args(content)})
            now = st.now()
            if art is None:
                art = KbArticle(id=article_id or f"kb-{uuid.uuid4().hex[:8]}", created_at=now, created_by=uid,
                                archived=False)
                s.add(art)
                s.flush()
            number = (s.execute(select(func.max(KbRevision.number)).where(KbRevision.article_id == art.id))
                      .scalar() or 0) + 1
            rev = KbRevision(article_id=art.id, number=number, status="draft", author_id=uid, change_reason=reason,
                             created_at=now, updated_at=now, review_comment="", **fields)
            s.add(rev)
            s.flush()
            st.log(s, art.id, rev.id, "create", uid, reason)
            return RevisionView.of(rev)

    def update_draft(self, user: Actor | None, revision_id: int, *, reason: str = "", **content: Any) -> RevisionView:
        uid = require(user, "editor", "edit a draft")
        st = self.store
        with st.db.session() as s:
            rev = st.rev(s, revision_id)
            if rev.status != "draft":
                raise InvalidState(f"revision {revision_id} is {rev.status}; only drafts can be edited")
            current = {f: getattr(rev, f) for f in CONTENT_FIELDS}
            fields = validate({**current, **content_args(content)})
            for name, value in fields.items():
                if name in CONTENT_FIELDS:
                    setattr(rev, name, value)
            if reason:
                rev.change_reason = reason
            rev.updated_at = st.now()
            st.log(s, rev.article_id, rev.id, "update", uid, reason)
            return RevisionView.of(rev)

    def submit(self, user: Actor | None, revision_id: int, reason: str = "") -> RevisionView:
        uid = require(user, "editor", "submit for review")
        st = self.store
        with st.db.session() as s:
            rev = st.rev(s, revision_id)
            if rev.status != "draft":
                raise InvalidState(f"revision {revision_id} is {rev.status}; only drafts can be submitted")
            rev.status = "in_review"
            rev.updated_at = st.now()
            st.log(s, rev.article_id, rev.id, "submit", uid, reason)
            return RevisionView.of(rev)

    # --- review (reviewers) ---------------------------------------------------------------------
    def _contributors(self, s: Session, revision_id: int) -> set[int]:
        return {u for u in s.execute(select(KbChange.user_id).where(
            KbChange.revision_id == revision_id, KbChange.action.in_(("create", "update")))).scalars() if u}

    def approve(self, user: Actor | None, revision_id: int, comment: str = "") -> RevisionView:
        """Publish a revision in review, or schedule it when its effective date is still ahead."""
        uid = require(user, "reviewer", "publish")
        st = self.store
        with st.db.session() as s:
            rev = st.rev(s, revision_id)
            if rev.status != "in_review":
                raise InvalidState(f"revision {revision_id} is {rev.status}; only revisions in review can be approved")
            if uid == rev.author_id or uid in self._contributors(s, rev.id):
                raise PermissionDenied("publish: a reviewer cannot approve a revision they wrote or edited")
            rev.reviewer_id = uid
            rev.review_comment = comment
            if rev.effective_from and rev.effective_from > st.today():
                rev.status = "scheduled"
                st.log(s, rev.article_id, rev.id, "schedule", uid, comment)
                scheduled = True
            else:
                st.publish(s, rev, uid, comment)
                scheduled = False
            view = RevisionView.of(rev)
        if not scheduled:
            st.announce(KbPublished, view.article_id, view.id)
        return view

    def reject(self, user: Actor | None, revision_id: int, comment: str) -> RevisionView:
        """Send a revision in review back to draft with the reviewer's comment (required)."""
        uid = require(user, "reviewer", "reject")
        if not (comment or "").strip():
            raise KnowledgeError("reject: a comment saying what to change is required")
        st = self.store
        with st.db.session() as s:
            rev = st.rev(s, revision_id)
            if rev.status not in ("in_review", "scheduled"):
                raise InvalidState(f"revision {revision_id} is {rev.status}; only revisions in review can be rejected")
            rev.status = "draft"
            rev.reviewer_id = uid
            rev.review_comment = comment.strip()
            rev.updated_at = st.now()
            st.log(s, rev.article_id, rev.id, "reject", uid, comment.strip())
            return RevisionView.of(rev)

    def archive(self, user: Actor | None, article_id: str, reason: str = "") -> None:
        """Withdraw an article: no longer offered by search or shown to agents."""
        uid = require(user, "reviewer", "archive")
        st = self.store
        with st.db.session() as s:
            art = st.article(s, article_id)
            if art.archived:
                raise InvalidState(f"{article_id} is already archived")
            rev_id = art.published_revision_id
            if rev_id:
                rev = s.get(KbRevision, rev_id)
                if rev is not None:
                    rev.status = "archived"
            art.archived = True
            art.published_revision_id = None
            st.log(s, article_id, rev_id, "archive", uid, reason)
        st.announce(KbArchived, article_id, rev_id)

    def rollback(self, user: Actor | None, article_id: str, to_revision: int, reason: str = "") -> RevisionView:
        """Publish the content of an earlier revision (its number) as a new revision."""
        uid = require(user, "reviewer", "roll back")
        st = self.store
        with st.db.session() as s:
            st.article(s, article_id)
            old = s.execute(select(KbRevision).where(KbRevision.article_id == article_id,
                                                     KbRevision.number == to_revision)).scalar_one_or_none()
            if old is None:
                raise NotFound(f"{article_id} has no revision {to_revision}")
            if old.status in ("draft", "in_review"):
                raise InvalidState("roll back: the target revision was never reviewed")
            number = (s.execute(select(func.max(KbRevision.number)).where(KbRevision.article_id == article_id))
                      .scalar() or 0) + 1
            now = st.now()
            why = reason or f"rollback to r{to_revision}"
            rev = KbRevision(article_id=article_id, number=number, status="in_review", author_id=old.author_id,
                             change_reason=why, created_at=now, updated_at=now, reviewer_id=uid,
                             review_comment=f"rollback to r{to_revision}",
                             **{f: getattr(old, f) for f in CONTENT_FIELDS})
            s.add(rev)
            s.flush()
            st.log(s, article_id, rev.id, "rollback", uid, why)
            st.publish(s, rev, uid, why)
            view = RevisionView.of(rev)
        st.announce(KbPublished, article_id, view.id)
        return view

    def publish_due(self) -> list[int]:
        """Publish scheduled revisions whose effective date has come (the runtime timer calls this)."""
        st = self.store
        today = st.today()
        published: list[tuple[str, int]] = []
        with st.db.session() as s:
            due = s.execute(select(KbRevision).where(KbRevision.status == "scheduled",
                                                     KbRevision.effective_from <= today)
                            .order_by(KbRevision.effective_from, KbRevision.id)).scalars().all()
            for rev in due:
                st.publish(s, rev, None, f"scheduled for {rev.effective_from}")
                published.append((rev.article_id, rev.id))
        for article_id, rev_id in published:
            st.announce(KbPublished, article_id, rev_id)
        return [rev_id for _, rev_id in published]
