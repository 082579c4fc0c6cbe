"""The ACD's declared events (`agents/events.py`): every event the ACD emits is declared, carries the
province of its call or agent as its envelope scope (filled by `ScopedBus` when the emitter did not
give it), and its personal numbers are masked on the console."""

from __future__ import annotations

from dataclasses import fields, replace

import pytest

from agents import events as acd_events
from agents.events import (
    AcdStats,
    AgentState,
    CallbackRequested,
    CallHeld,
    CallQueued,
    CallWithdrawn,
)
from agents.eventscope import ScopedBus
from agents.keys import ak, ck
from core.clock import FakeClock
from core.events import InProcessBus, declared_event_types, scope_field_of
from core.state import MemoryStore
from tests.agents.conftest import Recorder, add_agent, call
from web.sse import Viewer, visible

ACD_TYPES = {
    "acd.call.queued", "acd.call.offered", "acd.call.connected", "acd.call.ended", "acd.call.abandoned",
    "acd.call.withdrawn", "acd.call.requeued", "acd.call.held", "acd.call.resumed", "acd.call.transferred",
    "acd.call.wrapped", "acd.call.prioritised", "acd.call.moved", "acd.call.overflow",
    "acd.agent.state", "acd.agent.device",
    "acd.callback.missed", "acd.callback.requested", "acd.callback.queued", "acd.callback.retry",
    "acd.callback.completed",
    "acd.stats",
}


def test_the_acd_declares_each_of_its_event_types_once_in_agents_events() -> None:
    acd = {t: c for t, c in declared_event_types().items() if t.startswith("acd.")}
    assert set(acd) == ACD_TYPES
    assert all(c.__module__ == acd_events.__name__ for c in acd.values())
    assert all(scope_field_of(c) == "center_code" for c in acd.values())  # every one can be scoped


def test_a_day_at_the_acd_emits_only_declared_events_scoped_to_the_province_of_their_call_or_agent(
        acd, clock, recorder: Recorder) -> None:  # type: ignore[no-untyped-def]
    gd = add_agent(acd, "gd", "44", ("pension",), ready=True)
    bj = add_agent(acd, "bj", "11", ("pension",))
    # queue → offer → accept → hold → resume → end → wrap-up, in Guangdong
    acd.agents.enqueue(call("gd-1", "44-pension"))
    acd.agents.accept(gd, "gd-1")
    acd.agents.hold(gd, "gd-1")
    acd.agents.resume(gd, "gd-1")
    clock.advance(30)
    acd.agents.end_call("gd-1")
    acd.agents.wrap_up(gd, "resolved", ready=False)
    # a long wait abandoned in Beijing: a missed call, rung back, not reached, to be retried
    acd.agents.enqueue(call("bj-1", "11-pension", caller="18620001234"))
    clock.advance(30)
    acd.agents.abandon("bj-1")
    (missed,) = acd.agents.callbacks(status="pending")
    acd.agents.set_ready(bj)
    ring_back = acd.agents.dial_callback(missed["id"]).call_id
    acd.agents.accept(bj, ring_back)
    acd.agents.callback_result(ring_back, "no_answer")
    # a virtual hold in Guangdong, reached
    acd.agents.enqueue(call("gd-2", "44-pension"))
    acd.agents.request_callback("gd-2", "13900001234")
    acd.agents.set_ready(gd)
    acd.agents.accept(gd, "gd-2")
    acd.agents.callback_result("gd-2", "reached")
    acd.agents.tick()

    declared = declared_event_types()
    assert {e.type for e in recorder.events} >= {
        "acd.call.queued", "acd.call.offered", "acd.call.connected", "acd.call.held", "acd.call.resumed",
        "acd.call.ended", "acd.call.wrapped", "acd.call.abandoned", "acd.agent.state", "acd.callback.missed",
        "acd.callback.queued", "acd.callback.retry", "acd.callback.requested", "acd.callback.completed",
        "acd.stats"}
    assert all(declared[e.type].__module__ == acd_events.__name__ for e in recorder.events)

    call_center = {"gd-1": "44", "gd-2": "44", "bj-1": "11", ring_back: "11"}
    agent_center = {gd: "44", bj: "11"}
    for event in recorder.events:
        if event.type == "acd.stats":
            assert event.scope is None  # national figures: national roles only
            continue
        call_id = event.data.get("call_id")
        expected = call_center[call_id] if call_id else agent_center[event.data["agent_id"]]
        assert (event.type, event.scope) == (event.type, expected)
        assert event.data["center_code"] == expected  # the wire keeps the key consumers read
        if event.data.get("agent_id") is not None:
            assert event.agent_id == str(event.data["agent_id"])
    logins = [e for e in recorder.of("acd.agent.state") if e.data["reason"] == "login"]
    assert [(e.data["agent_id"], e.data["center_code"]) for e in logins] == [(gd, "44"), (bj, "11")]
    assert "center" not in logins[0].data


def test_the_scoped_bus_fills_the_scope_from_the_call_then_the_agent_then_the_queue() -> None:
    store = MemoryStore(FakeClock())
    store.hset(ck("c1"), {"center": "44"})
    store.hset(ak(7), {"center": "11"})
    bus = ScopedBus(InProcessBus("n", FakeClock()), store)
    held = bus.emit(CallHeld(call_id="c1", agent_id=7))
    assert (held.scope, held.data["center_code"], held.agent_id) == ("44", "44", "7")
    assert bus.emit(AgentState(agent_id=7, state="ready")).scope == "11"
    assert bus.emit(CallWithdrawn(call_id="gone", queue_id="42-labour")).scope == "42"  # the call's record is gone
    assert bus.emit(CallQueued(call_id="c1", center_code="51")).scope == "51"  # a scope given is kept
    assert bus.emit(AcdStats(stats_scope="national", agents_by_state={})).scope is None
    assert bus.publish("acd.call.held", call_id="c1", agent_id=7).scope == "44"  # by name: scoped the same
    with pytest.raises(TypeError):
        bus.publish("acd.call.held", call_id="c1", agent_id=7, centre="44")  # an undeclared field
    with pytest.raises(ValueError):
        bus.publish("acd.call.parked", call_id="c1")  # an undeclared type


def test_a_callback_number_is_masked_on_the_console() -> None:
    wire = InProcessBus("n", FakeClock()).emit(
        CallbackRequested(callback_id=1, call_id="c1", center_code="44", number="13900001234"))
    assert wire.masks == (("number", "phone"),)
    supervisor = Viewer(user_id=1, roles=frozenset({"supervisor"}), province_scope="44")
    unscrubbed = replace(wire, data={**wire.data, "number": "13900001234"})  # masked even if it came through whole
    assert visible(supervisor, unscrubbed)["number"] == "139****1234"
    assert visible(supervisor, wire)["number"] == "139****1234"


def test_the_stats_event_declares_every_live_figure(acd) -> None:  # type: ignore[no-untyped-def]
    figures = acd.agents.stats("national")
    event = AcdStats.of(figures)
    assert {f.name for f in fields(event)} == (set(figures) - {"scope"}) | {"stats_scope", "center_code"}
    assert event.stats_scope == "national" and event.center_code is None
    assert AcdStats.of(acd.agents.stats("center:44")).center_code == "44"
    assert AcdStats.of(acd.agents.stats("44-pension")).center_code == "44"
