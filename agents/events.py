"""The ACD's events, declared (`core.events.DomainEvent`): one frozen dataclass per event type the home
emits, naming its fields as the wire carries them. Every one declares `center_code` as its scope (the
province of the call or agent it is about): the console shows it to that province's supervisors and
agents only. An event emitted without it gets it from the state store (`agents.eventscope.ScopedBus`).

Personal numbers are declared (`phone_field`) so that the console masks them; the ACD masks them
itself before emitting (the caller of an offer, the number of a callback) and carries no ID number.

Consumers read the data by these names: the IVR channels (`ivr/asterisk/control.py`,
`ivr/twilio/runtime.py`, `ivr/testcall.py`) and the tests. The console's pages only react to the
type (`web/static/console.js` turns `acd.call.queued` into the DOM event `hl-acd-call-queued`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from core.events import DomainEvent, phone_field, scope_field

# -- calls -----------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class AcdCallEvent(DomainEvent):
    """Base of the events about one ACD call (not a type of its own)."""

    call_id: str
    center_code: str | None = scope_field()


@dataclass(frozen=True, kw_only=True)
class CallQueued(AcdCallEvent):
    """A call entered a queue (`position`: its rank there, 0 = next)."""

    type: ClassVar[str] = "acd.call.queued"
    queue_id: str | None = None
    priority: int = 0
    position: int | None = None


@dataclass(frozen=True, kw_only=True)
class CallOffered(AcdCallEvent):
    """A waiting call is offered to a ready agent, on the endpoint of the call's channel, until `until`."""

    type: ClassVar[str] = "acd.call.offered"
    agent_id: int
    queue_id: str | None = None
    endpoint: str | None = None
    topic: str | None = None
    callback: bool = False
    caller: str | None = phone_field()
    transferred_from: str | None = None
    until: float | None = None


@dataclass(frozen=True, kw_only=True)
class CallConnected(AcdCallEvent):
    """The offered agent answered (`waited`: seconds in the queue)."""

    type: ClassVar[str] = "acd.call.connected"
    agent_id: int
    queue_id: str | None = None
    waited: float | None = None
    endpoint: str | None = None


@dataclass(frozen=True, kw_only=True)
class CallEnded(AcdCallEvent):
    """A connected call ended (`reason`: completed, agent_hangup, ...); its agent goes to wrap-up."""

    type: ClassVar[str] = "acd.call.ended"
    agent_id: int
    reason: str = ""
    talk_seconds: float | None = None


@dataclass(frozen=True, kw_only=True)
class CallAbandoned(AcdCallEvent):
    """The caller left before an agent answered."""

    type: ClassVar[str] = "acd.call.abandoned"
    queue_id: str | None = None
    waited: float | None = None
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class CallWithdrawn(AcdCallEvent):
    """A waiting call left its queue uncounted (the caller went back to the IVR)."""

    type: ClassVar[str] = "acd.call.withdrawn"
    queue_id: str | None = None
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class CallRequeued(AcdCallEvent):
    """An offered (or just accepted) call went back to the head of its queue (`reason`: no_answer, ...)."""

    type: ClassVar[str] = "acd.call.requeued"
    agent_id: int
    queue_id: str | None = None
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class CallHeld(AcdCallEvent):
    type: ClassVar[str] = "acd.call.held"
    agent_id: int


@dataclass(frozen=True, kw_only=True)
class CallResumed(AcdCallEvent):
    type: ClassVar[str] = "acd.call.resumed"
    agent_id: int


@dataclass(frozen=True, kw_only=True)
class CallTransferred(AcdCallEvent):
    """An agent transferred a connected call: where it went, as the switch decided
    (`switch.api.TransferResult.to_dict()`): `kind` "local" (`queue_id` of this deployment) or "remote"
    (`trunk`, `ticket` of the handoff). `center_code`, the scope, is the center it went to."""

    type: ClassVar[str] = "acd.call.transferred"
    agent_id: int
    kind: str
    queue_id: str | None = None
    trunk: str | None = None
    ticket: Mapping[str, Any] | None = None

    @classmethod
    def to(cls, call_id: str, agent_id: int, target: Mapping[str, Any]) -> CallTransferred:
        """The event of a transfer to `target` (a `TransferResult.to_dict()`)."""
        return cls(call_id=call_id, agent_id=agent_id, kind=str(target["kind"]),
                   center_code=target.get("center_code") or None, queue_id=target.get("queue_id"),
                   trunk=target.get("trunk"), ticket=target.get("ticket"))


@dataclass(frozen=True, kw_only=True)
class CallWrapped(AcdCallEvent):
    """The agent closed the wrap-up of a call with a disposition code."""

    type: ClassVar[str] = "acd.call.wrapped"
    agent_id: int
    disposition: str


@dataclass(frozen=True, kw_only=True)
class CallPrioritised(AcdCallEvent):
    """A supervisor changed a waiting call's priority class."""

    type: ClassVar[str] = "acd.call.prioritised"
    queue_id: str | None = None
    priority: int


@dataclass(frozen=True, kw_only=True)
class CallMoved(AcdCallEvent):
    """A supervisor moved a waiting call to another queue (`queue_id`) from `from_queue`."""

    type: ClassVar[str] = "acd.call.moved"
    queue_id: str
    from_queue: str | None = None


@dataclass(frozen=True, kw_only=True)
class CallOverflow(AcdCallEvent):
    """A call waited past its queue's maximum: `action` is the queue's overflow action
    ("queue:<id>" or "callback")."""

    type: ClassVar[str] = "acd.call.overflow"
    queue_id: str | None = None
    action: str


# -- agents ----------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class AgentState(DomainEvent):
    """An agent's state changed (not_ready, ready, offered, on_call, wrap_up, logged_out); `call_id`
    the call offered or answered, `until` the end of the wrap-up."""

    type: ClassVar[str] = "acd.agent.state"
    agent_id: int
    state: str
    reason: str = ""
    call_id: str | None = None
    until: float | None = None
    center_code: str | None = scope_field()


@dataclass(frozen=True, kw_only=True)
class AgentDevice(DomainEvent):
    """An agent's softphone state as the PBX reports it (registered, available, in_use, ringing, offline)."""

    type: ClassVar[str] = "acd.agent.device"
    agent_id: int
    endpoint: str
    device: str
    center_code: str | None = scope_field()


# -- callbacks -------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class AcdCallbackEvent(DomainEvent):
    """Base of the events about one callback-list entry (not a type of its own)."""

    callback_id: int
    call_id: str | None = None
    queue_id: str | None = None
    center_code: str | None = scope_field()


@dataclass(frozen=True, kw_only=True)
class CallbackMissed(AcdCallbackEvent):
    """A call abandoned after a long wait went to the missed-call list (`number` masked)."""

    type: ClassVar[str] = "acd.callback.missed"
    number: str | None = phone_field()


@dataclass(frozen=True, kw_only=True)
class CallbackRequested(AcdCallbackEvent):
    """A waiting caller left a number for a callback (virtual hold; `number` masked)."""

    type: ClassVar[str] = "acd.callback.requested"
    number: str | None = phone_field()


@dataclass(frozen=True, kw_only=True)
class CallbackQueued(AcdCallbackEvent):
    """A callback entered its queue as the ACD call `call_id` (`attempt`: 1 for the first try)."""

    type: ClassVar[str] = "acd.callback.queued"
    attempt: int = 1


@dataclass(frozen=True, kw_only=True)
class CallbackOutcome(AcdCallbackEvent):
    """Base of what became of a callback (not a type of its own): `outcome` as dialled or as closed by
    hand, `status` of the entry, the `attempts` so far and when the next is due (retries only)."""

    outcome: str | None = None
    status: str
    attempts: int | None = None
    next_attempt_at: str | None = None


@dataclass(frozen=True, kw_only=True)
class CallbackRetry(CallbackOutcome):
    type: ClassVar[str] = "acd.callback.retry"


@dataclass(frozen=True, kw_only=True)
class CallbackCompleted(CallbackOutcome):
    type: ClassVar[str] = "acd.callback.completed"


# -- statistics ------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class AcdStats(DomainEvent):
    """The live figures of `AcdService.stats(...)` (every 15 s, national). `stats_scope` is what they
    cover ("national", "center:44", "queue:44-pension"; the dict's `scope`, renamed so that it is not
    mistaken for the province scope); `center_code`, the scope, is None for national figures
    (national roles only)."""

    type: ClassVar[str] = "acd.stats"
    stats_scope: str
    center_code: str | None = scope_field()
    waiting: int = 0
    longest_wait: float = 0.0
    agents_by_state: Mapping[str, int]
    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    handled: int = 0
    answered_in_sl: int = 0
    ring_no_answer: int = 0
    service_level: float | None = None
    sl_threshold: int | float | None = None
    asa: float | None = None
    aht: float | None = None
    abandonment_rate: float | None = None

    @classmethod
    def of(cls, figures: Mapping[str, Any]) -> AcdStats:
        """The event of a `stats(...)` result (a key it does not declare is an error, not dropped)."""
        scope = str(figures["scope"])
        center = scope[7:] if scope.startswith("center:") else scope[6:].split("-")[0] \
            if scope.startswith("queue:") else None
        rest = {k: v for k, v in figures.items() if k != "scope"}
        return cls(stats_scope=scope, center_code=center, **rest)
