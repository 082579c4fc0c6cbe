"""The contract of `platform.tickets`: what other homes and the front ends may call."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from core.kernel import Kernel

if TYPE_CHECKING:
    from datetime import date
    from typing import Any

    from agents.api import AcdApi
    from core.models import User
    from switch.api import SwitchApi
    from tickets.service import AssigneeView, TicketView


class TicketsApi(Protocol):
    """`platform.tickets`."""

    def alert_counts(self, scope: str = ..., *, own: bool = ...) -> dict[str, int]: ...

    def assign(self, user: Any, ticket_id: int, assignee_id: int) -> TicketView:
        """Give a ticket to someone of its province. An agent holds at most `max_tickets` work orders in progress at
        once (their profile's task-channel concurrency); one more is refused.
        """

    def assignees(self, user: Any, ticket_id: int) -> list[AssigneeView]:
        """The agents of the ticket's center, each with their work orders in progress and limit, least loaded first (the
        picker of the ticket screen).
        """

    def calendar(self) -> Any:
        """The official calendar in the database (switch), as a working-day predicate; None without one."""

    def close(self, user: Any, ticket_id: int, note: str) -> TicketView | None:
        """Close a ticket with a closure note."""

    def comment(self, user: Any, ticket_id: int, text: str) -> TicketView: ...

    def get(self, user: Any, ticket_id: int) -> TicketView: ...

    def list_center(self, center_code: str, *, status: str | None = ...) -> list[TicketView]: ...

    def list_mine(self, user: Any, *, include_closed: bool = ...) -> list[TicketView]:
        """Tickets the user opened or is assigned, soonest due first."""

    def list_overdue(self, center_code: str | None = ..., *, on: date | None = ...) -> list[TicketView]:
        """Open or in-progress tickets whose due date has passed (in Beijing time)."""

    def open_for_call(
        self,
        *,
        caller: str,
        topic: str | None,
        province: str,
        call_id: str,
        center_code: str | None = ...,
        description: str = ...,
    ) -> TicketView:
        """A ticket opened by the IVR (the switch's overflow is "ticket": no agent can take the call), on behalf of the
        system user `ivr` (created on first use, cannot log in).
        """

    def open_ticket(
        self,
        user: Any,
        *,
        caller: str,
        topic: str,
        description: str,
        province: str | None = ...,
        center_code: str | None = ...,
        caller_name: str = ...,
        id_number: str | None = ...,
        call_id: str | None = ...,
        due_date: date | None = ...,
    ) -> TicketView: ...

    def reopen(self, user: Any, ticket_id: int, reason: str) -> TicketView: ...

    def shutdown(self) -> None:
        """Nothing to release (the node's shutdown hook)."""

    def system_user(self) -> User:
        """The `ivr` system user that opens tickets for calls (no password, no roles, inactive)."""

    def ticket_limit(self, user_id: int) -> int | None:
        """How many work orders the user may hold in progress: their agent profile's `max_tickets`; None (no limit) for
        users who are not agents, e.g. the business office.
        """

    def today(self) -> date: ...

    def watch(self) -> list[dict[str, Any]]: ...


class TicketsHost(Kernel, Protocol):
    """What `tickets` takes from the node: the kernel and the homes it calls."""

    @property
    def tickets(self) -> TicketsApi: ...

    @property
    def agents(self) -> AcdApi: ...

    @property
    def switch(self) -> SwitchApi: ...
