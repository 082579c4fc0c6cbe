"""The ACD's assignment checker: it names each way calls and agents can disagree, and reads a
consistent snapshot from both stores."""

from __future__ import annotations

from agents.consistency import assignment_faults, check
from agents.records import AgentRec, CallRec
from core.clock import FakeClock
from core.state import MemoryStore, RedisStore
from tests import services


def agent(agent_id: int, state: str, call_id: str = "") -> AgentRec:
    return AgentRec(id=agent_id, state=state, call_id=call_id)


def call(call_id: str, state: str, agent_id: int | None = None) -> CallRec:
    return CallRec(call_id=call_id, state=state, agent_id=agent_id)


def test_a_consistent_state_has_no_faults() -> None:
    agents = {1: agent(1, "on_call", "c1"), 2: agent(2, "offered", "c2"), 3: agent(3, "ready"),
              4: agent(4, "wrap_up", "c4")}
    calls = {"c1": call("c1", "connected", 1), "c2": call("c2", "offered", 2), "c3": call("c3", "waiting"),
             "c4": call("c4", "ended", 4)}
    assert assignment_faults(agents, calls) == []


def test_an_agent_wrapping_up_a_transferred_call_is_not_a_second_holder() -> None:
    """After a transfer to a queue the first agent wraps up their leg while the call is offered to, or
    connected with, the next agent: both name it, one has it."""
    agents = {1: agent(1, "wrap_up", "c1"), 4: agent(4, "offered", "c1"), 5: agent(5, "wrap_up", "c2"),
              6: agent(6, "on_call", "c2")}
    calls = {"c1": call("c1", "offered", 4), "c2": call("c2", "connected", 6)}
    assert assignment_faults(agents, calls) == []
    agents[7] = agent(7, "on_call", "c2")  # two agents who have it now: still a fault
    assert assignment_faults(agents, calls) == ["call c2 is held by agents 6 and 7"]


def test_each_kind_of_disagreement_is_named() -> None:
    agents = {1: agent(1, "on_call", "c1"), 2: agent(2, "offered", "c1"), 3: agent(3, "on_call"),
              4: agent(4, "ready", "c9"), 5: agent(5, "on_call", "c5")}
    calls = {"c1": call("c1", "connected", 1), "c6": call("c6", "offered"), "c7": call("c7", "offered", 5)}
    assert assignment_faults(agents, calls) == [
        "call c1 is held by agents 1 and 2",
        "agent 3 is on_call without a call",
        "agent 4 is ready but still names call c9",
        "call c6 is offered without an agent",
        "call c7 is offered to agent 5, who holds c5",
    ]


def _store_faults(store) -> list[str]:  # type: ignore[no-untyped-def]
    for rec in (agent(1, "on_call", "c1"), agent(2, "on_call", "c1")):
        store.hset(f"acd:a:{rec.id}", mapping=rec.to_hash())
    store.hset("acd:c:c1", mapping=call("c1", "connected", 1).to_hash())
    store.hset("acd:agents", mapping={"1": "x"})  # other ACD keys are not records
    return check(store)


def test_check_reads_the_in_process_store() -> None:
    assert _store_faults(MemoryStore(FakeClock())) == ["call c1 is held by agents 1 and 2"]


def test_check_reads_redis_in_one_snapshot() -> None:
    services.require("redis")
    prefix = services.redis_prefix()
    store = RedisStore(services.REDIS_URL, prefix=prefix)
    try:
        assert _store_faults(store) == ["call c1 is held by agents 1 and 2"]
    finally:
        store.close()
        services.flush_prefix(prefix)


def test_the_operators_command_names_the_faults_and_fails(platform) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from agents.cli import acd_group

    runner = CliRunner()
    fine = runner.invoke(acd_group, ["check"], obj={"platform": platform})
    assert fine.exit_code == 0 and "calls and agents agree" in fine.output
    _store_faults(platform.store)
    broken = runner.invoke(acd_group, ["check"], obj={"platform": platform})
    assert broken.exit_code == 1 and "call c1 is held by agents 1 and 2" in broken.output
