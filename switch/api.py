"""The contract of `platform.switch`: what other homes and the front ends may call."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from core.kernel import Kernel

if TYPE_CHECKING:
    from datetime import date
    from typing import Any

    from agents.api import AcdApi
    from switch import handoff as hf
    from switch.blocklist import Block, Blocklist
    from switch.calendar import Notice, OfficialCalendar
    from switch.directory import Center, QueueDef
    from switch.hours import HoursState, Override
    from switch.routing import RoutingDecision
    from switch.service import Arrival, TransferResult


class SwitchApi(Protocol):
    """`platform.switch`."""

    @property
    def blocklist(self) -> Blocklist:
        """Numbers barred from the hotline (abuse), managed by supervisors."""

    def arrive(self, call_id: str, token_or_code: str, *, caller: str | None, channel: str) -> Any:
        """A handed-over call reaches this deployment: enqueue it with its context (→ CallStatus)."""

    def blocked(self, caller: str | None, entry_center: str | None = ...) -> Block | None:
        """The block in force for this caller (national, or for the entry center or the number's province), or None. See
        switch/blocklist.py.
        """

    def calendar_warnings(self, today: date | None = ...) -> list[str]:
        """Loud warnings for the admin console, the CLI and the node log (see calendar.check)."""

    def calendar_years(self) -> list[dict]: ...

    def center(self, code: str) -> Center | None: ...

    def centers(self) -> list[Center]: ...

    def claim_arrival(
        self, call_id: str, token_or_code: str, *, caller: str | None, channel: str, enqueue: bool = ...
    ) -> Arrival | None: ...

    def claim_handoff(self, token_or_code: str, call_id: str) -> dict | None:
        """The context handed over with a call, once: by token (SIP header) or code (dialled suffix). None for an
        unknown, expired or already claimed reference (logged with which).
        """

    def close_center(self, code: str, text: str = ...) -> Center:
        """Emergency closure: overrides holidays and weekly hours until `open_center()`."""

    def demo_open_24h(self) -> bool:
        """Demo mode with HOTLINE_DEMO_OPEN_24H=1 (`make run` sets it): every center takes calls around the clock, so a
        first test call at night reaches an agent. Emergency closures still apply.
        """

    def detected_province(self, caller: str | None) -> str | None: ...

    def enqueue_arrival(
        self,
        call_id: str,
        arrival: Arrival | dict,
        *,
        caller: str | None,
        context: dict | None = ...,
        waited_here: float = ...,
    ) -> Arrival: ...

    def ensure_directory(self) -> int:
        """Create every missing center with its default queues; return how many were created."""

    def holiday_exempt(self) -> frozenset[str]:
        """Centers whose hours ignore the public-holiday calendar (default none, the national center included):
        `SWITCH_HOLIDAY_EXEMPT` or settings.extra["switch_holiday_exempt"], e.g. "00".
        """

    def hours_state(self, center_code: str) -> HoursState: ...

    def import_notice(self, notice: Notice, *, actor: str, replace: bool = ...) -> None:
        """Store a year of the official calendar (the State Council's notice), replacing that year's days in one
        transaction; audited.
        """

    def official_calendar(self) -> OfficialCalendar: ...

    def open_center(self, code: str) -> Center: ...

    def overrides(self) -> list[Override]: ...

    def queue(self, queue_id: str) -> QueueDef | None: ...

    def queue_for(self, center_code: str, topic: str | None) -> QueueDef | None:
        """The center's queue for a topic (its general queue when it has none for the topic); None for an unknown
        center. Used to book after-hours callbacks where the switch queued nothing.
        """

    def queues(self) -> list[QueueDef]: ...

    def receive_handoff(self, payload: dict) -> hf.HandoffTicket:
        """Store a verified handoff and answer the token (called by web/handoff.py)."""

    def remove_override(self, day: date, center_code: str = ...) -> int: ...

    def route(
        self,
        *,
        caller: str | None,
        entry_center: str = ...,
        choice: str | None = ...,
        verified_id: str | None = ...,
        topic: str | None = ...,
        language: str = ...,
        call_id: str | None = ...,
        insured_province: str | None = ...,
        insured_city: str | None = ...,
        id_number: str | None = ...,
    ) -> RoutingDecision: ...

    def seed_calendar(self) -> int: ...

    def send_handoff(
        self, center: Center, *, call_id: str, topic: str | None, context: dict, from_center: str
    ) -> hf.HandoffTicket: ...

    def service_state(self, center_code: str) -> HoursState: ...

    def set_official_day(self, day: date, kind: str | None, *, name: str = ..., actor: str) -> None:
        """Edit one day of a held year: `holiday`, `workday` (调休上班) or None (an ordinary day)."""

    def set_override(self, day: date, kind: str, *, center_code: str = ..., name: str = ...) -> None: ...

    def transfer(
        self, call_id: str, to_center: str, *, topic: str | None, context: dict, from_center: str | None = ...
    ) -> TransferResult:
        """Where a call transferred to `to_center` goes; for a remote center, performs the signed handoff and returns
        the ticket the telephony side carries (SIP header or dialled suffix).
        """

    def update_center(self, code: str, **fields: Any) -> Center:
        """Change a center's configuration (mode, base_url, trunk, capacity, weekly_hours, overflow)."""

    def verify_handoff_request(self, headers: Any, method: str, path: str, body: bytes) -> None: ...

    def year_notice(self, year: int) -> Notice | None: ...


class SwitchHost(Kernel, Protocol):
    """What `switch` takes from the node: the kernel and the homes it calls."""

    @property
    def switch(self) -> SwitchApi: ...

    @property
    def agents(self) -> AcdApi: ...
