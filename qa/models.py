"""QA tables: scoring forms, reviews (one per recording), comments at recording time."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime


class QaForm(Base):
    __tablename__ = "qa_forms"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    province: Mapped[str] = mapped_column(String(2), index=True, default="00")  # "00": every province
    criteria: Mapped[list] = mapped_column(JSON)  # [{"key", "label", "weight", "critical"}]
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class QaReview(Base):
    __tablename__ = "qa_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    recording_id: Mapped[int] = mapped_column(Integer, unique=True)
    call_id: Mapped[str] = mapped_column(String(64), index=True)
    agent_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    province: Mapped[str] = mapped_column(String(2), index=True)
    queue_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("qa_forms.id"))
    source: Mapped[str] = mapped_column(String(24))  # sample | flag:survey | flag:complaint | flag:long_handle | manual
    week: Mapped[str] = mapped_column(String(8), index=True)  # ISO week of the call, Beijing time: 2026-W49
    status: Mapped[str] = mapped_column(String(12), index=True, default="queued")  # queued | done
    reviewer: Mapped[str | None] = mapped_column(String(64), nullable=True)
    scores: Mapped[dict] = mapped_column(JSON, default=dict)  # criterion key -> pass | partial | fail
    total: Mapped[float | None] = mapped_column(Float, nullable=True)  # 0..100; 0 when a critical item failed
    critical_failed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True, index=True)
    # pending | acknowledged | disputed | resolved (one response from the agent)
    ack_status: Mapped[str | None] = mapped_column(String(12), nullable=True)
    ack_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    dispute_reason: Mapped[str] = mapped_column(Text, default="")
    resolution: Mapped[str] = mapped_column(Text, default="")
    resolved_by: Mapped[str | None] = mapped_column(String(64), nullable=True)


class QaComment(Base):
    __tablename__ = "qa_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("qa_reviews.id", ondelete="CASCADE"), index=True)
    offset_s: Mapped[float] = mapped_column(Float)  # seconds into the recording
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


__all__ = ["QaComment", "QaForm", "QaReview"]
