"""Whether the ACD's real-time state holds together where it matters most: no call with two agents,
no agent with two calls, and a call and its agent pointing at each other.

It reads one snapshot of every agent and call hash. On Redis the snapshot is taken inside one
MULTI/EXEC, so while other nodes keep deciding it still sees a single moment (a read key by key would
report a decision half-way through as a fault). `hotline acd check` and `hotline bench acd --nodes 2` run it;
the ACD's state-machine tests run it after every step.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from agents.records import AgentRec, CallRec
from core.state import RedisStore, StateStore

HOLDING = frozenset({"offered", "on_call", "wrap_up"})  # agent states that name a call
# ...of which these have it now. An agent in wrap-up names the call they finished, which may already be
# with another agent (a transfer puts it back into a queue while the first agent wraps up their leg).
CARRYING = frozenset({"offered", "on_call"})
ASSIGNED = frozenset({"offered", "connected"})  # call states that name an agent


@dataclass(frozen=True)
class Snapshot:
    agents: dict[int, AgentRec]
    calls: dict[str, CallRec]


def snapshot(store: StateStore) -> Snapshot:
    """Every agent and call record at one moment (atomically on Redis)."""
    if isinstance(store, RedisStore):
        return _redis_snapshot(store.redis, store.prefix)
    agents = {int(k[len("acd:a:"):]): AgentRec.from_hash(store.hgetall(k)) for k in store.keys("acd:a:*")}
    calls = {k[len("acd:c:"):]: CallRec.from_hash(store.hgetall(k)) for k in store.keys("acd:c:*")}
    return Snapshot(agents, calls)


def _redis_snapshot(redis: Any, prefix: str) -> Snapshot:
    agent_keys = [k for k in redis.scan_iter(f"{prefix}acd:a:*", count=1000)]
    call_keys = [k for k in redis.scan_iter(f"{prefix}acd:c:*", count=1000)]
    pipe = redis.pipeline(transaction=True)
    for key in agent_keys + call_keys:
        pipe.hgetall(key)
    values = pipe.execute()
    agents = {int(k[len(prefix) + 6:]): AgentRec.from_hash(h)
              for k, h in zip(agent_keys, values[:len(agent_keys)], strict=True) if h}
    calls = {k[len(prefix) + 6:]: CallRec.from_hash(h)
             for k, h in zip(call_keys, values[len(agent_keys):], strict=True) if h}
    return Snapshot(agents, calls)


def assignment_faults(agents: Mapping[int, AgentRec], calls: Mapping[str, CallRec]) -> list[str]:
    """What is wrong between calls and agents, said plainly; empty when the state holds together.

    A call created after the agent and call keys were listed is simply not in the snapshot; a call the
    snapshot has but whose agent it lacks is reported only if the agent is there."""
    faults: list[str] = []
    holder: dict[str, int] = {}
    for agent_id, agent in sorted(agents.items()):
        if agent.state in HOLDING:
            if not agent.call_id:
                faults.append(f"agent {agent_id} is {agent.state} without a call")
            elif agent.state not in CARRYING:
                continue
            elif agent.call_id in holder:
                faults.append(f"call {agent.call_id} is held by agents {holder[agent.call_id]} and {agent_id}")
            else:
                holder[agent.call_id] = agent_id
        elif agent.call_id:
            faults.append(f"agent {agent_id} is {agent.state} but still names call {agent.call_id}")
    for call_id, call in sorted(calls.items()):
        if call.state not in ASSIGNED:
            continue
        if call.agent_id is None:
            faults.append(f"call {call_id} is {call.state} without an agent")
            continue
        named = agents.get(call.agent_id)
        if named is not None and named.call_id != call_id:
            faults.append(f"call {call_id} is {call.state} to agent {call.agent_id}, who holds "
                          f"{named.call_id or 'nothing'}")
    return faults


def check(store: StateStore) -> list[str]:
    """The assignment faults of the state in `store` right now."""
    snap = snapshot(store)
    return assignment_faults(snap.agents, snap.calls)
