"""The contract of `platform.switch`: what other homes and the front ends may call."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

from core.errors import Refusal
from core.kernel import Kernel

if TYPE_CHECKING:
    from datetime import date

    from agents.api import AcdApi
    from agents.domain import CallStatus
    from switch import handoff as hf
    from switch.arrivals import Arrival
    from switch.blocklist import Block, Blocklist
    from switch.calendar import Notice, OfficialCalendar
    from switch.directory import Center
    from switch.hours import HoursState, Override
    from switch.routing import RoutingDecision


@dataclass(frozen=True)
class CallToPlace:
    """A call (or a request standing for one, e.g. an SMS asking for a callback) the switch places.

    `context` is what the agent's screen pop and a receiving deployment get; `priority` overrides the
    decision's; `callback_number` set means the caller asked to be rung back on that number (the switch
    books a callback instead of queueing a live call); `waited`/`notes` credit a handed-over call.
    """

    call_id: str
    caller: str | None = None
    language: str = "zh"
    context: dict[str, Any] = field(default_factory=dict)
    priority: int | None = None
    skills: tuple[str, ...] = ()
    callback_number: str | None = None
    waited: float = 0.0
    notes: tuple[dict, ...] = ()


PlacementKind = Literal["queued", "transferred", "ticket", "callback", "closed"]


@dataclass(frozen=True)
class Placement:
    """Where the switch put a call, acting on a routing decision.

    - `queued`: waiting in `queue_id` (`status` the ACD's CallStatus);
    - `transferred`: handed to another deployment (`handoff` the reference the call carries, `trunk`);
    - `ticket`: a work order opened for the caller (`ticket_id`);
    - `callback`: a callback booked in `queue_id` (`status` in state "callback");
    - `closed`: not placed, `reason` says why: `closed` (out of hours), `callback_offered` (the overflow
      is a callback the caller may ask for), `no_queue`, `no_number` (a ticket needs the caller's
      number), `failed` (queueing, the handoff or the ticket failed; logged).
    `announcement` is what the caller should hear about where the call went (another center takes it),
    empty when nothing is to be said.
    """

    kind: PlacementKind
    center_code: str
    queue_id: str | None = None
    status: CallStatus | None = None
    handoff: hf.HandoffTicket | None = None
    trunk: str | None = None
    ticket_id: int | None = None
    reason: str = ""
    announcement: str = ""


@dataclass(frozen=True)
class TransferResult:
    """Where a transferred call goes: locally (`queue_id`) or to a remote deployment (`ticket`)."""

    kind: str  # "local" | "remote"
    center_code: str
    queue_id: str | None
    trunk: str | None = None
    ticket: hf.HandoffTicket | None = None

    def to_dict(self) -> dict:
        return {"kind": self.kind, "center_code": self.center_code, "queue_id": self.queue_id,
                "trunk": self.trunk, "ticket": self.ticket.to_dict() if self.ticket else None}


class TransferError(Refusal):
    """An agent's transfer refused: `unknown_center`, `no_queue` (the center has no queue for it), or
    `handoff_failed` (the other deployment did not take the call); the call stays connected."""

    kind = "conflict"

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code=code)


class HandoffSender(Protocol):
    """Sends a signed handoff to another deployment and returns its answer (the outbound HTTP client is an
    adapter: `switch/handoff_http.py`); raises `HandoffError` (code `remote`) when it fails."""

    def send(self, base_url: str, body: bytes, headers: dict[str, str]) -> dict: ...


class TicketDesk(Protocol):
    """What the switch needs to open a work order for a call nobody can take (met by `platform.tickets`)."""

    def open_for_call(self, *, caller: str, topic: str | None, province: str, call_id: str,
                      center_code: str | None = ..., description: str = ...) -> Any: ...


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
        """Create every missing center (and asks the ACD for its default queues); return how many were created."""

    def holiday_exempt(self) -> frozenset[str]:
        """Centers whose hours ignore the public-holiday calendar (default none, the national center included):
        `SWITCH_HOLIDAY_EXEMPT` or settings.extra["switch_holiday_exempt"], e.g. "00".
        """

    def hand_off(
        self, call_id: str, to_center: str, *, topic: str | None, context: dict, from_center: str | None = ...
    ) -> TransferResult:
        """Where a call transferred to `to_center` goes; for a remote center, performs the signed handoff and returns
        the ticket the telephony side carries (SIP header or dialled suffix).
        """

    def hours_state(self, center_code: str) -> HoursState: ...

    def import_notice(self, notice: Notice, *, actor: str, replace: bool = ...) -> None:
        """Store a year of the official calendar (the State Council's notice), replacing that year's days in one
        transaction; audited.
        """

    def official_calendar(self) -> OfficialCalendar: ...

    def open_center(self, code: str) -> Center: ...

    def overrides(self) -> list[Override]: ...

    def place(self, call: CallToPlace, decision: RoutingDecision) -> Placement:
        """Act on a routing decision (see switch/placing.py): queue the call, hand it to another deployment, open a
        ticket, book a callback (`call.callback_number`), or say why nothing was placed.
        """

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

    def service_state(self, center_code: str) -> HoursState: ...

    def set_official_day(self, day: date, kind: str | None, *, name: str = ..., actor: str) -> None:
        """Edit one day of a held year: `holiday`, `workday` (调休上班) or None (an ordinary day)."""

    def set_override(self, day: date, kind: str, *, center_code: str = ..., name: str = ...) -> None: ...

    def transfer(
        self, agent_id: int, call_id: str, *, center_code: str, topic: str | None = ..., notes: str = ...
    ) -> dict:
        """An agent's transfer of their connected call to a center (the console): a queue of this deployment, or
        another deployment by signed handoff; the ACD then re-queues the call or lets it go (`AcdApi.transfer`).
        Returns where it went (`TransferResult.to_dict()`); a refused or failed transfer (TransferError, AcdError)
        leaves the call connected.
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

    @property
    def tickets(self) -> TicketDesk: ...
