"""ACD state changes as pure functions: `transition(records, command arguments, now, setting) -> Txn`,
the checks that must hold, the operations applied if they do (by either store's applier,
`agents.state`) and the events (declared in `agents.events`) emitted once applied. No store, no clock,
no bus: tested on their own (`tests/agents/test_transitions.py`). The service reads the records,
calls the transition, applies its `Txn` and emits its events.

By theme: `agent` (login, logout, ready, not ready, the end of a wrap-up), `call` (enqueue, offer,
accept, hold, resume, end, transfer, requeue, abandon, withdraw, request_callback,
callback_unreached), `queue` (prioritise, move, overflow); `base` holds the `Txn` and the agent's
operation groups (`agent_busy`, `agent_free`), the queue's are in `agents.keys` (`queue_in` /
`queue_out`, `enter_queue` / `leave_queue`, `pools_in` / `pools_out`, `staff_in` / `staff_out`).
"""

from agents.transitions.agent import finish_wrap, handle_seconds, login, logout, not_ready, ready
from agents.transitions.base import Txn, agent_busy, agent_free, hold_total_ms
from agents.transitions.call import (
    MAX_CREDITED_WAIT,
    abandon,
    accept,
    arrival,
    callback_unreached,
    end,
    enqueue,
    hold,
    offer,
    request_callback,
    requeue,
    resume,
    transfer,
    withdraw,
)
from agents.transitions.queue import move, overflow, prioritise

__all__ = ["MAX_CREDITED_WAIT", "Txn", "abandon", "accept", "agent_busy", "agent_free", "arrival", "callback_unreached",
           "end", "enqueue", "finish_wrap", "handle_seconds", "hold", "hold_total_ms", "login", "logout", "move",
           "not_ready", "offer", "overflow", "prioritise", "ready", "request_callback", "requeue", "resume", "transfer",
           "withdraw"]
