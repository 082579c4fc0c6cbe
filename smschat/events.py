"""The events the SMS conversation channel emits (`core.events.DomainEvent`). The type keeps its
`sms.` prefix, so the console shows it to national supervisors with the gateway's (web/sse.py); it
carries no province. Numbers arrive masked (`mask_phone`). That a message arrived, and what the channel
did with it, is the gateway's `sms.inbound` (`sms/events.py`), emitted when the channel logs it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from core.events import DomainEvent, phone_field


@dataclass(frozen=True, kw_only=True)
class SmsCallbackRequested(DomainEvent):
    """A citizen texted `RG`: a callback was booked (or kept in the SMS callback list)."""

    type: ClassVar[str] = "sms.callback.requested"
    sender: str | None = phone_field()
    inbound_id: int | None
