"""The events the SMS gateway emits (`core.events.DomainEvent`, `sms.*`; the conversation channel's own
are in `smschat/events.py`). None
carries a province: the console shows them to national supervisors only (web/sse.py). Numbers arrive
masked (`mask_phone`).

Where one type is emitted in several shapes (a single message or a batch queued; a failure at
queueing, at the provider or in a receipt) the class declares the union, the fields a shape does not
fill left None."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from core.events import DomainEvent, phone_field


@dataclass(frozen=True, kw_only=True)
class SmsQueued(DomainEvent):
    """One message queued (`id`, `category`, `to`, `parts`) or a batch (`batch`, `count`)."""

    type: ClassVar[str] = "sms.queued"
    template: str | None
    id: int | None = None
    category: str | None = None
    to: str | None = phone_field()
    parts: int | None = None
    batch: str | None = None
    count: int | None = None


@dataclass(frozen=True, kw_only=True)
class SmsSent(DomainEvent):
    type: ClassVar[str] = "sms.sent"
    id: int
    provider: str
    provider_message_id: str | None


@dataclass(frozen=True, kw_only=True)
class SmsDelivered(DomainEvent):
    """A delivery receipt said delivered (`receipt`: the receipt's state)."""

    type: ClassVar[str] = "sms.delivered"
    id: int
    receipt: str


@dataclass(frozen=True, kw_only=True)
class SmsFailed(DomainEvent):
    """A message failed: refused when queued (`template`, `error`), given up on at the provider
    (`provider`, `error`) or reported failed by a receipt (`receipt`)."""

    type: ClassVar[str] = "sms.failed"
    id: int
    template: str | None = None
    provider: str | None = None
    error: str | None = None
    receipt: str | None = None


@dataclass(frozen=True, kw_only=True)
class SmsPurged(DomainEvent):
    """The texts of finished messages older than `cutoff` were blanked (counts per table)."""

    type: ClassVar[str] = "sms.purged"
    outbox: int
    inbound: int
    cutoff: str


@dataclass(frozen=True, kw_only=True)
class SmsInbound(DomainEvent):
    """An inbound message logged (`id` its row) and the action the conversation channel took for it."""

    type: ClassVar[str] = "sms.inbound"
    id: int
    sender: str | None = phone_field()
    action: str
    provider: str | None

