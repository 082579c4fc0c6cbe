"""`platform.knowledge`: the editorial workflow, notices, flags, analytics and search.

Roles: editors write drafts and notices; reviewers publish, reject, archive and roll back, and never
approve a revision they wrote or edited. Revisions are immutable once submitted; publishing one
supersedes the previous published revision. Every step is kept in `kb_changes` (who, when, why).
"""

from __future__ import annotations

import builtins
import difflib
import re
import uuid
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from core.clock import china_now
from core.masking import scrub
from knowledge.api import KnowledgeHost
from knowledge.content import CONTENT_FIELDS, FLAG_REASONS, clean_html, validate
from knowledge.errors import InvalidState, KnowledgeError, NotFound, PermissionDenied
from knowledge.events import KbArchived, KbNoticesChanged, KbPublished
from knowledge.index import KnowledgeIndex
from knowledge.models import KbArticle, KbChange, KbFlag, KbNotice, KbQuery, KbRevision
from knowledge.querylog import QueryLog
from knowledge.readcache import ReadCache
from knowledge.search import SearchResult
from knowledge.views import (
    ArticleSummary,
    ArticleView,
    ChangeView,
    FieldDiff,
    FlagView,
    NoticeView,
    QueryStat,
    RevisionView,
)

ARTICLE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
EXPIRING_DAYS = 30


class Actor(Protocol):
    id: int

    def has_role(self, *roles: str) -> bool: ...


def _require(user: Actor | None, role: str, action: str) -> int:
    if user is None or not user.has_role(role):
        raise PermissionDenied(f"{action}: only a user with the {role} role may do this")
    return user.id


class KnowledgeService:
    def __init__(self, platform: KnowledgeHost) -> None:
        self.platform = platform
        self.db = platform.db
        self.clock = platform.clock
        self.index = KnowledgeIndex(platform)
        self.cache = ReadCache(platform.bus, self._read_article, self._read_live_notices)
        self.queries = QueryLog(platform.db)

    # --- helpers --------------------------------------------------------------------------------
    def _now(self) -> datetime:
        return self.clock.now()

    def _today(self) -> date:
        return china_now(self.clock).date()

    def _log(self, s: Session, article_id: str, revision_id: int | None, action: str, user_id: int | None,
             reason: str = "") -> None:
        s.add(KbChange(article_id=article_id, revision_id=revision_id, action=action, user_id=user_id,
                       at=self._now(), reason=reason or ""))

    def _rev(self, s: Session, revision_id: int) -> KbRevision:
        rev = s.get(KbRevision, revision_id)
        if rev is None:
            raise NotFound(f"no revision {revision_id}")
        return rev

    def _article(self, s: Session, article_id: str) -> KbArticle:
        art = s.get(KbArticle, article_id)
        if art is None:
            raise NotFound(f"no article {article_id}")
        return art

    def _announce(self, event: type[KbPublished | KbArchived], article_id: str, revision_id: int | None) -> None:
        self.index.refresh(article_id)
        self.cache.forget_article(article_id)
        self.platform.bus.emit(event(article_id=article_id, revision_id=revision_id, origin=self.index.origin))

    def _publish(self, s: Session, rev: KbRevision, user_id: int | None, reason: str) -> None:
        art = self._article(s, rev.article_id)
        if art.published_revision_id and art.published_revision_id != rev.id:
            old = s.get(KbRevision, art.published_revision_id)
            if old is not None and old.status == "published":
                old.status = "superseded"
        rev.status = "published"
        rev.published_at = self._now()
        art.published_revision_id = rev.id
        art.archived = False
        self._log(s, rev.article_id, rev.id, "publish", user_id, reason)

    # --- editing (editors) ----------------------------------------------------------------------
    def create_draft(self, user: Actor | None, *, article_id: str | None = None, reason: str = "",
                     **content: Any) -> RevisionView:
        """A new draft: of a new article, or the next revision of an existing one (fields not given
        are copied from its newest revision)."""
        uid = _require(user, "editor", "create a draft")
        if article_id is not None and not ARTICLE_ID.match(article_id):
            raise KnowledgeError(f"article id: letters, digits, '-', '_' or '.', at most 40: {article_id!r}")
        with self.db.session() as s:
            art = s.get(KbArticle, article_id) if article_id else None
            base: dict[str, Any] = {}
            if art is not None:
                if s.execute(select(KbRevision.id).where(KbRevision.article_id == art.id,
                                                         KbRevision.status.in_(("draft", "in_review")))).first():
                    raise InvalidState(f"{art.id} already has a draft or a revision in review")
                latest = self._latest(s, art.id)
                base = {f: getattr(latest, f) for f in CONTENT_FIELDS} if latest else {}
            fields = validate({**base, **_content_args(content)})
            now = self._now()
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
            self._log(s, art.id, rev.id, "create", uid, reason)
            return RevisionView.of(rev)

    def update_draft(self, user: Actor | None, revision_id: int, *, reason: str = "", **content: Any) -> RevisionView:
        uid = _require(user, "editor", "edit a draft")
        with self.db.session() as s:
            rev = self._rev(s, revision_id)
            if rev.status != "draft":
                raise InvalidState(f"revision {revision_id} is {rev.status}; only drafts can be edited")
            current = {f: getattr(rev, f) for f in CONTENT_FIELDS}
            fields = validate({**current, **_content_args(content)})
            for name, value in fields.items():
                if name in CONTENT_FIELDS:
                    setattr(rev, name, value)
            if reason:
                rev.change_reason = reason
            rev.updated_at = self._now()
            self._log(s, rev.article_id, rev.id, "update", uid, reason)
            return RevisionView.of(rev)

    def submit(self, user: Actor | None, revision_id: int, reason: str = "") -> RevisionView:
        uid = _require(user, "editor", "submit for review")
        with self.db.session() as s:
            rev = self._rev(s, revision_id)
            if rev.status != "draft":
                raise InvalidState(f"revision {revision_id} is {rev.status}; only drafts can be submitted")
            rev.status = "in_review"
            rev.updated_at = self._now()
            self._log(s, rev.article_id, rev.id, "submit", uid, reason)
            return RevisionView.of(rev)

    # --- review (reviewers) ---------------------------------------------------------------------
    def _contributors(self, s: Session, revision_id: int) -> set[int]:
        return {u for u in s.execute(select(KbChange.user_id).where(
            KbChange.revision_id == revision_id, KbChange.action.in_(("create", "update")))).scalars() if u}

    def approve(self, user: Actor | None, revision_id: int, comment: str = "") -> RevisionView:
        """Publish a revision in review, or schedule it when its effective date is still ahead."""
        uid = _require(user, "reviewer", "publish")
        with self.db.session() as s:
            rev = self._rev(s, revision_id)
            if rev.status != "in_review":
                raise InvalidState(f"revision {revision_id} is {rev.status}; only revisions in review can be approved")
            if uid == rev.author_id or uid in self._contributors(s, rev.id):
                raise PermissionDenied("publish: a reviewer cannot approve a revision they wrote or edited")
            rev.reviewer_id = uid
            rev.review_comment = comment
            if rev.effective_from and rev.effective_from > self._today():
                rev.status = "scheduled"
                self._log(s, rev.article_id, rev.id, "schedule", uid, comment)
                scheduled = True
            else:
                self._publish(s, rev, uid, comment)
                scheduled = False
            view = RevisionView.of(rev)
        if not scheduled:
            self._announce(KbPublished, view.article_id, view.id)
        return view

    def reject(self, user: Actor | None, revision_id: int, comment: str) -> RevisionView:
        """Send a revision in review back to draft with the reviewer's comment (required)."""
        uid = _require(user, "reviewer", "reject")
        if not (comment or "").strip():
            raise KnowledgeError("reject: a comment saying what to change is required")
        with self.db.session() as s:
            rev = self._rev(s, revision_id)
            if rev.status not in ("in_review", "scheduled"):
                raise InvalidState(f"revision {revision_id} is {rev.status}; only revisions in review can be rejected")
            rev.status = "draft"
            rev.reviewer_id = uid
            rev.review_comment = comment.strip()
            rev.updated_at = self._now()
            self._log(s, rev.article_id, rev.id, "reject", uid, comment.strip())
            return RevisionView.of(rev)

    def archive(self, user: Actor | None, article_id: str, reason: str = "") -> None:
        """Withdraw an article: no longer offered by search or shown to agents."""
        uid = _require(user, "reviewer", "archive")
        with self.db.session() as s:
            art = self._article(s, article_id)
            if art.archived:
                raise InvalidState(f"{article_id} is already archived")
            rev_id = art.published_revision_id
            if rev_id:
                rev = s.get(KbRevision, rev_id)
                if rev is not None:
                    rev.status = "archived"
            art.archived = True
            art.published_revision_id = None
            self._log(s, article_id, rev_id, "archive", uid, reason)
        self._announce(KbArchived, article_id, rev_id)

    def rollback(self, user: Actor | None, article_id: str, to_revision: int, reason: str = "") -> RevisionView:
        """Publish the content of an earlier revision (its number) as a new revision."""
        uid = _require(user, "reviewer", "roll back")
        with self.db.session() as s:
            self._article(s, article_id)
            old = s.execute(select(KbRevision).where(KbRevision.article_id == article_id,
                                                     KbRevision.number == to_revision)).scalar_one_or_none()
            if old is None:
                raise NotFound(f"{article_id} has no revision {to_revision}")
            if old.status in ("draft", "in_review"):
                raise InvalidState("roll back: the target revision was never reviewed")
            number = (s.execute(select(func.max(KbRevision.number)).where(KbRevision.article_id == article_id))
                      .scalar() or 0) + 1
            now = self._now()
            why = reason or f"rollback to r{to_revision}"
            rev = KbRevision(article_id=article_id, number=number, status="in_review", author_id=old.author_id,
                             change_reason=why, created_at=now, updated_at=now, reviewer_id=uid,
                             review_comment=f"rollback to r{to_revision}",
                             **{f: getattr(old, f) for f in CONTENT_FIELDS})
            s.add(rev)
            s.flush()
            self._log(s, article_id, rev.id, "rollback", uid, why)
            self._publish(s, rev, uid, why)
            view = RevisionView.of(rev)
        self._announce(KbPublished, article_id, view.id)
        return view

    def publish_due(self) -> list[int]:
        """Publish scheduled revisions whose effective date has come (the runtime timer calls this)."""
        today = self._today()
        published: list[tuple[str, int]] = []
        with self.db.session() as s:
            due = s.execute(select(KbRevision).where(KbRevision.status == "scheduled",
                                                     KbRevision.effective_from <= today)
                            .order_by(KbRevision.effective_from, KbRevision.id)).scalars().all()
            for rev in due:
                self._publish(s, rev, None, f"scheduled for {rev.effective_from}")
                published.append((rev.article_id, rev.id))
        for article_id, rev_id in published:
            self._announce(KbPublished, article_id, rev_id)
        return [rev_id for _, rev_id in published]

    def import_article(self, article_id: str, content: dict[str, Any], *, publish: bool,
                       user_id: int | None = None, reason: str = "import", announce: bool = True) -> str:
        """Trusted bulk load (the `hotline kb import` operator): a new revision when the content differs
        from the newest one, published at once with `publish`. Returns created/updated/published/unchanged.
        With `announce=False` the caller rebuilds the index once at the end (bulk loads)."""
        fields = validate(_content_args(content))
        now = self._now()
        with self.db.session() as s:
            art = s.get(KbArticle, article_id)
            latest = self._latest(s, article_id) if art is not None else None
            if latest is not None and all(getattr(latest, f) == fields[f] for f in CONTENT_FIELDS):
                if not publish or latest.status == "published":
                    return "unchanged"
                rev, outcome = latest, "published"
            else:
                if art is None:
                    art = KbArticle(id=article_id, created_at=now, created_by=user_id, archived=False)
                    s.add(art)
                    s.flush()
                elif s.execute(select(KbRevision.id).where(KbRevision.article_id == article_id,
                                                           KbRevision.status.in_(("draft", "in_review")))).first():
                    raise InvalidState(f"{article_id} has a draft or a revision in review; not imported")
                rev = KbRevision(article_id=art.id, number=(latest.number + 1) if latest else 1, status="draft",
                                 author_id=user_id, change_reason=reason, created_at=now, updated_at=now,
                                 review_comment="", **fields)
                s.add(rev)
                s.flush()
                self._log(s, art.id, rev.id, "import", user_id, reason)
                outcome = "updated" if latest else "created"
            if publish:
                self._publish(s, rev, user_id, reason)
            rev_id = rev.id
        if publish and announce:
            self._announce(KbPublished, article_id, rev_id)
        return outcome

    # --- reading --------------------------------------------------------------------------------
    def _latest(self, s: Session, article_id: str) -> KbRevision | None:
        return s.execute(select(KbRevision).where(KbRevision.article_id == article_id)
                         .order_by(KbRevision.number.desc()).limit(1)).scalar_one_or_none()

    def article(self, article_id: str) -> ArticleView | None:
        """The current published revision, with its active notices (contract for IVR, console, SMS);
        read from `self.cache`."""
        return self.cache.article(article_id, self._now())

    def _read_article(self, article_id: str) -> ArticleView | None:
        with self.db.session() as s:
            art = s.get(KbArticle, article_id)
            if art is None or art.archived or not art.published_revision_id:
                return None
            rev = s.get(KbRevision, art.published_revision_id)
            return ArticleView.of(rev, []) if rev is not None else None

    def get(self, article_id: str) -> dict[str, Any]:
        """Everything an editor's page shows: published and newest revision, history, flags, notices."""
        with self.db.session() as s:
            art = self._article(s, article_id)
            latest = self._latest(s, article_id)
            published = s.get(KbRevision, art.published_revision_id) if art.published_revision_id else None
            flags = s.execute(select(KbFlag).where(KbFlag.article_id == article_id, KbFlag.resolved_at.is_(None))
                              .order_by(KbFlag.id)).scalars().all()
            return {
                "article_id": art.id, "archived": art.archived, "created_at": art.created_at,
                "published": RevisionView.of(published) if published else None,
                "latest": RevisionView.of(latest) if latest else None,
                "open_flags": [FlagView.of(f) for f in flags],
                "notices": self._active_notices(s, None, article_id=article_id, all_provinces=True),
                "history": self.history(article_id),
            }

    def revision(self, revision_id: int) -> RevisionView:
        with self.db.session() as s:
            return RevisionView.of(self._rev(s, revision_id))

    def revisions(self, article_id: str) -> list[RevisionView]:
        with self.db.session() as s:
            self._article(s, article_id)
            rows = s.execute(select(KbRevision).where(KbRevision.article_id == article_id)
                             .order_by(KbRevision.number)).scalars().all()
            return [RevisionView.of(r) for r in rows]

    def history(self, article_id: str) -> list[ChangeView]:
        with self.db.session() as s:
            rows = s.execute(select(KbChange).where(KbChange.article_id == article_id)
                             .order_by(KbChange.id)).scalars().all()
            return [ChangeView.of(c) for c in rows]

    def diff(self, rev_a: int, rev_b: int) -> list[FieldDiff]:
        """The fields that differ between two revisions (ids), with a unified diff for text."""
        with self.db.session() as s:
            a, b = RevisionView.of(self._rev(s, rev_a)), RevisionView.of(self._rev(s, rev_b))
        out = []
        for name in CONTENT_FIELDS:
            old, new = getattr(a, name), getattr(b, name)
            if old == new:
                continue
            if name == "body_html":
                old_lines, new_lines = a.body_text.splitlines(), b.body_text.splitlines()
            elif isinstance(old, list) or isinstance(new, list):
                old_lines = [str(v) for v in old or []]
                new_lines = [str(v) for v in new or []]
            else:
                old_lines, new_lines = [str(old or "")], [str(new or "")]
            unified = list(difflib.unified_diff(old_lines, new_lines, f"r{a.number}", f"r{b.number}", lineterm="", n=1))
            out.append(FieldDiff(field=name, old=old, new=new, unified=unified))
        return out

    def list(self, *, category: str | None = None, province: str | None = None, status: str | None = None,
             expiring_soon: bool = False, flagged: bool = False, text: str | None = None,
             limit: int = 200, offset: int = 0) -> list[ArticleSummary]:
        """Articles for the editors' list, newest change first. `status` filters the newest revision's
        status ("archived" lists archived articles); `expiring_soon` = published and ending within 30 days."""
        today = self._today()
        with self.db.session() as s:
            newest = (select(KbRevision.article_id, func.max(KbRevision.number).label("n"))
                      .group_by(KbRevision.article_id).subquery())
            q = (select(KbArticle, KbRevision)
                 .join(newest, newest.c.article_id == KbArticle.id)
                 .join(KbRevision, (KbRevision.article_id == KbArticle.id) & (KbRevision.number == newest.c.n)))
            if category:
                q = q.where(KbRevision.category == category)
            if province:
                q = q.where(KbRevision.province == province)
            if status:
                q = q.where(KbRevision.status == status)
            if text:
                q = q.where(KbRevision.title.contains(text) | KbArticle.id.contains(text))
            open_flags = select(KbFlag.article_id, func.count()).where(KbFlag.resolved_at.is_(None))
            flag_counts: dict[str, int] = dict(s.execute(open_flags.group_by(KbFlag.article_id)).tuples().all())
            if flagged:
                q = q.where(KbArticle.id.in_(list(flag_counts) or [""]))
            rows = s.execute(q.order_by(KbRevision.updated_at.desc(), KbArticle.id)).all()
            published = {r.id: r for r in s.execute(select(KbRevision).where(KbRevision.id.in_(
                [a.published_revision_id for a, _ in rows if a.published_revision_id] or [0]))).scalars()}
            out = []
            for art, latest in rows:
                pub = published.get(art.published_revision_id or 0)
                ends = pub.effective_to if pub else None
                if expiring_soon and not (ends and today <= ends <= today + timedelta(days=EXPIRING_DAYS)):
                    continue
                out.append(ArticleSummary(
                    article_id=art.id, title=latest.title, category=latest.category, province=latest.province,
                    latest_revision_id=latest.id, latest_number=latest.number, latest_status=latest.status,
                    published_revision_id=art.published_revision_id, effective_to=ends, archived=art.archived,
                    open_flags=int(flag_counts.get(art.id, 0)), updated_at=latest.updated_at))
            return out[offset:offset + limit]

    # --- notices --------------------------------------------------------------------------------
    def _active_notices(self, s: Session, province: str | None, *, article_id: str | None = None,
                        all_provinces: bool = False) -> builtins.list[NoticeView]:
        now = self._now()
        q = select(KbNotice).where(KbNotice.withdrawn.is_(False), KbNotice.status == "published",
                                   KbNotice.starts_at <= now, KbNotice.ends_at > now)
        if not all_provinces:
            q = q.where(KbNotice.province.in_(["00", province] if province and province != "00" else ["00"]))
        if article_id is not None:
            q = q.where((KbNotice.article_id == article_id) | KbNotice.article_id.is_(None)) if not all_provinces \
                else q.where(KbNotice.article_id == article_id)
        rows = s.execute(q.order_by(KbNotice.starts_at.desc(), KbNotice.id.desc())).scalars().all()
        return [NoticeView.of(n) for n in rows]

    def notices(self, province: str | None = None) -> builtins.list[NoticeView]:
        """Active notices for a province (national ones included), newest first (contract)."""
        return self.cache.notices(province, self._now())

    def _read_live_notices(self) -> builtins.list[NoticeView]:
        with self.db.session() as s:
            rows = s.execute(select(KbNotice).where(KbNotice.withdrawn.is_(False), KbNotice.status == "published",
                                                    KbNotice.ends_at > self._now())
                             .order_by(KbNotice.starts_at.desc(), KbNotice.id.desc())).scalars().all()
            return [NoticeView.of(n) for n in rows]

    def _notices_changed(self) -> None:
        """After a notice's change is committed: clear this node's cache and tell the others."""
        self.cache.forget_notices()
        self.platform.bus.emit(KbNoticesChanged(origin=self.index.origin))

    def list_notices(self, *, include_inactive: bool = True) -> builtins.list[NoticeView]:
        with self.db.session() as s:
            if not include_inactive:
                return self._active_notices(s, None, all_provinces=True)
            rows = s.execute(select(KbNotice).order_by(KbNotice.id.desc())).scalars().all()
            return [NoticeView.of(n) for n in rows]

    def create_notice(self, user: Actor | None, *, title: str, body: str, ends_at: datetime,
                      starts_at: datetime | None = None, province: str = "00",
                      article_id: str | None = None, status: str = "published") -> NoticeView:
        """Post a notice. `status="pending"` waits for a reviewer (`approve_notice`); the console
        always posts pending notices, or published urgent ones by a reviewer."""
        if status == "urgent":
            uid = _require(user, "reviewer", "publish an urgent notice")
            status = "published"
        else:
            uid = _require(user, "editor", "post a notice")
        if status not in ("published", "pending"):
            raise KnowledgeError("notice status: published or pending")
        fields = self._notice_fields(title=title, body=body, starts_at=starts_at or self._now(), ends_at=ends_at,
                                     province=province, article_id=article_id)
        with self.db.session() as s:
            if fields["article_id"]:
                self._article(s, fields["article_id"])
            notice = KbNotice(created_by=uid, created_at=self._now(), withdrawn=False, status=status,
                              reviewed_by=uid if status == "published" and user is not None
                              and user.has_role("reviewer") else None, **fields)
            s.add(notice)
            s.flush()
            self._log(s, fields["article_id"] or "-", None, "notice", uid, title)
            view = NoticeView.of(notice)
        self._notices_changed()
        return view

    def update_notice(self, user: Actor | None, notice_id: int, **changes: Any) -> NoticeView:
        uid = _require(user, "editor", "edit a notice")
        with self.db.session() as s:
            notice = s.get(KbNotice, notice_id)
            if notice is None:
                raise NotFound(f"no notice {notice_id}")
            current = {"title": notice.title, "body": notice.body_html, "starts_at": notice.starts_at,
                       "ends_at": notice.ends_at, "province": notice.province, "article_id": notice.article_id}
            fields = self._notice_fields(**{**current, **changes})
            for k, v in fields.items():
                setattr(notice, k, v)
            self._log(s, notice.article_id or "-", None, "notice_edit", uid, notice.title)
            view = NoticeView.of(notice)
        self._notices_changed()
        return view

    def approve_notice(self, user: Actor | None, notice_id: int) -> NoticeView:
        """A reviewer other than the author publishes a pending notice."""
        uid = _require(user, "reviewer", "approve a notice")
        with self.db.session() as s:
            notice = s.get(KbNotice, notice_id)
            if notice is None:
                raise NotFound(f"no notice {notice_id}")
            if notice.status != "pending":
                raise InvalidState(f"notice {notice_id} is not waiting for review")
            if notice.created_by == uid:
                raise PermissionDenied("approve: a reviewer cannot approve a notice they wrote")
            notice.status, notice.reviewed_by = "published", uid
            self._log(s, notice.article_id or "-", None, "notice_approve", uid, notice.title)
            view = NoticeView.of(notice)
        self._notices_changed()
        return view

    def withdraw_notice(self, user: Actor | None, notice_id: int) -> None:
        uid = _require(user, "editor", "withdraw a notice")
        with self.db.session() as s:
            notice = s.get(KbNotice, notice_id)
            if notice is None:
                raise NotFound(f"no notice {notice_id}")
            notice.withdrawn = True
            self._log(s, notice.article_id or "-", None, "notice_withdraw", uid, notice.title)
        self._notices_changed()

    def _notice_fields(self, *, title: str, body: str, starts_at: datetime, ends_at: datetime, province: str,
                       article_id: str | None) -> dict[str, Any]:
        title = (title or "").strip()
        if not title:
            raise KnowledgeError("notice title: required")
        for name, value in (("starts_at", starts_at), ("ends_at", ends_at)):
            if not isinstance(value, datetime) or value.tzinfo is None:
                raise KnowledgeError(f"notice {name}: a timezone-aware datetime is required")
        if ends_at <= starts_at:
            raise KnowledgeError("notice ends_at: must be after starts_at")
        validate_province = validate({"title": "x", "short_answer": "x", "body_html": "x", "category": "x",
                                      "province": province})["province"]
        return {"title": title[:200], "body_html": clean_html(body), "starts_at": starts_at, "ends_at": ends_at,
                "province": validate_province, "article_id": article_id or None}

    # --- feedback -------------------------------------------------------------------------------
    def flag(self, article_id: str, user_id: int, reason: str, note: str = "") -> None:
        """An agent marks an answer wrong/outdated/unclear/other (contract)."""
        if reason not in FLAG_REASONS:
            raise KnowledgeError(f"flag reason must be one of {', '.join(FLAG_REASONS)}")
        with self.db.session() as s:
            art = self._article(s, article_id)
            s.add(KbFlag(article_id=article_id, revision_id=art.published_revision_id, user_id=user_id, reason=reason,
                         note=(note or "").strip()[:2000], created_at=self._now(), resolution=""))
            self._log(s, article_id, art.published_revision_id, "flag", user_id, reason)

    def flags(self, *, open_only: bool = True, article_id: str | None = None) -> builtins.list[FlagView]:
        with self.db.session() as s:
            q = select(KbFlag)
            if open_only:
                q = q.where(KbFlag.resolved_at.is_(None))
            if article_id:
                q = q.where(KbFlag.article_id == article_id)
            return [FlagView.of(f) for f in s.execute(q.order_by(KbFlag.id)).scalars()]

    def resolve_flag(self, user: Actor | None, flag_id: int, resolution: str) -> FlagView:
        uid = _require(user, "editor", "resolve a flag")
        if not (resolution or "").strip():
            raise KnowledgeError("resolve: say what was done (resolution is required)")
        with self.db.session() as s:
            f = s.get(KbFlag, flag_id)
            if f is None:
                raise NotFound(f"no flag {flag_id}")
            if f.resolved_at is not None:
                raise InvalidState(f"flag {flag_id} is already resolved")
            f.resolved_by, f.resolved_at, f.resolution = uid, self._now(), resolution.strip()
            self._log(s, f.article_id, f.revision_id, "resolve_flag", uid, resolution.strip())
            return FlagView.of(f)

    # --- search and analytics -------------------------------------------------------------------
    def search(self, query: str, *, province: str | None = None, limit: int = 5, channel: str = "ivr",
               include_other_provinces: bool = False, log_query: bool = True,
               topic: str | None = None) -> SearchResult:
        """Ranked answers, or `no_answer` (contract: docs/contracts.md). `topic` is the IVR's recognised
        intent (pension, medical, …) or a category: a prior that favours articles of that topic."""
        limit = max(1, min(int(limit), 50))
        query = scrub(query)  # personal numbers never reach the index, the query log or the reply
        if province in ("", "00"):
            province = None
        result = self.index.search(query, province=province, limit=limit,
                                   include_other_provinces=include_other_provinces, topic=topic)
        if log_query and result.query:
            best = result.best
            self.queries.add(at=self._now(), query=result.query, province=province, channel=channel,
                             no_answer=result.no_answer, top_article_id=best.article_id if best else None,
                             score=best.score if best else 0.0)
        return result

    def answer(self, *, query: str = "", article_id: str | None = None, province: str | None = None,
               topic: str | None = None, channel: str = "ivr") -> Any:
        """What the IVR reads for a spoken question or a menu item: `knowledge.answering.Answer` or None."""
        from knowledge.answering import answer

        return answer(self, query=query, article_id=article_id, province=province, topic=topic, channel=channel)

    # --- learning from use (knowledge/feedback.py) ---------------------------------------------------
    def feedback(self, article_id: str, *, helpful: bool | None = None, used: bool = False, query: str = "",
                 source: str = "citizen", channel: str = "ivr", call_id: str | None = None,
                 user_id: int | None = None) -> int:
        """Record whether an answer helped (or that an agent used the article); returns the id."""
        from knowledge import feedback

        return feedback.record(self, article_id, helpful=helpful, used=used, query=query, source=source,
                               channel=channel, call_id=call_id, user_id=user_id)

    def suggestions(self, *, limit: int = 50, province: str | None = None) -> builtins.list[Any]:
        """The editors' review queue built from feedback (`knowledge.feedback.Suggestion`)."""
        from knowledge import feedback

        return feedback.queue(self, limit=limit, province=province)

    def accept_suggestion(self, user: Actor | None, feedback_id: int, question: str | None = None) -> RevisionView:
        """Editor: the suggested question goes into a draft of the article (reviewed before publishing)."""
        from knowledge import feedback

        return feedback.accept(self, user, feedback_id, question)

    def dismiss_suggestion(self, user: Actor | None, feedback_id: int) -> None:
        from knowledge import feedback

        feedback.dismiss(self, user, feedback_id)

    def _query_stats(self, days: int, limit: int, only_unanswered: bool) -> builtins.list[QueryStat]:
        self.queries.flush()
        since = self._now() - timedelta(days=days)
        with self.db.session() as s:
            q = (select(KbQuery.query, func.count(), func.sum(case((KbQuery.no_answer.is_(True), 1), else_=0)),
                        func.max(KbQuery.at)).where(KbQuery.at >= since))
            if only_unanswered:
                q = q.where(KbQuery.no_answer.is_(True))
            rows = s.execute(q.group_by(KbQuery.query).order_by(func.count().desc(), KbQuery.query)
                             .limit(limit)).all()
        return [QueryStat(query=r[0], count=int(r[1]), no_answer=int(r[2] or 0),
                          last_at=r[3] if r[3].tzinfo else r[3].replace(tzinfo=self._now().tzinfo))
                for r in rows]

    def top_queries(self, days: int = 30, limit: int = 20) -> builtins.list[QueryStat]:
        return self._query_stats(days, limit, False)

    def unanswered_queries(self, days: int = 30, limit: int = 20) -> builtins.list[QueryStat]:
        return self._query_stats(days, limit, True)

    def reindex(self) -> int:
        return self.index.rebuild()

    def close(self) -> None:
        try:
            self.queries.flush()
        finally:
            self.index.close()
            self.cache.close()


def _content_args(content: dict[str, Any]) -> dict[str, Any]:
    """Accept `body` as an alias of `body_html`; refuse unknown fields."""
    content = dict(content)
    if "body" in content:
        content["body_html"] = content.pop("body")
    unknown = set(content) - set(CONTENT_FIELDS)
    if unknown:
        raise KnowledgeError(f"unknown fields: {', '.join(sorted(unknown))}")
    return content
