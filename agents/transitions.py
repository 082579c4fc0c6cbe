"""ACD state changes as pure functions: `transition(records, command, now) -> Txn`, the checks that
must hold, the operations applied if they do (by either store's applier, `agents.state`) and the
events (declared in `agents.events`) emitted once applied. No store, no clock, no bus: tested on their own.

Moved here so far: the offer (agent ↔ call claim) and the answer (accept), the end of a call
(end), ready and not ready. The other transitions still build their checks and operations in `agents/service.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agents import endpoints, stats
from agents.events import AgentState, CallConnected, CallEnded, CallOffered
from agents.keys import (
    ACTIVE,
    LOAD,
    MAXWAIT,
    OFFERS,
    WAITING_STATES,
    WRAP,
    agent_pools,
    ak,
    ck,
    pools_in,
    pools_out,
    qk,
    queue_out,
)
from agents.records import AgentRec, CallRec
from agents.state import Check, Op
from core.events import DomainEvent
from core.masking import mask_phone
from core.testcalls import is_test_call


@dataclass(frozen=True)
class Txn:
    checks: tuple[Check, ...]
    ops: tuple[Op, ...]
    events: tuple[DomainEvent, ...] = field(default=())


def agent_busy(agent: AgentRec, agent_id: int, fields: dict[str, Any]) -> list[Op]:
    """Operation group: the agent leaves every ready pool (skill and language) with these fields set."""
    return [["hset", ak(agent_id), fields], *pools_out(agent_pools(agent), agent_id)]


def offer(call: CallRec, agent: AgentRec, agent_id: int, now: float, offer_timeout: float) -> Txn:
    """A ready agent is offered a waiting call: both become `offered`, the call leaves its queue, the
    agent its pools, and the offer's deadline is set."""
    deadline = now + offer_timeout
    ops: list[Op] = [
        *agent_busy(agent, agent_id, {"state": "offered", "call_id": call.call_id, "since": now,
                                      "offer_until": deadline}),
        ["hset", ck(call.call_id), {"state": "offered", "agent_id": agent_id, "offered_at": now}],
        *queue_out(call.queue_id, call.call_id, call.language),
        ["srem_if_zempty", ACTIVE, call.queue_id, qk(call.queue_id)],
        ["zadd", OFFERS, deadline, call.call_id], ["hincr", LOAD, call.center, -1], ["zrem", MAXWAIT, call.call_id]]
    context = call.context or {}
    offered = CallOffered(call_id=call.call_id, agent_id=agent_id, queue_id=call.queue_id,
                          endpoint=endpoints.for_channel(call.channel, agent.endpoint, agent.endpoints),
                          center_code=call.center, topic=call.topic, callback=bool(call.cb_number),
                          caller=mask_phone(call.caller), transferred_from=context.get("transferred_from"),
                          until=deadline)
    agent_state = AgentState(agent_id=agent_id, state="offered", call_id=call.call_id, center_code=call.center)
    return Txn(checks=((ak(agent_id), "state", ("ready",)), (ck(call.call_id), "state", WAITING_STATES)),
               ops=tuple(ops), events=(offered, agent_state))


def accept(call: CallRec, agent: AgentRec, agent_id: int, now: float, sl_seconds: float) -> Txn:
    """The offered agent answers: call `connected`, agent `on_call`, the offer's deadline dropped, and
    the answer counted (wait, within the service level or not)."""
    waited = now - call.queued_at
    ops: list[Op] = [
        ["hset", ak(agent_id), {"state": "on_call", "since": now, "offer_until": "", "answered_at": now,
                                "call_queue": call.queue_id, "call_center": call.center}],
        ["hset", ck(call.call_id), {"state": "connected", "answered_at": now}],
        ["zrem", OFFERS, call.call_id],
        *stats.count_ops(now, call.queue_id, call.center, test=is_test_call(call.call_id), answered=1,
                         wait_ms=int(waited * 1000), answered_sl=int(waited <= sl_seconds))]
    endpoint = endpoints.for_channel(call.channel, agent.endpoint, agent.endpoints)
    connected = CallConnected(call_id=call.call_id, agent_id=agent_id, queue_id=call.queue_id,
                              waited=round(waited, 1), endpoint=endpoint, center_code=call.center)
    agent_state = AgentState(agent_id=agent_id, state="on_call", call_id=call.call_id, center_code=call.center)
    checks: tuple[Check, ...] = ((ak(agent_id), "state", ("offered",)), (ak(agent_id), "call_id", (call.call_id,)),
                                 (ck(call.call_id), "state", ("offered",)),
                                 (ck(call.call_id), "agent_id", (str(agent_id),)))
    return Txn(checks=checks, ops=tuple(ops),
               events=(connected, agent_state))


def hold_total_ms(call: CallRec, now: float) -> int:
    """Time on hold so far: the closed holds plus the one running (if any)."""
    return call.hold_ms + (int((now - call.held) * 1000) if call.held else 0)


def end(call: CallRec, reason: str, now: float, wrap_seconds: float) -> Txn:
    """A connected call ends: the call `ended` (its hold time closed), its agent into wrap-up until the
    deadline. The agent event carries no scope: the caller adds the agent's center when it knows it."""
    agent_id = call.agent_id or 0
    until = now + wrap_seconds
    ops: tuple[Op, ...] = (
        ["hset", ck(call.call_id), {"state": "ended", "ended_at": now, "end_reason": reason,
                                    "hold_ms": hold_total_ms(call, now), "held": ""}],
        ["hset", ak(agent_id), {"state": "wrap_up", "since": now, "reason": "", "wrap_until": until}],
        ["zadd", WRAP, until, agent_id])
    ended = CallEnded(call_id=call.call_id, agent_id=agent_id, reason=reason, center_code=call.center,
                      talk_seconds=round(now - (call.answered_at if call.answered_at is not None else now), 1))
    wrapping = AgentState(agent_id=agent_id, state="wrap_up", until=until)
    return Txn(checks=((ck(call.call_id), "state", ("connected",)), (ak(agent_id), "call_id", (call.call_id,))),
               ops=ops, events=(ended, wrapping))


def agent_free(agent: AgentRec, agent_id: int, fields: dict[str, Any], idle_since: float | str) -> list[Op]:
    """Operation group: the agent enters every ready pool (skill and language), ranked by `idle_since`,
    with these fields set."""
    return [["hset", ak(agent_id), fields], *pools_in(agent_pools(agent), agent_id, idle_since)]


def _agent_event(agent: AgentRec, agent_id: int, state: str, reason: str = "") -> AgentState:
    return AgentState(agent_id=agent_id, state=state, reason=reason, center_code=agent.center or None)


def ready(agent: AgentRec, agent_id: int, now: float) -> Txn:
    """A not-ready agent becomes ready: idle from now, in their pools."""
    ops = agent_free(agent, agent_id, {"state": "ready", "reason": "", "since": now, "idle_since": now}, now)
    return Txn(checks=((ak(agent_id), "state", ("not_ready",)),), ops=tuple(ops),
               events=(_agent_event(agent, agent_id, "ready"),))


def not_ready(agent: AgentRec, agent_id: int, reason: str, now: float) -> Txn:
    """A ready (or already not-ready) agent takes a break: out of their pools, with the reason."""
    ops = agent_busy(agent, agent_id, {"state": "not_ready", "reason": reason, "since": now})
    return Txn(checks=((ak(agent_id), "state", ("ready", "not_ready")),), ops=tuple(ops),
               events=(_agent_event(agent, agent_id, "not_ready", reason),))
