"""The events the ticket desk emits (`core.events.DomainEvent`, `ticket.*`): shown to the agents and
supervisors of the ticket's province (web/sse.py); recordings/ticket_holds.py holds a call's recordings
while its ticket is open."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from core.events import DomainEvent, scope_field


@dataclass(frozen=True, kw_only=True)
class TicketChanged(DomainEvent):
    """What every change of a ticket carries (`actor_id`: the user who made it, None for the system)."""

    ticket_id: int
    status: str
    center_code: str
    province: str | None = scope_field()
    actor_id: int | None
    due_date: str


@dataclass(frozen=True, kw_only=True)
class TicketOpened(TicketChanged):
    type: ClassVar[str] = "ticket.opened"


@dataclass(frozen=True, kw_only=True)
class TicketCommented(TicketChanged):
    type: ClassVar[str] = "ticket.commented"


@dataclass(frozen=True, kw_only=True)
class TicketAssigned(TicketChanged):
    type: ClassVar[str] = "ticket.assigned"


@dataclass(frozen=True, kw_only=True)
class TicketClosed(TicketChanged):
    type: ClassVar[str] = "ticket.closed"


@dataclass(frozen=True, kw_only=True)
class TicketReopened(TicketChanged):
    type: ClassVar[str] = "ticket.reopened"


@dataclass(frozen=True, kw_only=True)
class TicketAlert(DomainEvent):
    """An open ticket is due soon or overdue (`level`; raised once per ticket and level). `text` is
    what the console's toast shows."""

    type: ClassVar[str] = "ticket.alert"
    ticket_id: int
    level: str
    province: str | None = scope_field()
    center_code: str
    topic: str
    due_date: str
    assignee_id: int | None
    text: str
