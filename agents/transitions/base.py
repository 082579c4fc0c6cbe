"""What every transition shares: the `Txn` it returns and the agent's operation groups."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agents.keys import agent_pools, ak, pools_in, pools_out
from agents.records import AgentRec, CallRec
from agents.state import Check, Op
from core.events import DomainEvent


@dataclass(frozen=True)
class Txn:
    """A transition's result: the checks that must hold, the operations applied if they do (by either
    store's applier, `agents.state`) and the events the service emits once they are applied."""

    checks: tuple[Check, ...]
    ops: tuple[Op, ...]
    events: tuple[DomainEvent, ...] = field(default=())


def agent_busy(agent: AgentRec, agent_id: int, fields: dict[str, Any]) -> list[Op]:
    """Operation group: the agent leaves every ready pool (skill and language) with these fields set."""
    return [["hset", ak(agent_id), fields], *pools_out(agent_pools(agent), agent_id)]


def agent_free(agent: AgentRec, agent_id: int | str, fields: dict[str, Any], idle_since: float | str) -> list[Op]:
    """Operation group: the agent enters every ready pool (skill and language), ranked by `idle_since`,
    with these fields set."""
    return [["hset", ak(agent_id), fields], *pools_in(agent_pools(agent), agent_id, idle_since)]


def hold_total_ms(call: CallRec, now: float) -> int:
    """Time on hold so far: the closed holds plus the one running (if any)."""
    return call.hold_ms + (int((now - call.held) * 1000) if call.held else 0)
