"""A call handed over by another deployment: the signed request is checked (`verify_handoff_request`)
and its context stored under a token and a dialled code (`receive_handoff`); the caller's channel then
arrives with either, claims the context once (`claim_handoff`) and is queued at the receiving center
as a transfer, its wait and the sending agent's notes credited (`claim_arrival`, `enqueue_arrival`,
placed through `Dispatch.place`)."""

from __future__ import annotations

import logging
import secrets
from dataclasses import asdict, dataclass, replace
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from agents.domain import PRIORITY_TRANSFER
from core import provinces
from switch import handoff as hf
from switch.api import CallToPlace, SwitchHost
from switch.directory_service import DirectoryService
from switch.dispatch import Dispatch
from switch.events import RouteHandoffArrived, RouteHandoffReceived, RouteHandoffRefused
from switch.models import HandoffRow
from switch.routing import Reason, RoutingDecision

log = logging.getLogger(__name__)

HANDOFF_TTL = timedelta(minutes=10)


class Arrivals:
    def __init__(self, platform: SwitchHost, directory: DirectoryService, dispatch: Dispatch) -> None:
        self.platform = platform
        self.directory = directory
        self.dispatch = dispatch

    def verify_handoff_request(self, headers: Any, method: str, path: str, body: bytes) -> None:
        store = self.platform.store
        hf.verify(self.platform.settings.handoff_secret, headers, method, path, body, self.platform.clock.time(),
                  lambda nonce, ttl: store.set(f"switch:nonce:{nonce}", "1", ttl=ttl, nx=True))

    def receive_handoff(self, payload: dict) -> hf.HandoffTicket:
        """Store a verified handoff and answer the token (called by web/handoff.py)."""
        data = hf.validate_payload(payload)
        center = self.directory.center(data["to_center"])
        if center is None or center.remote:
            raise hf.HandoffError("invalid", f"center {data['to_center']} is not hosted here")
        queue = self.platform.agents.queue_for(center.code, data["context"].get("topic"))
        now = self.platform.clock.now()
        token = secrets.token_urlsafe(24)
        with self.platform.db.session() as s:
            for _ in range(20):
                code = f"{secrets.randbelow(10**8):08d}"
                if s.execute(select(HandoffRow.token).where(HandoffRow.code == code)).first() is None:
                    break
            s.add(HandoffRow(token=token, code=code, from_center=data["from_center"], to_center=center.code,
                             remote_call_id=data["call_id"], context=data["context"], created_at=now,
                             expires_at=now + HANDOFF_TTL))
        self.platform.bus.emit(RouteHandoffReceived(center_code=center.code, code=code,
                                                    from_center=data["from_center"]))
        return hf.HandoffTicket(token, code, center.code, queue.id if queue else None,
                                (now + HANDOFF_TTL).isoformat())

    def claim_handoff(self, token_or_code: str, call_id: str) -> dict | None:
        """The context handed over with a call, once: by token (SIP header) or code (dialled suffix).
        None for an unknown, expired or already claimed reference (logged with which)."""
        now = self.platform.clock.now()
        ref = (token_or_code or "").strip()
        with self.platform.db.session() as s:
            column = HandoffRow.code if ref.isdigit() and len(ref) == 8 else HandoffRow.token
            row = s.execute(select(HandoffRow).where(column == ref)).scalar_one_or_none() if ref else None
            problem = ("unknown" if row is None else "expired" if row.expires_at < now
                       else "claimed" if row.claimed_call_id not in (None, call_id) else None)
            if problem is not None:
                log.warning("handoff reference %s… for call %s refused: %s; the caller gets the normal IVR",
                            ref[:4], call_id, problem)
                self.platform.bus.emit(RouteHandoffRefused(call_id=call_id, reason=problem))
                return None
            assert row is not None
            row.claimed_call_id, row.claimed_at = call_id, now
            return {"from_center": row.from_center, "to_center": row.to_center,
                    "remote_call_id": row.remote_call_id, "context": dict(row.context)}

    def claim_arrival(self, call_id: str, token_or_code: str, *, caller: str | None, channel: str,
                      enqueue: bool = True) -> Arrival | None:
        """A handed-over call reaches this deployment: claim its context and enqueue it at the receiving
        center's queue for its topic, as a transfer (priority 1), with the wait it already had credited
        and the sending agent's notes. With `enqueue=False` (the caller verifies again first) the call is
        claimed but not queued: `enqueue_arrival()` queues it later. None when the reference is unknown,
        expired or used."""
        handed = self.claim_handoff(token_or_code, call_id)
        if handed is None:
            return None
        ctx = handed["context"]
        center = self.directory.center(handed["to_center"])
        queue = self.platform.agents.queue_for(center.code, ctx.get("topic")) if center is not None else None
        if center is None or queue is None:
            log.warning("handoff for call %s names center %s, which has no queue here", call_id, handed["to_center"])
            return None
        context = {**ctx, "channel": channel, "transferred_from": handed["from_center"],
                   "remote_call_id": handed["remote_call_id"], "province": ctx.get("province") or center.code}
        try:
            waited = min(float(ctx.get("waited_seconds") or 0.0), 3600.0)
        except (TypeError, ValueError):
            waited = 0.0
        notes = tuple(n for n in ctx.get("agent_notes") or () if isinstance(n, dict))
        arrival = Arrival(status=None, from_center=handed["from_center"], center_code=center.code,
                          queue_id=queue.id, topic=queue.topic, context=context, waited=waited, notes=notes)
        if not enqueue:
            return arrival
        return self.enqueue_arrival(call_id, arrival, caller=caller)

    def enqueue_arrival(self, call_id: str, arrival: Arrival | dict, *, caller: str | None,
                        context: dict | None = None, waited_here: float = 0.0) -> Arrival:
        """Queue a claimed arrival (or its `to_dict()`, as the IVR keeps it) as a transfer, the sender's
        wait plus `waited_here` credited; `context` replaces the handed context (e.g. after the caller
        verified again here)."""
        if isinstance(arrival, dict):
            arrival = Arrival.from_dict(arrival)
        center = self.directory.center(arrival.center_code)
        queue = self.platform.agents.queue(arrival.queue_id) if center is not None else None
        if queue is not None and queue.center_code != arrival.center_code:
            queue = None
        if queue is None:
            raise LookupError(f"queue {arrival.queue_id} is not hosted here")
        context = dict(context if context is not None else arrival.context)
        waited = min(arrival.waited + max(0.0, waited_here), 3600.0)
        placement = self.dispatch.place(
            CallToPlace(call_id=call_id, caller=caller, language=context.get("language", "zh"), context=context,
                        priority=PRIORITY_TRANSFER, skills=queue.skills, waited=waited, notes=arrival.notes),
            arrival.decision(queue.topic))
        if placement.kind != "queued":
            raise LookupError(f"the handed-over call {call_id} was not queued at {queue.id}: {placement.reason}")
        self.platform.bus.emit(RouteHandoffArrived(call_id=call_id, center_code=arrival.center_code,
                                                   queue_id=queue.id, from_center=arrival.from_center,
                                                   remote_call_id=context.get("remote_call_id"),
                                                   waited_seconds=waited))
        return replace(arrival, status=placement.status, context=context)

    def arrive(self, call_id: str, token_or_code: str, *, caller: str | None, channel: str) -> Any:
        """A handed-over call reaches this deployment: enqueue it with its context (→ CallStatus)."""
        arrival = self.claim_arrival(call_id, token_or_code, caller=caller, channel=channel)
        return arrival.status if arrival is not None else None


@dataclass(frozen=True)
class Arrival:
    """A handed-over call claimed on arrival (and queued, unless `status` is None)."""

    status: Any  # agents.domain.CallStatus, None while not queued
    from_center: str
    center_code: str
    queue_id: str
    topic: str
    context: dict
    waited: float = 0.0  # the wait at the sending deployment, credited in the queue
    notes: tuple = ()    # the sending agent's notes

    def to_dict(self) -> dict:
        """JSON for the IVR's call state (without the queue status)."""
        data = asdict(self)
        data.pop("status")
        data["notes"] = list(self.notes)
        return data

    def decision(self, topic: str) -> RoutingDecision:
        """The routing decision a handoff stands for: the receiving center's queue, as a transfer."""
        return RoutingDecision(province=self.center_code, center_code=self.center_code, queue_id=self.queue_id,
                               topic=topic, priority=PRIORITY_TRANSFER,
                               reasons=[Reason("handoff", f"由{provinces.name_of(self.from_center)}12333转接")])

    @classmethod
    def from_dict(cls, data: dict) -> Arrival:
        return cls(status=None, **{**data, "notes": tuple(data.get("notes") or ())})
