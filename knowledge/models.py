"""Tables of the knowledge home.

An article is a stable id (e.g. ``kb-1001``); its content lives in revisions, which are never
edited once submitted. The article row points at the revision currently published.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime

STATUSES = ("draft", "in_review", "scheduled", "published", "superseded", "archived")


class KbArticle(Base):
    __tablename__ = "kb_articles"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    published_revision_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)


class KbRevision(Base):
    """One version of an article's content; `number` counts from 1 within the article."""

    __tablename__ = "kb_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[str] = mapped_column(ForeignKey("kb_articles.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12), index=True)
    title: Mapped[str] = mapped_column(String(200))
    questions: Mapped[list[str]] = mapped_column(JSON, default=list)
    body_html: Mapped[str] = mapped_column(Text)
    short_answer: Mapped[str] = mapped_column(String(60))
    category: Mapped[str] = mapped_column(String(40), index=True)
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    synonyms: Mapped[list[str]] = mapped_column(JSON, default=list)
    province: Mapped[str] = mapped_column(String(2), default="00", index=True)
    city: Mapped[str | None] = mapped_column(String(40), nullable=True)
    effective_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    effective_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    links: Mapped[list[dict]] = mapped_column(JSON, default=list)
    author_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    change_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reviewer_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    review_comment: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class KbChange(Base):
    """The history: who did what to which revision, when and why."""

    __tablename__ = "kb_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[str] = mapped_column(String(40), index=True)
    revision_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    action: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(Text, default="")


class KbNotice(Base):
    """通知公告: shown above an answer (or to everyone in a province) until it expires."""

    __tablename__ = "kb_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body_html: Mapped[str] = mapped_column(Text)
    province: Mapped[str] = mapped_column(String(2), default="00")
    article_id: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    withdrawn: Mapped[bool] = mapped_column(Boolean, default=False)
    # four-eyes review: an editor's notice waits ("pending") until a reviewer other than its author
    # approves it; a reviewer may publish an urgent one directly (audited)
    status: Mapped[str] = mapped_column(String(16), default="published", server_default="published")
    reviewed_by: Mapped[int | None] = mapped_column(Integer, nullable=True)


class KbFlag(Base):
    """An agent marks an answer wrong or outdated; an editor resolves it."""

    __tablename__ = "kb_flags"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[str] = mapped_column(String(40), index=True)
    revision_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    user_id: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    resolved_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    resolution: Mapped[str] = mapped_column(Text, default="")


class KbQuery(Base):
    """One search, for analytics. The text is scrubbed of ID and phone numbers before storing."""

    __tablename__ = "kb_queries"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    query: Mapped[str] = mapped_column(String(200), index=True)
    province: Mapped[str | None] = mapped_column(String(2), nullable=True)
    channel: Mapped[str] = mapped_column(String(10))
    no_answer: Mapped[bool] = mapped_column(Boolean, index=True)
    top_article_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    score: Mapped[float] = mapped_column(default=0.0)


class KbFeedback(Base):
    """Whether an answer helped: a citizen (IVR key, SMS reply), an agent (helpful / not, or the article
    finally used for a call). Reviewed by an editor, a helpful question becomes a suggested alternative
    question on the article (a draft; never published without review). The question is scrubbed of ID
    and phone numbers; no caller data is stored."""

    __tablename__ = "kb_feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    article_id: Mapped[str] = mapped_column(String(40), index=True)
    revision_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    query: Mapped[str] = mapped_column(String(200), default="")
    helpful: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    used: Mapped[bool] = mapped_column(Boolean, default=False)  # the article an agent finally used
    source: Mapped[str] = mapped_column(String(10))  # citizen, agent
    channel: Mapped[str] = mapped_column(String(10))  # ivr, sms, console, web, api
    call_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    user_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    status: Mapped[str] = mapped_column(String(10), default="new", index=True)  # new, accepted, dismissed
    reviewed_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


__all__ = ["STATUSES", "KbArticle", "KbChange", "KbFeedback", "KbFlag", "KbNotice", "KbQuery", "KbRevision"]
