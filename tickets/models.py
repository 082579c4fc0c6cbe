"""Work-order tables: one row per ticket plus its append-only history (comments, assignment, status)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime

STATUSES = ("open", "in_progress", "closed")


class Ticket(Base):
    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    caller: Mapped[str] = mapped_column(String(32))  # the caller's number (masked on every screen)
    caller_name: Mapped[str] = mapped_column(String(40), default="")
    id_number: Mapped[str | None] = mapped_column(String(18), nullable=True)
    call_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    topic: Mapped[str] = mapped_column(String(60))
    description: Mapped[str] = mapped_column(Text)
    province: Mapped[str] = mapped_column(String(2), index=True)
    center_code: Mapped[str] = mapped_column(String(2), index=True)
    status: Mapped[str] = mapped_column(String(12), index=True, default="open")
    opened_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True, index=True)
    due_date: Mapped[date] = mapped_column(Date, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    closure_note: Mapped[str] = mapped_column(Text, default="")


class TicketEvent(Base):
    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    kind: Mapped[str] = mapped_column(String(20))  # opened | comment | assigned | closed | reopened
    text: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


__all__ = ["STATUSES", "Ticket", "TicketEvent"]
