"""Transitions of an agent: login, logout, ready, not ready, the end of a wrap-up."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from agents import stats
from agents.events import AgentState, CallWrapped
from agents.keys import WRAP, agent_pools, aht_key, ak, pools_out, rk, staff_in, staff_out
from agents.policy import AHT_ALPHA
from agents.records import AgentRec
from agents.state import Op
from agents.transitions.base import Txn, agent_busy, agent_free
from core.testcalls import is_test_call

if TYPE_CHECKING:
    from agents.domain import AgentProfile


def _agent_event(agent: AgentRec, agent_id: int, state: str, reason: str = "") -> AgentState:
    return AgentState(agent_id=agent_id, state=state, reason=reason, center_code=agent.center or None)


def login(profile: AgentProfile, agent_id: int, now: float) -> Txn:
    """A logged-out agent logs in, not ready ("login"): the profile copied into the agent's record with
    its skill pools, counted among the staff of each skill."""
    pools = [rk(profile.center_code, t) for t in profile.skills]
    ops: list[Op] = [["hset", ak(agent_id), {
        "id": agent_id, "name": profile.name, "center": profile.center_code, "skills": json.dumps(profile.skills),
        "languages": json.dumps(profile.languages), "level": profile.level, "endpoint": profile.endpoint,
        "endpoints": json.dumps(profile.endpoints), "pools": json.dumps(pools), "state": "not_ready",
        "reason": "login", "since": now, "idle_since": now, "call_id": ""}],
        *staff_in(profile.center_code, profile.skills, agent_id)]
    return Txn(checks=((ak(agent_id), "state", ("", "logged_out")),), ops=tuple(ops),
               events=(AgentState(agent_id=agent_id, state="not_ready", reason="login",
                                  center_code=profile.center_code or None),))


def logout(agent: AgentRec, agent_id: int, now: float) -> Txn:
    """A ready or not-ready agent logs out: out of their pools and the staff counts."""
    ops: list[Op] = [["hset", ak(agent_id), {"state": "logged_out", "since": now, "reason": ""}],
                     *staff_out(agent.center, agent.skills, agent_id), *pools_out(agent_pools(agent), agent_id)]
    return Txn(checks=((ak(agent_id), "state", ("ready", "not_ready")),), ops=tuple(ops),
               events=(AgentState(agent_id=agent_id, state="logged_out"),))


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


def handle_seconds(agent: AgentRec, now: float) -> float:
    """How long the agent has handled their call, from the answer to now (0 when it was never answered)."""
    return now - agent.answered_at if agent.answered_at is not None else 0.0


def finish_wrap(agent: AgentRec, agent_id: int, disposition: str, ready: bool, now: float) -> Txn:
    """The agent closes the wrap-up of their call with a disposition (or the wrap-up timer does): ready
    (into their pools, idle from now) or not ready ("after_call"); an answered call's handle time is
    counted and rolls into the queue's average. `CallWrapped` carries no scope: the caller adds the
    call's center when it knows it."""
    fields = {"state": "ready" if ready else "not_ready", "since": now, "idle_since": now, "call_id": "",
              "wrap_until": "", "answered_at": "", "call_queue": "", "call_center": "",
              "reason": "" if ready else "after_call"}
    ops: list[Op] = [["zrem", WRAP, agent_id],
                     *(agent_free(agent, agent_id, fields, now) if ready else [["hset", ak(agent_id), fields]])]
    if agent.answered_at is not None:
        handle = handle_seconds(agent, now)
        ops += stats.count_ops(now, agent.call_queue, agent.call_center, test=is_test_call(agent.call_id),
                               handled=1, handle_ms=int(handle * 1000))
        ops.append(["ewma", aht_key(agent.call_queue), handle, AHT_ALPHA])  # the queue's rolling handle time
    wrapped = CallWrapped(call_id=agent.call_id, agent_id=agent_id, disposition=disposition)
    return Txn(checks=((ak(agent_id), "state", ("wrap_up",)), (ak(agent_id), "call_id", (agent.call_id,))),
               ops=tuple(ops), events=(wrapped, _agent_event(agent, agent_id, "ready" if ready else "not_ready")))
