"""Sending a call on: placing a routed call (`place`, the rules of switch/placing.py, announced on the
bus), an agent's transfer of a connected call (`transfer`), and the handoff to another deployment
(`hand_off`: a local queue, or the signed request sent through the `HandoffSender` adapter)."""

from __future__ import annotations

from switch import handoff as hf
from switch.api import CallToPlace, HandoffSender, Placement, SwitchHost, TransferError, TransferResult
from switch.directory import Center
from switch.directory_service import DirectoryService
from switch.events import RouteHandoffSent, RoutePlaced
from switch.placing import Placer
from switch.routing import RoutingDecision


class Dispatch:
    def __init__(self, platform: SwitchHost, directory: DirectoryService, handoff_sender: HandoffSender) -> None:
        self.platform = platform
        self.directory = directory
        self.handoff_sender = handoff_sender

    # -- placing a call -------------------------------------------------------------------
    def place(self, call: CallToPlace, decision: RoutingDecision) -> Placement:
        """Act on a routing decision (see switch/placing.py): queue the call, hand it to another
        deployment, open a ticket, book a callback (`call.callback_number`), or say why nothing."""
        placement = self._placer().place(call, decision)
        self.platform.bus.emit(RoutePlaced(call_id=call.call_id, kind=placement.kind,
                                           center_code=placement.center_code, queue_id=placement.queue_id,
                                           reason=placement.reason))
        return placement

    def _placer(self) -> Placer:
        acd = self.platform.agents
        return Placer(acd, self.platform.tickets, self._hand_off_placed, acd.queue_for)

    def _hand_off_placed(self, call: CallToPlace, decision: RoutingDecision) -> TransferResult:
        return self.hand_off(call.call_id, decision.center_code, topic=decision.topic, context=call.context)

    def transfer(self, agent_id: int, call_id: str, *, center_code: str, topic: str | None = None,
                 notes: str = "") -> dict:
        """An agent's transfer of their connected call to a center (the console): a queue of this
        deployment, or another deployment by signed handoff; the ACD then re-queues the call or lets it
        go (`AcdApi.transfer`). Returns where it went (`TransferResult.to_dict()`); a refused or failed
        transfer (TransferError, AcdError) leaves the call connected."""
        agents = self.platform.agents
        source = agents.transfer_source(agent_id, call_id, notes)
        try:
            result = self.hand_off(call_id, center_code, topic=topic or source.topic, context=source.context,
                                   from_center=source.center_code)
        except KeyError:
            raise TransferError("unknown_center", f"没有中心 {center_code}") from None
        except hf.HandoffError as exc:  # the call stays connected; nothing is lost
            raise TransferError("handoff_failed", f"转接{center_code}失败：{exc.message}") from None
        if result.kind == "local" and result.queue_id is None:
            raise TransferError("no_queue", f"{center_code}中心没有可转接的队列")
        target = result.to_dict()
        agents.transfer(agent_id, call_id, queue_id=result.queue_id if result.kind == "local" else None,
                        target=target, notes=notes)
        return target

    # -- handoff to another deployment ----------------------------------------------------
    def hand_off(self, call_id: str, to_center: str, *, topic: str | None, context: dict,
                 from_center: str | None = None) -> TransferResult:
        """Where a call transferred to `to_center` goes; for a remote center, performs the signed
        handoff and returns the ticket the telephony side carries (SIP header or dialled suffix)."""
        center = self.directory.center(to_center)
        if center is None:
            raise KeyError(to_center)
        queue = self.platform.agents.queue_for(center.code, topic)
        if not center.remote:
            return TransferResult("local", center.code, queue.id if queue else None)
        ticket = self.send_handoff(center, call_id=call_id, topic=topic, context=context,
                                   from_center=from_center or self.platform.settings.center_code)
        return TransferResult("remote", center.code, ticket.queue_id, center.trunk, ticket)

    def send_handoff(self, center: Center, *, call_id: str, topic: str | None, context: dict,
                     from_center: str) -> hf.HandoffTicket:
        if not center.base_url:
            raise hf.HandoffError("remote", f"center {center.code} has no base_url")
        body = hf.encode({"call_id": call_id, "from_center": from_center, "to_center": center.code,
                          "context": {**context, "topic": topic}})
        headers = hf.signed_headers(self.platform.settings.handoff_secret, self.platform.clock.time(),
                                    "POST", hf.PATH, body)
        data = self.handoff_sender.send(center.base_url, body, headers)
        try:
            ticket = hf.HandoffTicket(data["token"], data["code"], data["center_code"], data.get("queue_id"),
                                      data["expires_at"])
        except KeyError as exc:
            raise hf.HandoffError("remote", f"handoff to {center.code}: answer without {exc}") from None
        self.platform.bus.emit(RouteHandoffSent(call_id=call_id, center_code=center.code, code=ticket.code))
        return ticket
