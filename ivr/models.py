"""IVR tables: published flow versions (one live per entry number), the call log, survey results."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime


class FlowVersion(Base):
    """One published version of a call flow for one entry number; `live` marks the one in use."""

    __tablename__ = "ivr_flow_versions"
    __table_args__ = (UniqueConstraint("entry", "version", name="uq_ivr_flow_versions_entry_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry: Mapped[str] = mapped_column(String(20), index=True)
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(Text)  # the YAML exactly as published
    sha256: Mapped[str] = mapped_column(String(64))
    live: Mapped[bool] = mapped_column(Boolean, default=False)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime())
    published_by: Mapped[str] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(String(200), default="")


class CallRecord(Base):
    """One call through the IVR. Inputs are masked; passwords are never stored."""

    __tablename__ = "ivr_calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[str] = mapped_column(String(64), unique=True)
    caller: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    id_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)  # HMAC of the ID
    id_masked: Mapped[str | None] = mapped_column(String(20), nullable=True)
    entry: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(5))
    flow_version_id: Mapped[int | None] = mapped_column(ForeignKey("ivr_flow_versions.id"), nullable=True)
    flow_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    path: Mapped[list] = mapped_column(JSON, default=list)
    inputs: Mapped[list] = mapped_column(JSON, default=list)
    routing: Mapped[dict] = mapped_column(JSON, default=dict)
    events: Mapped[list] = mapped_column(JSON, default=list)
    province: Mapped[str | None] = mapped_column(String(2), nullable=True)
    topic: Mapped[str | None] = mapped_column(String(40), nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(40), nullable=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class SurveyResult(Base):
    """A caller's satisfaction score after the agent leg (1 = very satisfied ... 4 = dissatisfied)."""

    __tablename__ = "ivr_survey_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[str] = mapped_column(String(64), index=True)
    question: Mapped[str] = mapped_column(String(40))
    score: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(20))
    agent_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    queue_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    province: Mapped[str | None] = mapped_column(String(2), nullable=True)
    entry: Mapped[str] = mapped_column(String(20))
    flow_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


__all__ = ["CallRecord", "FlowVersion", "SurveyResult"]
