"""Transitions of an agent: ready, not ready."""

from __future__ import annotations

from agents.events import AgentState
from agents.keys import ak
from agents.records import AgentRec
from agents.transitions.base import Txn, agent_busy, agent_free


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
