"""Transitions of a call: offered to an agent, answered, ended."""

from __future__ import annotations

from agents import endpoints, stats
from agents.events import AgentState, CallConnected, CallEnded, CallOffered
from agents.keys import ACTIVE, LOAD, MAXWAIT, OFFERS, WAITING_STATES, WRAP, ak, ck, qk, queue_out
from agents.records import AgentRec, CallRec
from agents.state import Check, Op
from agents.transitions.base import Txn, agent_busy, hold_total_ms
from core.masking import mask_phone
from core.testcalls import is_test_call


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
