"""Two nodes (two ACD service instances) sharing one Redis hammer offers and accepts from threads:
no agent may ever hold two calls and no call may ever go to two agents."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from agents.domain import AcdError
from core.clock import FakeClock
from core.state import RedisStore
from hotline.platform import Platform
from tests import services
from tests.agents.conftest import Recorder, add_agent, call, make_platform

AGENTS, CALLS = 24, 120


@pytest.fixture
def two_nodes(tmp_path: Path, clock: FakeClock) -> Iterator[tuple[Platform, Platform]]:
    services.require("redis")
    prefix = services.redis_prefix()
    a = make_platform(tmp_path, clock, RedisStore(services.REDIS_URL, prefix=prefix), node="node-a")
    b = make_platform(tmp_path, clock, RedisStore(services.REDIS_URL, prefix=prefix), node="node-b")
    yield a, b
    a.close()
    b.close()
    services.flush_prefix(prefix)


def _run_threads(targets: list) -> list[BaseException]:
    errors: list[BaseException] = []

    def wrap(fn):  # type: ignore[no-untyped-def]
        def run() -> None:
            try:
                fn()
            except BaseException as exc:  # noqa: BLE001 - reported by the test
                errors.append(exc)
        return run

    threads = [threading.Thread(target=wrap(t)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return errors


def test_no_double_assignment_between_two_nodes(two_nodes: tuple[Platform, Platform]) -> None:
    a, b = two_nodes
    rec_a, rec_b = Recorder(a), Recorder(b)
    agent_ids = [add_agent(a, f"agent-{i}", "44", ("pension",), login=True) for i in range(AGENTS)]
    nodes = (a, b)
    stop = threading.Event()
    handled: Counter[str] = Counter()
    lock = threading.Lock()

    def enqueue(node: Platform, start: int) -> None:
        for i in range(start, CALLS, 2):
            node.agents.enqueue(call(f"c{i}", "44-pension"))

    def ticker(node: Platform) -> None:
        while not stop.is_set():
            node.agents.tick()

    samples, overlaps = [0], []

    def sampler() -> None:
        """Watch the shared state: a call id may never sit with two agents."""
        while not stop.is_set():
            held = [x.call_id for x in b.agents.agents_live("44") if x.call_id]
            samples[0] += 1
            if len(held) != len(set(held)):
                overlaps.append(held)

    def agent_loop(node: Platform, other: Platform, agent_id: int) -> None:
        """Both nodes race for the same agent's commands: ready, accept, end, wrap-up."""
        for n in (node, other):
            try:
                n.agents.set_ready(agent_id)
            except AcdError:
                pass
        while not stop.is_set():
            st = node.agents.agent_status(agent_id)
            if st.state != "offered":
                continue
            wins = 0
            for n in (node, other):  # both nodes try to accept: exactly one may win
                try:
                    n.agents.accept(agent_id, st.call_id)
                    wins += 1
                except AcdError:
                    pass
            assert wins == 1
            with lock:
                handled[st.call_id] += 1
                if sum(handled.values()) >= CALLS:
                    stop.set()
            node.agents.end_call(st.call_id)
            other.agents.wrap_up(agent_id, "resolved")

    workers = [lambda n=n, s=s: enqueue(n, s) for n, s in ((a, 0), (b, 1))]
    workers += [lambda n=n: ticker(n) for n in nodes] + [sampler]
    workers += [lambda i=i, ag=ag: agent_loop(nodes[i % 2], nodes[1 - i % 2], ag) for i, ag in enumerate(agent_ids)]
    timer = threading.Timer(90, stop.set)
    timer.start()
    errors = _run_threads(workers)
    timer.cancel()
    assert errors == []
    assert len(handled) == CALLS and set(handled.values()) == {1}
    offers = rec_a.of("acd.call.offered") + rec_b.of("acd.call.offered")
    per_call = Counter(e.data["call_id"] for e in offers)
    assert len(per_call) == CALLS and set(per_call.values()) == {1}, "a call was offered twice"
    connected = rec_a.of("acd.call.connected") + rec_b.of("acd.call.connected")
    assert Counter(e.data["call_id"] for e in connected) == Counter({f"c{i}": 1 for i in range(CALLS)})
    # Every offer to an agent was wrapped up before the next: offers and wrap-ups pair up per agent.
    wrapped = Counter(e.data["agent_id"] for e in rec_a.of("acd.call.wrapped") + rec_b.of("acd.call.wrapped"))
    assert Counter(e.data["agent_id"] for e in offers) == wrapped
    assert samples[0] > 0 and overlaps == [], f"a call was held by two agents at once: {overlaps[:3]}"
    statuses = a.agents.agents_live("44")
    assert all(s.state == "ready" and s.call_id is None for s in statuses)
    assert a.agents.stats("44-pension")["answered"] == CALLS


def test_racing_matchers_on_two_nodes(two_nodes: tuple[Platform, Platform]) -> None:
    """Calls waiting, then every agent turns ready while both nodes run the matcher as fast as they
    can: each agent ends with at most one call, each call with at most one agent."""
    a, b = two_nodes
    agent_ids = [add_agent(a, f"r-{i}", "11", ("card",), login=True) for i in range(30)]
    for i in range(40):
        a.agents.enqueue(call(f"w{i}", "11-card"))
    barrier = threading.Barrier(len(agent_ids) + 4)

    def ready(node: Platform, agent_id: int) -> None:
        barrier.wait()
        try:
            node.agents.set_ready(agent_id)
        except AcdError:
            pass

    def matcher(node: Platform) -> None:
        barrier.wait()
        for _ in range(20):
            node.agents.tick()

    workers = [lambda i=i, ag=ag: ready((a, b)[i % 2], ag) for i, ag in enumerate(agent_ids)]
    workers += [lambda n=n: matcher(n) for n in (a, b, a, b)]
    assert _run_threads(workers) == []
    statuses = a.agents.agents_live("11")
    taken = [s.call_id for s in statuses if s.call_id]
    assert len(taken) == len(set(taken)) == 30, "every agent has exactly one distinct call"
    for s in statuses:
        st = a.agents.call_status(s.call_id)
        assert st.state == "offered" and st.agent_id == s.agent_id
    waiting = [f"w{i}" for i in range(40) if a.agents.call_status(f"w{i}").state == "waiting"]
    assert len(waiting) == 10 and a.agents.center_load("11") == 10


def test_a_hash_kept_by_one_node_and_changed_by_the_other_is_read_again(two_nodes: tuple[Platform, Platform],
                                                                       clock: FakeClock) -> None:
    """Issue 18: a node computes an agent's next transition from the hashes it kept from its own last
    change (one round trip). When the other node changed them meanwhile, the kept versions no longer
    hold: nothing is applied and the node decides again on what the store holds now."""
    a, b = two_nodes
    agent = add_agent(a, "agent", "44", ("pension",), ready=True)
    a.agents.enqueue(call("c1", "44-pension"))  # offered at once: node a keeps both hashes
    a.agents.accept(agent, "c1")
    b.agents.hold(agent, "c1")  # node b changes the call behind a's back
    clock.advance(30)
    b.agents.resume(agent, "c1")
    a.agents.end_call("c1")  # from a's kept hash the held time would be lost
    ended = a.store.hgetall("acd:c:c1")
    assert ended["state"] == "ended" and int(ended["hold_ms"]) == 30_000
    assert a.agents.agent_status(agent).state == "wrap_up"
    b.agents.wrap_up(agent, "resolved", ready=False)  # b finishes the wrap-up a kept the agent in
    with pytest.raises(AcdError) as refused:  # a's kept hash says wrap-up; the store says not ready
        a.agents.wrap_up(agent, "resolved")
    assert refused.value.code == "not_wrap_up"
    b.agents.set_ready(agent)
    b.agents.enqueue(call("c2", "44-pension"))  # b offers c2; a never saw it
    b.agents.decline(agent, "c2")  # back in the queue, the agent not ready
    b.agents.set_ready(agent)  # b offers it again
    a.agents.accept(agent, "c2")  # a keeps the first offer's hashes of agent and call
    assert a.agents.agent_status(agent).state == "on_call"
    assert a.store.hgetall("acd:c:c2")["state"] == "connected"
