"""Recording tables: one row per recorded leg, holds that stop retention, pause gaps in `gaps`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime


class Recording(Base):
    """One recorded agent leg (or a whole call). `status` goes recording → stored (or failed) → purged."""

    __tablename__ = "rec_recordings"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[str] = mapped_column(String(64), index=True)
    leg: Mapped[int] = mapped_column(Integer, default=1)  # 1, 2, ... per call (a transfer starts a new leg)
    kind: Mapped[str] = mapped_column(String(16), default="agent_leg")  # agent_leg | whole_call
    channel: Mapped[str] = mapped_column(String(16))  # asterisk | twilio | import
    agent_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    agent_user_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    province: Mapped[str] = mapped_column(String(2), index=True)
    queue_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    caller_masked: Mapped[str] = mapped_column(String(32), default="")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    duration_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    size_bytes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    checksum: Mapped[str | None] = mapped_column(String(64), nullable=True)  # SHA-256 of the stored file
    codec: Mapped[str | None] = mapped_column(String(16), nullable=True)
    storage_key: Mapped[str | None] = mapped_column(String(255), nullable=True)
    status: Mapped[str] = mapped_column(String(16), index=True, default="recording")
    source: Mapped[str | None] = mapped_column(Text, nullable=True)  # spool path or provider URL
    source_ref: Mapped[str | None] = mapped_column(String(128), nullable=True, index=True)  # RecordingSid...
    gaps: Mapped[list] = mapped_column(JSON, default=list)  # [{"start": s, "end": s, "by": actor}]
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True, index=True)
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    transcript: Mapped[str | None] = mapped_column(Text, nullable=True)  # masked (core.masking.scrub)
    transcript_engine: Mapped[str | None] = mapped_column(String(40), nullable=True)


class RecordingHold(Base):
    """A complaint or ticket keeps a recording past its retention until the hold is released."""

    __tablename__ = "rec_holds"

    id: Mapped[int] = mapped_column(primary_key=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("rec_recordings.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(16))  # complaint | ticket | legal | other
    reference: Mapped[str] = mapped_column(String(64), default="")
    placed_by: Mapped[str] = mapped_column(String(64))
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    released_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


__all__ = ["Recording", "RecordingHold"]
