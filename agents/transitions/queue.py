"""Transitions of a waiting call between queues: a supervisor's new priority or queue, and the
overflow of a call past its queue's maximum wait."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from agents import policy
from agents.events import CallMoved, CallOverflow, CallPrioritised
from agents.keys import MAXWAIT, ck, enter_queue, leave_queue, queue_in
from agents.records import CallRec
from agents.state import Check, Op
from agents.transitions.base import Txn

if TYPE_CHECKING:
    from agents.api import QueueDef


def _still_in(call: CallRec, state: tuple[str, ...]) -> tuple[Check, ...]:
    """The call is still in this state, in the queue it was read in."""
    return (ck(call.call_id), "state", state), (ck(call.call_id), "queue_id", (call.queue_id,))


def prioritise(call: CallRec, priority: int) -> Txn:
    """A waiting call gets another priority class (0-9, higher served sooner), keeping its arrival time."""
    priority = max(0, min(int(priority), 9))
    score = policy.queue_score(priority, call.queued_at)
    ops: list[Op] = [["hset", ck(call.call_id), {"priority": priority, "score": score}],
                     *queue_in(call.queue_id, call.call_id, score, call.language)]
    return Txn(checks=_still_in(call, (call.state,)), ops=tuple(ops),
               events=(CallPrioritised(call_id=call.call_id, queue_id=call.queue_id, priority=priority),))


def move(call: CallRec, target: QueueDef) -> Txn:
    """A waiting call moves to another queue (its center and topic), keeping its score (arrival time
    and priority); the queue joins its journey."""
    call_id = call.call_id
    ops: list[Op] = [*leave_queue(call.queue_id, call.center, call_id, call.language),
                     ["hset", ck(call_id), {"queue_id": target.id, "center": target.center_code, "topic": target.topic,
                                            "journey": json.dumps([*call.journey, target.id])}],
                     *enter_queue(target.id, target.center_code, call_id, call.score, call.language)]
    return Txn(checks=_still_in(call, ("waiting",)), ops=tuple(ops),
               events=(CallMoved(call_id=call_id, queue_id=target.id, from_queue=call.queue_id,
                                 center_code=target.center_code),))


def overflow(call: CallRec, queue: QueueDef, target: QueueDef | None) -> Txn:
    """A call past its queue's maximum wait gets the queue's overflow action, once: into `target` (the
    action "queue:<id>"; its score kept, the queue's topic too), else marked for a callback. Its
    maximum-wait deadline goes either way."""
    call_id = call.call_id
    if target is not None:
        ops: list[Op] = [
            ["hset", ck(call_id), {"queue_id": target.id, "center": target.center_code,
                                   "overflow": f"queue:{target.id}",
                                   "journey": json.dumps([*call.journey, target.id])}],
            *leave_queue(queue.id, call.center, call_id, call.language),
            *enter_queue(target.id, target.center_code, call_id, call.score, call.language),
            ["zrem", MAXWAIT, call_id]]
        checks: tuple[Check, ...] = ((ck(call_id), "state", (call.state,)), (ck(call_id), "queue_id", (queue.id,)))
    else:
        ops = [["hset", ck(call_id), {"overflow": "callback"}], ["zrem", MAXWAIT, call_id]]
        checks = ((ck(call_id), "state", (call.state,)),)
    return Txn(checks=checks, ops=tuple(ops),
               events=(CallOverflow(call_id=call_id, queue_id=queue.id, action=queue.overflow_action),))
