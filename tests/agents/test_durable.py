"""The durable side (directory, agents, wrap-ups, callbacks, interval history) on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.agents.conftest import add_agent, call


def test_durable_tables_on_both_databases(any_platform, clock) -> None:  # type: ignore[no-untyped-def]
    p = any_platform
    assert len(p.switch.centers()) == 33
    p.switch.update_center("44", capacity=5, overflow=["center:51", "callback"])
    assert p.switch.center("44").overflow == ("center:51", "callback")
    with pytest.raises(ValueError):
        p.switch.update_center("44", mode="sideways")
    with pytest.raises(ValueError):
        p.switch.update_center("44", colour="red")
    with pytest.raises(ValueError):
        p.switch.set_override(clock.now().date(), "party")
    agent = add_agent(p, "a", "44", ("pension",), ready=True)
    p.agents.enqueue(call("c1", "44-pension"))
    p.agents.accept(agent, "c1")
    clock.advance(90)
    p.agents.end_call("c1")
    p.agents.wrap_up(agent, "sms_sent", "已发送办理材料清单", ready=False)
    p.agents.enqueue(call("c2", "44-pension", caller="18620001234"))
    clock.advance(40)
    p.agents.abandon("c2")
    assert [cb["call_id"] for cb in p.agents.callbacks()] == ["c2"]
    p.agents.tick()
    clock.advance(900)
    p.agents.tick()
    start = clock.now() - timedelta(hours=1)
    national = p.agents.history("national", start, clock.now())
    assert len(national) == 1
    row = national[0]
    assert (row["offered"], row["answered"], row["abandoned"], row["handled"]) == (2, 1, 1, 1)
    assert row["aht"] == 90.0 and row["service_level"] == 0.5


def test_open_interval_and_per_agent_report(platform, clock) -> None:  # type: ignore[no-untyped-def]
    a = add_agent(platform, "a", "44", ("pension",), ready=True)
    b = add_agent(platform, "b", "11", ("pension",), ready=True)
    for cid, agent, queue, talk, disposition in (("c1", a, "44-pension", 60, "resolved"),
                                                 ("c2", b, "11-pension", 120, "callback"),
                                                 ("c3", a, "44-pension", 180, "resolved")):
        platform.agents.enqueue(call(cid, queue))
        platform.agents.accept(agent, cid)
        clock.advance(talk)
        platform.agents.end_call(cid)
        platform.agents.wrap_up(agent, disposition)
    since = clock.now() - timedelta(hours=1)
    until = clock.now() + timedelta(hours=1)
    live = platform.agents.current_interval("center:44")
    assert (live["offered"], live["answered"], live["aht"]) == (2, 2, 120.0)
    assert platform.agents.intervals("44", since, until) == [live]
    report = platform.agents.handled_by_agent(since, until)
    assert [(r["agent_id"], r["handled"], r["aht"], r["dispositions"]) for r in report] == [
        (a, 2, 120.0, {"resolved": 2}), (b, 1, 120.0, {"callback": 1})]
    assert [r["agent_id"] for r in platform.agents.handled_by_agent(since, until, "11")] == [b]
