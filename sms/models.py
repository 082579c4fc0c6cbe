"""SMS tables: the durable outbox, templates, the suppression list and the inbound log (the keyword
commands are the conversation channel's: `smschat/models.py`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime

STATUSES = ("queued", "sending", "sent", "delivered", "failed", "expired")
CATEGORIES = ("otp", "reply", "essential", "notice")
PRIORITY = {"otp": 0, "reply": 1, "essential": 2, "notice": 3}


class OutboxMessage(Base):
    """One outbound SMS. `claim_token`/`lease_until` mark the dispatcher that holds a `sending` row;
    a row whose lease ran out is resumed by another dispatcher with the same provider and id."""

    __tablename__ = "sms_outbox"
    __table_args__ = (Index("ix_sms_outbox_claim", "status", "priority", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(160), unique=True)
    template: Mapped[str | None] = mapped_column(String(64), nullable=True)
    variables: Mapped[dict] = mapped_column(JSON, default=dict)
    recipient: Mapped[str] = mapped_column(String(32), index=True)
    text: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(16))
    priority: Mapped[int] = mapped_column(Integer)
    encoding: Mapped[str] = mapped_column(String(8))
    parts: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    claim_token: Mapped[str | None] = mapped_column(String(32), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    provider: Mapped[str | None] = mapped_column(String(32), nullable=True)
    preferred_provider: Mapped[str | None] = mapped_column(String(32), nullable=True)  # e.g. reply on the same
    provider_message_id: Mapped[str | None] = mapped_column(String(128), nullable=True, index=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    deferred_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    dlr_status: Mapped[str | None] = mapped_column(String(32), nullable=True)
    session_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sending_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    dlr_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Template(Base):
    __tablename__ = "sms_templates"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    body: Mapped[str] = mapped_column(Text)
    variables: Mapped[list[str]] = mapped_column(JSON, default=list)
    category: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Suppression(Base):
    """Numbers that opted out (退订/TD/STOP): non-essential messages are not sent to them."""

    __tablename__ = "sms_suppressions"

    number: Mapped[str] = mapped_column(String(32), primary_key=True)
    keyword: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class InboundMessage(Base):
    """A received SMS and when it was answered (GB/T 33358 asks for a reply within 3 minutes)."""

    __tablename__ = "sms_inbound"

    id: Mapped[int] = mapped_column(primary_key=True)
    sender: Mapped[str] = mapped_column(String(32), index=True)
    text: Mapped[str] = mapped_column(Text)
    provider: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(32))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    handled_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reply_outbox_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
