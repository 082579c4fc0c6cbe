"""Notices (临时公告): time-boxed announcements for a province or the whole country, optionally tied to
an article, read first by the IVR and shown on agents' screens. Editors post pending notices that a
reviewer other than the author approves; a reviewer may post an urgent one directly. The live notices
are read from the read cache; a change clears this node's cache and tells the others."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.articles import Actor, ArticleStore, require
from knowledge.content import clean_html, validate
from knowledge.errors import InvalidState, KnowledgeError, NotFound, PermissionDenied
from knowledge.events import KbNoticesChanged
from knowledge.models import KbNotice
from knowledge.views import NoticeView


class Notices:
    def __init__(self, store: ArticleStore) -> None:
        self.store = store

    def active(self, s: Session, province: str | None, *, article_id: str | None = None,
               all_provinces: bool = False) -> list[NoticeView]:
        """Notices in force now, read from the database in session `s` (editors' pages)."""
        now = self.store.now()
        q = select(KbNotice).where(KbNotice.withdrawn.is_(False), KbNotice.status == "published",
                                   KbNotice.starts_at <= now, KbNotice.ends_at > now)
        if not all_provinces:
            q = q.where(KbNotice.province.in_(["00", province] if province and province != "00" else ["00"]))
        if article_id is not None:
            q = q.where((KbNotice.article_id == article_id) | KbNotice.article_id.is_(None)) if not all_provinces \
                else q.where(KbNotice.article_id == article_id)
        rows = s.execute(q.order_by(KbNotice.starts_at.desc(), KbNotice.id.desc())).scalars().all()
        return [NoticeView.of(n) for n in rows]

    def notices(self, province: str | None = None) -> list[NoticeView]:
        """Active notices for a province (national ones included), newest first (contract)."""
        return self.store.cache.notices(province, self.store.now())

    def _changed(self) -> None:
        """After a notice's change is committed: clear this node's cache and tell the others."""
        self.store.cache.forget_notices()
        self.store.platform.bus.emit(KbNoticesChanged(origin=self.store.index.origin))

    def list_notices(self, *, include_inactive: bool = True) -> list[NoticeView]:
        with self.store.db.session() as s:
            if not include_inactive:
                return self.active(s, None, all_provinces=True)
            rows = s.execute(select(KbNotice).order_by(KbNotice.id.desc())).scalars().all()
            return [NoticeView.of(n) for n in rows]

    def create_notice(self, user: Actor | None, *, title: str, body: str, ends_at: datetime,
                      starts_at: datetime | None = None, province: str = "00",
                      article_id: str | None = None, status: str = "published") -> NoticeView:
        """Post a notice. `status="pending"` waits for a reviewer (`approve_notice`); the console
        always posts pending notices, or published urgent ones by a reviewer."""
        if status == "urgent":
            uid = require(user, "reviewer", "publish an urgent notice")
            status = "published"
        else:
            uid = require(user, "editor", "post a notice")
        if status not in ("published", "pending"):
            raise KnowledgeError("notice status: published or pending")
        st = self.store
        fields = self._fields(title=title, body=body, starts_at=starts_at or st.now(), ends_at=ends_at,
                              province=province, article_id=article_id)
        with st.db.session() as s:
            if fields["article_id"]:
                st.article(s, fields["article_id"])
            notice = KbNotice(created_by=uid, created_at=st.now(), withdrawn=False, status=status,
                              reviewed_by=uid if status == "published" and user is not None
                              and user.has_role("reviewer") else None, **fields)
            s.add(notice)
            s.flush()
            st.log(s, fields["article_id"] or "-", None, "notice", uid, title)
            view = NoticeView.of(notice)
        self._changed()
        return view

    def update_notice(self, user: Actor | None, notice_id: int, **changes: Any) -> NoticeView:
        uid = require(user, "editor", "edit a notice")
        with self.store.db.session() as s:
            notice = s.get(KbNotice, notice_id)
            if notice is None:
                raise NotFound(f"no notice {notice_id}")
            current = {"title": notice.title, "body": notice.body_html, "starts_at": notice.starts_at,
                       "ends_at": notice.ends_at, "province": notice.province, "article_id": notice.article_id}
            fields = self._fields(**{**current, **changes})
            for k, v in fields.items():
                setattr(notice, k, v)
            self.store.log(s, notice.article_id or "-", None, "notice_edit", uid, notice.title)
            view = NoticeView.of(notice)
        self._changed()
        return view

    def approve_notice(self, user: Actor | None, notice_id: int) -> NoticeView:
        """A reviewer other than the author publishes a pending notice."""
        uid = require(user, "reviewer", "approve a notice")
        with self.store.db.session() as s:
            notice = s.get(KbNotice, notice_id)
            if notice is None:
                raise NotFound(f"no notice {notice_id}")
            if notice.status != "pending":
                raise InvalidState(f"notice {notice_id} is not waiting for review")
            if notice.created_by == uid:
                raise PermissionDenied("approve: a reviewer cannot approve a notice they wrote")
            notice.status, notice.reviewed_by = "published", uid
            self.store.log(s, notice.article_id or "-", None, "notice_approve", uid, notice.title)
            view = NoticeView.of(notice)
        self._changed()
        return view

    def withdraw_notice(self, user: Actor | None, notice_id: int) -> None:
        uid = require(user, "editor", "withdraw a notice")
        with self.store.db.session() as s:
            notice = s.get(KbNotice, notice_id)
            if notice is None:
                raise NotFound(f"no notice {notice_id}")
            notice.withdrawn = True
            self.store.log(s, notice.article_id or "-", None, "notice_withdraw", uid, notice.title)
        self._changed()

    def _fields(self, *, title: str, body: str, starts_at: datetime, ends_at: datetime, province: str,
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
