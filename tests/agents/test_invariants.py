"""Random sequences of IVR and console commands (Hypothesis state machine) on both stores; after every
step the real-time state must be consistent: agents and calls point at each other, queues hold exactly
the waiting calls, the per-center load counter matches, ready pools hold exactly the ready agents."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from agents import consistency
from agents.domain import AcdError
from agents.keys import RPOOLS, agent_pools, ak, ck, qk, qlk, rk
from core.clock import FakeClock
from core.events import InProcessBus
from core.state import MemoryStore, RedisStore
from hotline.platform import Platform
from tests import services
from tests.agents.conftest import add_agent, call, make_platform

QUEUES = ("44-pension", "44-card", "00-pension")
AGENT_DEFS = (("g1", "44", ("pension",)), ("g2", "44", ("pension", "card")), ("g3", "44", ("general",)),
              ("n1", "00", ("pension", "general")))


def check_consistent(p: Platform) -> None:
    store = p.store
    assert consistency.check(store) == []  # the product's own checker (also run by the two-node bench)
    agents = {a.agent_id: a for a in p.agents.agents_live()}
    calls = {k[len("acd:c:"):]: store.hgetall(k) for k in store.keys("acd:c:*")}
    holders: dict[str, int] = {}
    for a in agents.values():
        if a.state in ("offered", "on_call", "wrap_up"):
            assert a.call_id, a
            if a.state != "wrap_up":  # in wrap-up an agent may name a call transferred on since
                assert a.call_id not in holders, f"call {a.call_id} held by two agents"
                holders[a.call_id] = a.agent_id
        else:
            assert a.call_id is None, a
        pools = agent_pools(store.hgetall(ak(a.agent_id)))
        assert len(pools) > len(json.loads(store.hget(ak(a.agent_id), "pools") or "[]"))  # language pools too
        for pool in pools:
            assert (store.zscore(pool, str(a.agent_id)) is not None) == (a.state == "ready"), (a, pool)
            if a.state == "ready":
                assert pool in store.smembers(RPOOLS)
    load: dict[str, int] = {}
    for cid, c in calls.items():
        in_queue = store.zscore(qk(c["queue_id"]), cid) is not None
        assert in_queue == (c["state"] in ("waiting", "callback")), (cid, c["state"])
        # the per-language index holds the call exactly when its queue does, at the same score
        assert store.zscore(qlk(c["queue_id"], c.get("language") or "zh"), cid) == store.zscore(qk(c["queue_id"]), cid)
        if in_queue:
            load[c["center"]] = load.get(c["center"], 0) + 1
        if c["state"] in ("offered", "connected"):
            agent = agents[int(c["agent_id"])]
            assert agent.call_id == cid and agent.state == ("offered" if c["state"] == "offered" else "on_call")
    for center in ("44", "00"):
        assert p.agents.center_load(center) == load.get(center, 0)
    for key in store.keys("acd:ql:*"):  # no call left behind in another queue's or language's index
        queue_id, _, language = key[len("acd:ql:"):].rpartition(":")
        for cid, _ in store.zrange(key, 0, -1):
            c = calls.get(cid) or {}
            assert (c.get("queue_id"), c.get("language") or "zh") == (queue_id, language), (key, cid, c)


class AcdMachine(RuleBasedStateMachine):
    make_store: object = None
    base: Platform
    agent_ids: list[int]

    @initialize()
    def start(self) -> None:
        self.clock = FakeClock()
        self.store = type(self).make_store(self.clock)  # type: ignore[misc]
        self.p = Platform(self.base.settings, clock=self.clock, store=self.store,
                          bus=InProcessBus("hyp", self.clock))
        self.n = 0
        for a in self.agent_ids:
            self.p.agents.login(a)

    def teardown(self) -> None:
        prefix = getattr(self.store, "prefix", None)
        self.p.close()
        if prefix:
            services.flush_prefix(prefix)

    def _try(self, fn, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        try:
            fn(*args, **kwargs)
        except AcdError:
            pass

    @rule(queue=st.sampled_from(QUEUES), priority=st.integers(0, 2), language=st.sampled_from(["zh", "zh", "yue"]))
    def enqueue(self, queue: str, priority: int, language: str) -> None:
        self.n += 1
        self.p.agents.enqueue(call(f"h{self.n}", queue, priority=priority, language=language))

    @rule(i=st.integers(0, 3))
    def ready(self, i: int) -> None:
        self._try(self.p.agents.set_ready, self.agent_ids[i])

    @rule(i=st.integers(0, 3))
    def not_ready(self, i: int) -> None:
        self._try(self.p.agents.set_not_ready, self.agent_ids[i], "break")

    @rule(i=st.integers(0, 3), decline=st.booleans())
    def answer(self, i: int, decline: bool) -> None:
        a = self.p.agents.agent_status(self.agent_ids[i])
        if a.state == "offered":
            (self.p.agents.decline if decline else self.p.agents.accept)(a.agent_id, a.call_id)

    @rule(i=st.integers(0, 3), action=st.sampled_from(["end", "hold", "transfer"]))
    def on_call(self, i: int, action: str) -> None:
        a = self.p.agents.agent_status(self.agent_ids[i])
        if a.state != "on_call":
            return
        if action == "end":
            self.p.agents.end_call(a.call_id)
        elif action == "hold":
            self._try(self.p.agents.hold, a.agent_id, a.call_id)
        else:
            self.p.switch.transfer(a.agent_id, a.call_id, center_code="00", notes="转全国")

    @rule(i=st.integers(0, 3), ready=st.booleans())
    def wrap(self, i: int, ready: bool) -> None:
        self._try(self.p.agents.wrap_up, self.agent_ids[i], "resolved", ready=ready)

    @rule(k=st.integers(1, 40))
    def hang_up(self, k: int) -> None:
        if k <= self.n:
            self.p.agents.abandon(f"h{k}")

    @rule(k=st.integers(1, 40))
    def virtual_hold(self, k: int) -> None:
        if k <= self.n:
            self._try(self.p.agents.request_callback, f"h{k}", "18620001234")

    @rule(seconds=st.sampled_from([1, 10, 16, 35, 70, 130, 610]))
    def time_passes(self, seconds: int) -> None:
        self.clock.advance(seconds)
        self.p.agents.tick()

    @invariant()
    def consistent(self) -> None:
        if hasattr(self, "p"):
            check_consistent(self.p)


class TwoNodeMachine(AcdMachine):
    """The same commands on two nodes sharing one Redis, the node switched at random between steps:
    each keeps its own copies of the hashes it last read or changed (agents.state), so a command often
    meets a copy the other node has changed since (issue 18). The invariants hold even with the kept
    versions' check switched off (150 examples tried): the state checks keep the structure; what a
    stale copy would get wrong are fields they do not check (the held time, statistics), which
    test_two_nodes.py's kept-hash test asserts."""

    @initialize()
    def start(self) -> None:
        super().start()
        prefix = self.store.prefix  # type: ignore[attr-defined]
        self.other_store = RedisStore(services.REDIS_URL, prefix=prefix)
        self.other = Platform(self.base.settings, clock=self.clock, store=self.other_store,
                              bus=InProcessBus("hyp-2", self.clock))
        self.nodes = [self.p, self.other]

    @rule()
    def switch_node(self) -> None:
        self.nodes.reverse()
        self.p = self.nodes[0]

    def teardown(self) -> None:
        if hasattr(self, "other"):
            self.other.close()
        super().teardown()


def _run(tmp_path: Path, make_store, examples: int, machine: type[AcdMachine] = AcdMachine) -> None:  # type: ignore[no-untyped-def]
    clock = FakeClock()
    base = make_platform(tmp_path, clock, MemoryStore(clock))
    ids = [add_agent(base, name, center, skills, login=False) for name, center, skills in AGENT_DEFS]

    class Machine(machine):  # type: ignore[valid-type,misc]
        pass

    Machine.make_store = staticmethod(make_store)  # type: ignore[assignment]
    Machine.base, Machine.agent_ids = base, ids
    test = Machine.TestCase
    test.settings = settings(max_examples=examples, stateful_step_count=30, deadline=None,
                             suppress_health_check=list(HealthCheck))
    try:
        test().runTest()
    finally:
        base.close()


def test_random_commands_keep_state_consistent_in_process(tmp_path: Path) -> None:
    _run(tmp_path, lambda clock: MemoryStore(clock), examples=40)


def test_random_commands_keep_state_consistent_on_redis(tmp_path: Path, redis_url: str) -> None:
    _run(tmp_path, lambda clock: RedisStore(redis_url, prefix=services.redis_prefix()), examples=15)


def test_random_commands_on_two_nodes_keep_state_consistent_on_redis(tmp_path: Path, redis_url: str) -> None:
    _run(tmp_path, lambda clock: RedisStore(redis_url, prefix=services.redis_prefix()), examples=15,
         machine=TwoNodeMachine)


def test_consistency_check_catches_a_broken_state(platform) -> None:  # type: ignore[no-untyped-def]
    agent = add_agent(platform, "a", "44", ("pension",), ready=True)
    platform.agents.enqueue(call("c1", "44-pension"))
    check_consistent(platform)
    platform.store.hset(ck("c1"), {"state": "waiting"})  # corrupt: offered call marked waiting
    with pytest.raises(AssertionError):
        check_consistent(platform)
    platform.store.hset(ck("c1"), {"state": "offered"})
    platform.store.zadd(rk("44", "pension"), {str(agent): 1.0})  # corrupt: offered agent in a ready pool
    with pytest.raises(AssertionError):
        check_consistent(platform)
