"""The event the records home emits (`core.events.DomainEvent`): a person's record was looked up
(`record.lookup`, internal: the console never shows it; the look-up itself is audited). The subject's
ID number arrives masked (`mask_id`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from core.events import DomainEvent, id_field, scope_field


@dataclass(frozen=True, kw_only=True)
class RecordLookup(DomainEvent):
    """A record shown: to the verified citizen (`actor` the citizen, `revealed` False) or on the
    console (`actor` the user, `revealed` when their role unmasked it). `session_id` and `call_id` are
    the call (or SMS session) it happened in; `province` the person's insured province."""

    type: ClassVar[str] = "record.lookup"
    session_id: str | None
    call_id: str | None
    channel: str
    actor: str
    outcome: str
    subject: str | None = id_field()
    province: str | None = scope_field()
    fields: list[str]
    revealed: bool = False
