"""Tables of the switch: centers, their queues, calendar overrides and received handoffs."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime


class CenterRow(Base):
    __tablename__ = "switch_centers"

    code: Mapped[str] = mapped_column(String(2), primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    mode: Mapped[str] = mapped_column(String(10), default="local")  # "local" | "remote"
    base_url: Mapped[str | None] = mapped_column(String(200), nullable=True)  # remote deployment
    trunk: Mapped[str | None] = mapped_column(String(100), nullable=True)  # e.g. "PJSIP/trunk-gd"
    capacity: Mapped[int] = mapped_column(Integer, default=200)  # waiting calls before "overloaded"
    weekly_hours: Mapped[dict] = mapped_column(JSON, default=dict)  # {"mon": [["08:30","17:30"]], ...}
    overflow: Mapped[list] = mapped_column(JSON, default=list)  # ["national", "center:44", "callback"]
    emergency_closed: Mapped[bool] = mapped_column(Boolean, default=False)
    emergency_text: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class QueueRow(Base):
    __tablename__ = "switch_queues"

    id: Mapped[str] = mapped_column(String(30), primary_key=True)  # "44-pension"
    center_code: Mapped[str] = mapped_column(ForeignKey("switch_centers.code", ondelete="CASCADE"), index=True)
    topic: Mapped[str] = mapped_column(String(30))
    skills: Mapped[list] = mapped_column(JSON, default=list)
    max_wait: Mapped[int] = mapped_column(Integer, default=600)  # seconds, then the overflow action
    overflow_action: Mapped[str] = mapped_column(String(30), default="callback")  # or "queue:00-pension"


class CalendarOverride(Base):
    """A day that differs from the official calendar: ``kind`` is holiday, workday, closed or open."""

    __tablename__ = "switch_calendar"
    __table_args__ = (UniqueConstraint("day", "center_code", name="uq_switch_calendar_day_center"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    center_code: Mapped[str] = mapped_column(String(2), default="*")  # "*" = every center
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(100), default="")


class HandoffRow(Base):
    """A call handed to this deployment by another one; the token travels with the call."""

    __tablename__ = "switch_handoffs"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)  # digits for a dialled suffix
    from_center: Mapped[str] = mapped_column(String(2))
    to_center: Mapped[str] = mapped_column(String(2))
    remote_call_id: Mapped[str] = mapped_column(String(64))
    context: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    claimed_call_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
