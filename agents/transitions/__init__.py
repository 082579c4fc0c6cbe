"""ACD state changes as pure functions: `transition(records, command arguments, now, setting) -> Txn`,
the checks that must hold, the operations applied if they do (by either store's applier,
`agents.state`) and the events (declared in `agents.events`) emitted once applied. No store, no clock,
no bus: tested on their own (`tests/agents/test_transitions.py`).

By theme: `agent` (login, logout, ready, not ready, the end of a wrap-up), `call` (a call's way
through the ACD); `base` holds the `Txn` and the agent's operation groups (`agent_busy`,
`agent_free`); the queue's are in `agents.keys`. The other transitions still build their checks and
operations in `agents/service.py`.
"""

from agents.transitions.agent import finish_wrap, handle_seconds, login, logout, not_ready, ready
from agents.transitions.base import Txn, agent_busy, agent_free, hold_total_ms
from agents.transitions.call import accept, end, offer

__all__ = ["Txn", "accept", "agent_busy", "agent_free", "end", "finish_wrap", "handle_seconds", "hold_total_ms",
           "login", "logout", "not_ready", "offer", "ready"]
