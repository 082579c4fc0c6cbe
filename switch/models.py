"""Tables of the switch: centers, calendar overrides and received handoffs (the queues are the ACD's)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, Integer, String, Text, UniqueConstraint
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


class OfficialDay(Base):
    """The official calendar, one row per day that is not an ordinary day: a public holiday
    (``holiday``) or a make-up working day (``workday``, 调休上班), imported per year from the State
    Council's notice (or seeded); the database, not a package, is the source of truth."""

    __tablename__ = "switch_official_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    kind: Mapped[str] = mapped_column(String(10))  # "holiday" | "workday"
    name: Mapped[str] = mapped_column(String(50), default="")


class CalendarYear(Base):
    """One year of the official calendar: where it came from and whether it is the published
    arrangement (``official``) or only what is known before the notice (``provisional``)."""

    __tablename__ = "switch_calendar_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(12))  # "official" | "provisional"
    source: Mapped[str] = mapped_column(String(200), default="")  # the notice, or "seed: ..."
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[str] = mapped_column(String(64), default="")


class BlockRow(Base):
    """A caller number blocked (harassment, abuse) nationally (``scope="*"``) or for one province,
    until ``expires_at``; lifted early by setting ``lifted_at``. Changes are audited."""

    __tablename__ = "switch_blocklist"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), index=True)  # normalised digits (national form)
    scope: Mapped[str] = mapped_column(String(2), default="*")
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    lifted_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
