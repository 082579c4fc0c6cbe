"""Transitions of a call: queued, offered to an agent, answered, held and resumed, ended, transferred;
back in its queue (declined, not answered), abandoned or withdrawn; put on virtual hold (a callback
requested) and a callback's citizen not reached."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from agents import endpoints, policy, stats
from agents.domain import PRIORITY_TRANSFER
from agents.events import (
    AgentState,
    CallAbandoned,
    CallConnected,
    CallEnded,
    CallHeld,
    CallOffered,
    CallQueued,
    CallRequeued,
    CallResumed,
    CallTransferred,
    CallWithdrawn,
)
from agents.keys import (
    CALL_TTL,
    MAXWAIT,
    OFFERS,
    WAITING_STATES,
    WRAP,
    ak,
    ck,
    enter_queue,
    leave_queue,
)
from agents.records import AgentRec, CallRec
from agents.state import Check, Op
from agents.transitions.base import Txn, agent_busy, agent_free, hold_total_ms
from core.masking import mask_phone
from core.testcalls import is_test_call

if TYPE_CHECKING:
    from agents.api import QueueDef
    from agents.domain import QueuedCall

MAX_CREDITED_WAIT = 3600.0  # a handed-over call is credited at most this much earlier wait


def arrival(call: QueuedCall, now: float) -> float:
    """When a call counts as arrived in its queue: now, less the wait it had elsewhere (a handed-over
    call), credited up to `MAX_CREDITED_WAIT`."""
    return now - min(max(float(call.waited or 0.0), 0.0), MAX_CREDITED_WAIT)


def enqueue(call: QueuedCall, queue: QueueDef, now: float) -> Txn:
    """A new call enters its queue, waiting (or on virtual hold, "callback", with the number to ring),
    ranked by priority and arrival, with the queue's maximum wait; counted as offered. Its
    `CallQueued` has no position: the caller adds the rank it reads after the operations."""
    score = policy.queue_score(call.priority, arrival(call, now))
    fields: dict[str, Any] = {
        "call_id": call.call_id, "queue_id": queue.id, "center": queue.center_code, "topic": call.topic or queue.topic,
        "priority": call.priority, "caller": call.caller or "", "language": call.language,
        "context": json.dumps(call.context, ensure_ascii=False), "state": "waiting", "score": score,
        "queued_at": now, "first_at": now, "agent_id": "", "overflow": "", "journey": json.dumps([queue.id]),
        "max_wait": queue.max_wait}
    if call.notes:
        fields["notes"] = json.dumps(list(call.notes), ensure_ascii=False)
    if call.callback_number:
        fields.update(state="callback", cb_number=call.callback_number)
    ops: list[Op] = [["hset", ck(call.call_id), fields], ["expire", ck(call.call_id), CALL_TTL],
                     *enter_queue(queue.id, queue.center_code, call.call_id, score, call.language),
                     ["zadd", MAXWAIT, now + queue.max_wait, call.call_id],
                     *stats.count_ops(now, queue.id, queue.center_code, offered=1, test=is_test_call(call.call_id))]
    queued = CallQueued(call_id=call.call_id, queue_id=queue.id, center_code=queue.center_code,
                        priority=call.priority)
    return Txn(checks=((ck(call.call_id), "state", ("",)),), ops=tuple(ops), events=(queued,))


def offer(call: CallRec, agent: AgentRec, agent_id: int, now: float, offer_timeout: float) -> Txn:
    """A ready agent is offered a waiting call: both become `offered`, the call leaves its queue, the
    agent its pools, and the offer's deadline is set."""
    deadline = now + offer_timeout
    ops: list[Op] = [
        *agent_busy(agent, agent_id, {"state": "offered", "call_id": call.call_id, "since": now,
                                      "offer_until": deadline}),
        ["hset", ck(call.call_id), {"state": "offered", "agent_id": agent_id, "offered_at": now}],
        *leave_queue(call.queue_id, call.center, call.call_id, call.language),
        ["zadd", OFFERS, deadline, call.call_id], ["zrem", MAXWAIT, call.call_id]]
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


def abandon(call: CallRec, agent: AgentRec | None, reason: str, now: float) -> Txn:
    """The caller of a waiting (or callback) or offered call left: the call `abandoned` and counted so;
    a waiting call leaves its queue, an offered call's agent is ready again (in their pools, keeping
    the idle time they had). `agent`: the offered agent's record (None for a waiting call)."""
    call_id, state = call.call_id, call.state
    ops: list[Op] = [["hset", ck(call_id), {"state": "abandoned", "ended_at": now, "end_reason": reason}],
                     ["zrem", MAXWAIT, call_id],
                     *stats.count_ops(now, call.queue_id, call.center, abandoned=1, test=is_test_call(call_id))]
    checks: list[Check] = [(ck(call_id), "state", (state,))]
    events: list[Any] = [CallAbandoned(call_id=call_id, queue_id=call.queue_id, waited=round(now - call.queued_at, 1),
                                       reason=reason)]
    if state in WAITING_STATES:
        ops += leave_queue(call.queue_id, call.center, call_id, call.language)
    elif state == "offered":
        agent_id, rec = call.agent_id or 0, agent or AgentRec()
        checks.append((ak(agent_id), "call_id", (call_id,)))
        idle_since = rec.idle_since if rec.idle_since is not None else now
        ops += [["zrem", OFFERS, call_id],
                *agent_free(rec, agent_id, {"state": "ready", "call_id": "", "since": now}, idle_since)]
        events.append(AgentState(agent_id=agent_id, state="ready", reason="caller_abandoned"))
    return Txn(checks=tuple(checks), ops=tuple(ops), events=tuple(events))


def withdraw(call: CallRec, reason: str) -> Txn:
    """A waiting call leaves its queue uncounted (its offer taken back in the interval it was counted)
    and is forgotten: the caller went back to the IVR and may be enqueued again under the same id."""
    call_id = call.call_id
    ops: list[Op] = [*leave_queue(call.queue_id, call.center, call_id, call.language), ["zrem", MAXWAIT, call_id],
                     ["del", ck(call_id)],
                     *stats.count_ops(call.queued_at, call.queue_id, call.center, offered=-1,
                                      test=is_test_call(call_id))]
    return Txn(checks=((ck(call_id), "state", ("waiting",)),), ops=tuple(ops),
               events=(CallWithdrawn(call_id=call_id, queue_id=call.queue_id, reason=reason),))


def requeue(call: CallRec, agent_id: int, reason: str, head: float | None, now: float, sl_seconds: float,
            from_state: str = "offered") -> Txn:
    """An offered call the agent declined or let ring (or, `from_state` "connected", one accepted but
    never picked up) goes back to the head of its queue (`head`: the score of the call there now, if
    any), with its maximum wait again unless it overflowed; the agent becomes not ready with the
    reason. A ring-no-answer is counted; a connected call's answer is taken back in the interval
    accept counted it."""
    call_id, queue_id, center = call.call_id, call.queue_id, call.center
    test = is_test_call(call_id)
    score = policy.head_score(head, call.score)
    ops: list[Op] = [
        ["hset", ck(call_id), {"state": "callback" if call.cb_number else "waiting", "agent_id": "", "score": score}],
        *enter_queue(queue_id, center, call_id, score, call.language), ["zrem", OFFERS, call_id],
        ["hset", ak(agent_id), {"state": "not_ready", "reason": reason, "call_id": "", "since": now,
                                "offer_until": ""}]]
    if reason in ("no_answer", "agent_no_answer"):
        ops += stats.count_ops(now, queue_id, center, rna=1, test=test)
    if from_state == "connected":
        ops.append(["hset", ck(call_id), {"answered_at": "", "held": "", "hold_ms": 0}])
        ops.append(["hset", ak(agent_id), {"answered_at": "", "call_queue": "", "call_center": ""}])
        ops += _answer_taken_back(call, now, sl_seconds, test=test)
    if not call.overflow:
        ops.append(["zadd", MAXWAIT, call.first_at + (call.max_wait or 600), call_id])
    checks: tuple[Check, ...] = ((ck(call_id), "state", (from_state,)), (ck(call_id), "agent_id", (str(agent_id),)),
                                 (ak(agent_id), "call_id", (call_id,)))
    return Txn(checks=checks, ops=tuple(ops),
               events=(CallRequeued(call_id=call_id, agent_id=agent_id, reason=reason, queue_id=queue_id),
                       AgentState(agent_id=agent_id, state="not_ready", reason=reason)))


def _answer_taken_back(call: CallRec, now: float, sl_seconds: float, test: bool) -> list[Op]:
    """Operations undoing what accept counted for a call (answered, its wait, within the service level
    or not), in the interval it counted it."""
    answered = call.answered_at or now
    waited = answered - call.queued_at
    return stats.count_ops(answered, call.queue_id, call.center, test=test, answered=-1, wait_ms=-int(waited * 1000),
                           answered_sl=-int(waited <= sl_seconds))


def hold(call_id: str, agent_id: int, now: float) -> Txn:
    """The agent puts their connected call on hold (not already held)."""
    checks: tuple[Check, ...] = ((ck(call_id), "state", ("connected",)), (ck(call_id), "held", ("",)),
                                 (ak(agent_id), "call_id", (call_id,)))
    return Txn(checks=checks, ops=(["hset", ck(call_id), {"held": now}],),
               events=(CallHeld(call_id=call_id, agent_id=agent_id),))


def resume(call: CallRec, agent_id: int, now: float) -> Txn:
    """The agent takes their call off hold (the hold it was read with): the hold's time added up."""
    held = "" if call.held is None else repr(call.held)  # as stored (a float's repr)
    checks: tuple[Check, ...] = ((ck(call.call_id), "held", (held,)), (ak(agent_id), "call_id", (call.call_id,)))
    return Txn(checks=checks, ops=(["hset", ck(call.call_id), {"held": "", "hold_ms": hold_total_ms(call, now)}],),
               events=(CallResumed(call_id=call.call_id, agent_id=agent_id),))


def transfer(call: CallRec, agent_id: int, notes: list[dict], queue: QueueDef | None, target: Mapping[str, Any],
             now: float, wrap_seconds: float) -> Txn:
    """The agent's connected call is transferred as the switch decided (`target`, carried by the event):
    with `queue`, it re-enters that queue of this deployment ahead of new calls (priority at least
    `PRIORITY_TRANSFER`, arrival now), with its journey, `notes` (the call's, with the agent's) and the
    hold time so far, and is counted as offered there; without, it left for another deployment and
    ends here ("transferred_remote"). The agent goes to wrap-up either way."""
    call_id = call.call_id
    until = now + wrap_seconds
    agent_ops: list[Op] = [["hset", ak(agent_id), {"state": "wrap_up", "since": now, "wrap_until": until}],
                           ["zadd", WRAP, until, agent_id]]
    ops: list[Op]
    if queue is not None:
        score = policy.queue_score(max(call.priority, PRIORITY_TRANSFER), now)
        ops = [["hset", ck(call_id), {
            "state": "waiting", "queue_id": queue.id, "center": queue.center_code, "topic": queue.topic,
            "agent_id": "", "score": score, "queued_at": now, "first_at": now, "overflow": "",
            "max_wait": queue.max_wait, "journey": json.dumps([*call.journey, queue.id]),
            "notes": json.dumps(notes, ensure_ascii=False), "transferred_by": agent_id,
            "hold_ms": hold_total_ms(call, now), "held": ""}],
            *enter_queue(queue.id, queue.center_code, call_id, score, call.language),
            ["zadd", MAXWAIT, now + queue.max_wait, call_id], *agent_ops,
            *stats.count_ops(now, queue.id, queue.center_code, offered=1, test=is_test_call(call_id))]
    else:
        ops = [["hset", ck(call_id), {"state": "ended", "ended_at": now, "end_reason": "transferred_remote",
                                      "hold_ms": hold_total_ms(call, now), "held": ""}], *agent_ops]
    checks: tuple[Check, ...] = ((ck(call_id), "state", ("connected",)), (ak(agent_id), "call_id", (call_id,)))
    return Txn(checks=checks, ops=tuple(ops),
               events=(CallTransferred.to(call_id, agent_id, target),
                       AgentState(agent_id=agent_id, state="wrap_up", reason="transfer")))


def request_callback(call_id: str, number: str) -> Txn:
    """Virtual hold: a waiting caller leaves a number (national form) and hangs up, keeping their place;
    the call waits as "callback" (no longer overflowing)."""
    return Txn(checks=((ck(call_id), "state", ("waiting",)),),
               ops=(["hset", ck(call_id), {"state": "callback", "cb_number": number, "overflow": ""}],))


def callback_unreached(call: CallRec, why: str, now: float, sl_seconds: float) -> Txn:
    """The citizen of a callback the agent accepted was not reached: the call ends (`why`), the agent is
    freed not ready with the reason shown (no wrap-up of a conversation that never happened), and the
    answer counted at accept is taken back in the interval it was counted."""
    call_id, agent_id = call.call_id, call.agent_id or 0
    ops: list[Op] = [
        ["hset", ck(call_id), {"state": "ended", "ended_at": now, "end_reason": why, "answered_at": ""}],
        ["hset", ak(agent_id), {"state": "not_ready", "reason": why, "call_id": "", "since": now,
                                "answered_at": "", "call_queue": "", "call_center": ""}],
        *_answer_taken_back(call, now, sl_seconds, test=is_test_call(call_id))]
    return Txn(checks=((ck(call_id), "state", ("connected",)), (ak(agent_id), "call_id", (call_id,))),
               ops=tuple(ops), events=(AgentState(agent_id=agent_id, state="not_ready", reason=why),))
