"""Reading articles: the published article with its notices (the contract the IVR, the console and
SMS read, through the read cache), and what editors read — an article's page, its revisions, their
history and differences, and the list of articles with filters."""

from __future__ import annotations

import builtins
import difflib
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from knowledge.articles import ArticleStore
from knowledge.content import CONTENT_FIELDS
from knowledge.models import KbArticle, KbChange, KbFlag, KbRevision
from knowledge.notices import Notices
from knowledge.views import ArticleSummary, ArticleView, ChangeView, FieldDiff, FlagView, RevisionView

EXPIRING_DAYS = 30


class Reading:
    def __init__(self, store: ArticleStore, notices: Notices) -> None:
        self.store = store
        self.notices = notices

    def article(self, article_id: str) -> ArticleView | None:
        """The current published revision, with its active notices (contract for IVR, console, SMS);
        read from the read cache."""
        return self.store.cache.article(article_id, self.store.now())

    def get(self, article_id: str) -> dict[str, Any]:
        """Everything an editor's page shows: published and newest revision, history, flags, notices."""
        st = self.store
        with st.db.session() as s:
            art = st.article(s, article_id)
            latest = st.latest(s, article_id)
            published = s.get(KbRevision, art.published_revision_id) if art.published_revision_id else None
            flags = s.execute(select(KbFlag).where(KbFlag.article_id == article_id, KbFlag.resolved_at.is_(None))
                              .order_by(KbFlag.id)).scalars().all()
            return {
                "article_id": art.id, "archived": art.archived, "created_at": art.created_at,
                "published": RevisionView.of(published) if published else None,
                "latest": RevisionView.of(latest) if latest else None,
                "open_flags": [FlagView.of(f) for f in flags],
                "notices": self.notices.active(s, None, article_id=article_id, all_provinces=True),
                "history": self.history(article_id),
            }

    def revision(self, revision_id: int) -> RevisionView:
        with self.store.db.session() as s:
            return RevisionView.of(self.store.rev(s, revision_id))

    def revisions(self, article_id: str) -> builtins.list[RevisionView]:
        with self.store.db.session() as s:
            self.store.article(s, article_id)
            rows = s.execute(select(KbRevision).where(KbRevision.article_id == article_id)
                             .order_by(KbRevision.number)).scalars().all()
            return [RevisionView.of(r) for r in rows]

    def history(self, article_id: str) -> builtins.list[ChangeView]:
        with self.store.db.session() as s:
            rows = s.execute(select(KbChange).where(KbChange.article_id == article_id)
                             .order_by(KbChange.id)).scalars().all()
            return [ChangeView.of(c) for c in rows]

    def diff(self, rev_a: int, rev_b: int) -> builtins.list[FieldDiff]:
        """The fields that differ between two revisions (ids), with a unified diff for text."""
        with self.store.db.session() as s:
            a, b = RevisionView.of(self.store.rev(s, rev_a)), RevisionView.of(self.store.rev(s, rev_b))
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
             limit: int = 200, offset: int = 0) -> builtins.list[ArticleSummary]:
        """Articles for the editors' list, newest change first. `status` filters the newest revision's
        status ("archived" lists archived articles); `expiring_soon` = published and ending within 30 days."""
        today = self.store.today()
        with self.store.db.session() as s:
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
