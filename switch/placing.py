"""Acting on a routing decision, one way for every front end: `Placer.place(call, decision)` queues the
call with the ACD, hands it to another deployment, opens a ticket, books a callback, or says why it
placed nothing (`switch.api.Placement`). The IVR, the SMS channel and a handed-over arrival all come
through here; they keep only what is theirs (what the caller hears or reads, the flow's branches).

The collaborators are given: the ACD (`AcdApi`), a `TicketDesk`, the handoff (a function returning a
`TransferResult`) and the ACD's `queue_for`, so the rules are tested without a node.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from agents.domain import QueuedCall
from switch.api import CallToPlace, Placement, TicketDesk, TransferResult
from switch.directory import QueueFor

if TYPE_CHECKING:
    from agents.api import AcdApi
    from switch.routing import RoutingDecision

log = logging.getLogger(__name__)

HandOff = Callable[[CallToPlace, "RoutingDecision"], TransferResult]


def wants_ticket(decision: RoutingDecision) -> bool:
    """The decision's overflow is a work order (no center takes the call)."""
    return not decision.queue_id and decision.overflow == "ticket"


class Placer:
    def __init__(self, agents: AcdApi, tickets: TicketDesk, hand_off: HandOff, queue_for: QueueFor) -> None:
        self.agents = agents
        self.tickets = tickets
        self.hand_off = hand_off
        self.queue_for = queue_for

    def place(self, call: CallToPlace, decision: RoutingDecision) -> Placement:
        if call.callback_number is not None:
            return self.book_callback(call, decision)
        if wants_ticket(decision):
            return self.open_ticket(call, decision)
        if not decision.is_open:
            return Placement("closed", decision.center_code, reason="closed")
        said = decision.announcement
        if decision.remote:
            return self.transfer(call, decision, said)
        if not decision.queue_id:
            reason = "callback_offered" if decision.overflow == "callback" else "no_queue"
            return Placement("closed", decision.center_code, reason=reason, announcement=said)
        return self.enqueue(call, decision, decision.queue_id, said)

    def enqueue(self, call: CallToPlace, decision: RoutingDecision, queue_id: str,
                announcement: str = "") -> Placement:
        try:
            status = self.agents.enqueue(self.queued_call(call, decision, queue_id))
        except Exception:
            log.exception("queueing call %s at %s failed", call.call_id, queue_id)
            return Placement("closed", decision.center_code, queue_id, reason="failed", announcement=announcement)
        return Placement("queued", decision.center_code, queue_id, status=status, announcement=announcement)

    def transfer(self, call: CallToPlace, decision: RoutingDecision, announcement: str = "") -> Placement:
        try:
            result = self.hand_off(call, decision)
        except Exception:
            log.exception("handing call %s to %s failed", call.call_id, decision.center_code)
            return Placement("closed", decision.center_code, reason="failed", announcement=announcement)
        return Placement("transferred", result.center_code, result.queue_id, handoff=result.ticket,
                         trunk=result.trunk, announcement=announcement)

    def open_ticket(self, call: CallToPlace, decision: RoutingDecision) -> Placement:
        if not call.caller:
            return Placement("closed", decision.center_code, reason="no_number")
        try:
            ticket = self.tickets.open_for_call(caller=call.caller, topic=decision.topic, province=decision.province,
                                                center_code=decision.center_code, call_id=call.call_id)
        except Exception:
            log.exception("opening a ticket failed for call %s", call.call_id)
            return Placement("closed", decision.center_code, reason="failed")
        return Placement("ticket", decision.center_code, ticket_id=int(ticket.id))

    def book_callback(self, call: CallToPlace, decision: RoutingDecision) -> Placement:
        """The caller asked to be rung back: queue the call where the switch decided (after hours, where
        it queued nothing, at the center's queue for the topic) and turn it into a callback (virtual
        hold). Raises when it cannot be booked: the caller's request must not be lost silently."""
        queue_id = decision.queue_id
        if not queue_id:
            queue = self.queue_for(decision.center_code, decision.topic)
            queue_id = queue.id if queue is not None else None
        if not queue_id:
            raise LookupError(f"no queue at center {decision.center_code} for a callback")
        self.agents.enqueue(self.queued_call(call, decision, queue_id))
        status = self.agents.request_callback(call.call_id, call.callback_number or "")
        return Placement("callback", decision.center_code, queue_id, status=status)

    @staticmethod
    def queued_call(call: CallToPlace, decision: RoutingDecision, queue_id: str) -> QueuedCall:
        priority = decision.priority if call.priority is None else call.priority
        return QueuedCall(call_id=call.call_id, queue_id=queue_id, center_code=decision.center_code,
                          topic=decision.topic, skills=call.skills, priority=priority, caller=call.caller,
                          language=call.language, context=dict(call.context), waited=call.waited,
                          notes=call.notes)
