"""The ACD conformance suite: every test runs on the in-process and on the Redis state store."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from agents import stats
from agents.domain import AcdError
from agents.models import IntervalStat, WrapUp
from bench.acd import RoundTrips
from tests.agents.conftest import Recorder, add_agent, call


def test_longest_idle_skilled_agent_gets_the_call(acd, clock, recorder: Recorder) -> None:
    medical = add_agent(acd, "m", "44", ("medical",), ready=True)
    clock.advance(5)
    first = add_agent(acd, "a", "44", ("pension",), ready=True)
    clock.advance(5)
    second = add_agent(acd, "b", "44", ("pension",), ready=True)
    clock.advance(5)
    st = acd.agents.enqueue(call("c1", "44-pension"))
    assert st.state == "offered" and st.agent_id == first
    assert st.agent_endpoint == f"PJSIP/agent-{first}"
    st2 = acd.agents.enqueue(call("c2", "44-pension"))
    assert st2.agent_id == second
    st3 = acd.agents.enqueue(call("c3", "44-pension"))
    assert st3.state == "waiting" and st3.position == 0
    assert acd.agents.agent_status(medical).state == "ready"
    offered = recorder.of("acd.call.offered")
    assert [(e.data["call_id"], e.data["agent_id"]) for e in offered] == [("c1", first), ("c2", second)]


def test_agent_becoming_ready_takes_longest_waiting_call(acd, clock) -> None:
    agent = add_agent(acd, "a", "11", ("pension", "card"))
    acd.agents.enqueue(call("late-card", "11-card"))
    clock.advance(1)
    acd.agents.enqueue(call("later-pension", "11-pension"))
    clock.advance(1)
    acd.agents.set_ready(agent)
    assert acd.agents.agent_status(agent).call_id == "late-card"


def test_language_is_respected(acd) -> None:
    add_agent(acd, "mandarin", "44", ("pension",), ready=True)
    canto = add_agent(acd, "canto", "44", ("pension",), languages=("zh", "yue"), ready=True)
    st = acd.agents.enqueue(call("c1", "44-pension", language="yue"))
    assert st.agent_id == canto


def test_a_call_only_some_agents_can_take_is_found_wherever_it_stands_in_the_queue(acd, clock) -> None:
    """Eight Mandarin calls wait (no Mandarin agent free); a Cantonese caller queued behind them is taken
    by a Cantonese-only agent who becomes ready, and a Mandarin caller behind eight Cantonese ones by a
    Mandarin agent: matching reads each queue per caller language, not only its first few calls."""
    for n in range(8):
        acd.agents.enqueue(call(f"zh-{n}", "44-pension"))
        clock.advance(1)
    acd.agents.enqueue(call("yue-late", "44-pension", language="yue"))
    canto = add_agent(acd, "canto-only", "44", ("pension",), languages=("yue",), ready=True)
    assert acd.agents.agent_status(canto).call_id == "yue-late"

    for n in range(8):
        acd.agents.enqueue(call(f"yue-{n}", "11-card", language="yue"))
        clock.advance(1)
    acd.agents.enqueue(call("zh-late", "11-card"))
    mandarin = add_agent(acd, "mandarin-only", "11", ("card",), ready=True)
    assert acd.agents.agent_status(mandarin).call_id == "zh-late"
    assert acd.agents.call_status("zh-0").state == "waiting"  # nobody took the calls no free agent speaks for
    assert acd.agents.call_status("yue-0").state == "waiting"


def test_a_rare_language_call_finds_its_agent_behind_many_longer_idle_agents(acd, clock) -> None:
    """Twelve Mandarin-only agents have been idle longer than the one Cantonese agent of the pool (more
    than the matcher reads per pool): a Cantonese caller still gets the Cantonese agent at once, and a
    Mandarin caller the longest-idle Mandarin agent (the ready pools are indexed per language too)."""
    mandarin = []
    for n in range(12):
        mandarin.append(add_agent(acd, f"zh-{n}", "44", ("pension",), ready=True))
        clock.advance(1)
    canto = add_agent(acd, "canto", "44", ("pension",), languages=("yue",), ready=True)
    clock.advance(1)
    assert acd.agents.enqueue(call("yue-1", "44-pension", language="yue")).agent_id == canto
    assert acd.agents.enqueue(call("zh-1", "44-pension")).agent_id == mandarin[0]


def test_a_rare_language_call_behind_many_is_matched_by_the_timer_too(acd, clock) -> None:
    """The same found by the timer's pass: a Cantonese call waits behind seven Mandarin calls in a
    queue with no agent; its tier widens to the center's general agents, of whom only the
    longest-idle ones speak Mandarin."""
    for n in range(7):
        acd.agents.enqueue(call(f"zh-{n}", "44-pension"))
    acd.agents.enqueue(call("yue-late", "44-pension", language="yue"))
    for n in range(10):
        add_agent(acd, f"gen-{n}", "44", ("general",), ready=True)
        clock.advance(1)
    canto = add_agent(acd, "canto-gen", "44", ("general",), languages=("yue",), ready=True)
    assert acd.agents.agent_status(canto).state == "ready"  # the call's tier does not reach general yet
    clock.advance(60)
    acd.agents.tick()
    assert acd.agents.agent_status(canto).call_id == "yue-late"


def test_agents_ready_before_the_language_pools_existed_are_found_after_the_first_tick(acd, clock) -> None:
    """A rolling upgrade: a ready agent that an older node put only in its skill pool is put in its
    language pools on the new node's first timer pass and then matched as usual."""
    from agents.keys import rlk

    agent = add_agent(acd, "canto", "44", ("pension",), languages=("yue",), ready=True)
    acd.store.zrem(rlk("44", "pension", "yue"), str(agent))  # what an older node's pools look like
    assert acd.agents.enqueue(call("c1", "44-pension", language="yue")).state == "waiting"
    acd.agents.tick()
    assert acd.agents.agent_status(agent).call_id == "c1"


def test_calls_queued_before_the_language_indexes_are_matched_after_the_first_tick(acd, clock) -> None:
    """A rolling upgrade: calls waiting in a queue without the per-language index (as an older node left
    them) are indexed on the new node's first timer pass and then matched as usual."""
    from agents.keys import qlk

    acd.agents.enqueue(call("old-1", "44-pension"))
    acd.agents.enqueue(call("old-2", "44-pension", language="yue"))
    for cid, lang in (("old-1", "zh"), ("old-2", "yue")):
        acd.store.zrem(qlk("44-pension", lang), cid)  # what an older node's queue looks like
    agent = add_agent(acd, "canto", "44", ("pension",), languages=("yue",), ready=True)
    assert acd.agents.agent_status(agent).state == "ready"  # nothing found without the index
    acd.agents.tick()
    assert acd.agents.agent_status(agent).call_id == "old-2"
    assert acd.store.zscore(qlk("44-pension", "zh"), "old-1") is not None


def test_ring_no_answer_requeues_at_head_and_agent_not_ready(acd, clock, recorder: Recorder) -> None:
    agent = add_agent(acd, "a", "44", ("pension",), ready=True)
    acd.agents.enqueue(call("c1", "44-pension"))
    clock.advance(1)
    acd.agents.enqueue(call("c2", "44-pension"))
    clock.advance(13)
    acd.agents.tick()
    assert acd.agents.call_status("c1").state == "offered"  # 14 s: still ringing
    clock.advance(2)
    acd.agents.tick()
    st = acd.agents.call_status("c1")
    assert st.state == "waiting" and st.position == 0 and st.agent_id is None
    status = acd.agents.agent_status(agent)
    assert status.state == "not_ready" and status.reason == "no_answer"
    other = add_agent(acd, "b", "44", ("pension",), ready=True)
    assert acd.agents.call_status("c1").agent_id == other
    assert acd.agents.stats("44-pension")["ring_no_answer"] == 1
    assert "acd.call.requeued" in recorder.types()


def test_accept_only_by_the_offered_agent(acd) -> None:
    a = add_agent(acd, "a", "44", ("pension",), ready=True)
    b = add_agent(acd, "b", "44", ("pension",), ready=True)
    acd.agents.enqueue(call("c1", "44-pension"))
    with pytest.raises(AcdError):
        acd.agents.accept(b, "c1")
    assert acd.agents.accept(a, "c1").state == "connected"
    with pytest.raises(AcdError):
        acd.agents.accept(a, "c1")  # twice
    assert acd.agents.agent_status(a).state == "on_call"


def test_wrap_up_timer_and_disposition(acd, clock) -> None:
    agent = add_agent(acd, "a", "11", ("pension",), ready=True)
    acd.agents.enqueue(call("c1", "11-pension"))
    acd.agents.accept(agent, "c1")
    clock.advance(100)
    acd.agents.end_call("c1")
    assert acd.agents.agent_status(agent).state == "wrap_up"
    clock.advance(29)
    acd.agents.tick()
    assert acd.agents.agent_status(agent).state == "wrap_up"
    clock.advance(2)
    acd.agents.tick()
    assert acd.agents.agent_status(agent).state == "ready"
    acd.agents.enqueue(call("c2", "11-pension"))
    acd.agents.accept(agent, "c2")
    clock.advance(60)
    acd.agents.end_call("c2")
    clock.advance(10)
    with pytest.raises(AcdError):
        acd.agents.wrap_up(agent, "not-a-code")
    acd.agents.wrap_up(agent, "resolved", "解释了养老金领取条件", ready=False)
    assert acd.agents.agent_status(agent).state == "not_ready"
    with acd.db.session() as s:
        rows = s.execute(select(WrapUp).order_by(WrapUp.id)).scalars().all()
    assert [(r.call_id, r.disposition, r.handle_seconds) for r in rows] == [("c1", "none", 131), ("c2", "resolved", 70)]
    assert rows[1].notes == "解释了养老金领取条件"


def test_a_wrap_up_the_database_cannot_store_leaves_the_agent_in_wrap_up(acd, clock) -> None:
    """The wrap-up row is written before the state change and committed after it: when the database
    refuses it nothing changes (the agent can wrap up again), and a refused state change leaves no row."""
    from sqlalchemy import text

    agent = add_agent(acd, "a", "11", ("pension",), ready=True)
    acd.agents.enqueue(call("c1", "11-pension"))
    acd.agents.accept(agent, "c1")
    acd.agents.end_call("c1")
    with acd.db.engine.begin() as conn:  # the database refuses wrap-up rows for a while
        conn.execute(text("CREATE TRIGGER refuse BEFORE INSERT ON acd_wrapups "
                          "BEGIN SELECT RAISE(ABORT, 'disk full'); END"))
    with pytest.raises(Exception, match="disk full"):
        acd.agents.wrap_up(agent, "resolved")
    assert acd.agents.agent_status(agent).state == "wrap_up"
    with acd.db.engine.begin() as conn:
        conn.execute(text("DROP TRIGGER refuse"))
    acd.agents.wrap_up(agent, "resolved")
    assert acd.agents.agent_status(agent).state == "ready"
    with pytest.raises(AcdError):  # not in wrap-up any more: refused, and no second row
        acd.agents.wrap_up(agent, "resolved")
    with acd.db.session() as s:
        assert [r.call_id for r in s.execute(select(WrapUp)).scalars()] == ["c1"]


def test_priorities_callbacks_then_elderly_then_others(acd, clock) -> None:
    agent = add_agent(acd, "a", "51", ("medical",))
    acd.agents.enqueue(call("normal", "51-medical", priority=0))
    clock.advance(1)
    acd.agents.enqueue(call("elderly", "51-medical", priority=1))
    clock.advance(1)
    acd.agents.enqueue(call("callback", "51-medical", priority=2))
    assert acd.agents.call_status("normal").position == 2
    order = []
    for _ in range(3):
        acd.agents.set_ready(agent)
        cid = acd.agents.agent_status(agent).call_id
        order.append(cid)
        acd.agents.accept(agent, cid)
        acd.agents.end_call(cid)
        acd.agents.wrap_up(agent, "resolved", ready=False)
    assert order == ["callback", "elderly", "normal"]


def test_virtual_hold_keeps_place(acd, clock, recorder: Recorder) -> None:
    for i in range(3):
        acd.agents.enqueue(call(f"c{i}", "44-card"))
        clock.advance(1)
    st = acd.agents.request_callback("c1", "186 2000 1234")
    assert st.state == "callback" and st.position == 1
    acd.agents.abandon("c1")  # the caller hangs up after leaving a number: the place is kept
    assert acd.agents.call_status("c1").state == "callback"
    with pytest.raises(AcdError):
        acd.agents.request_callback("c2", "12")  # not a phone number: refused, nothing lost
    assert acd.agents.call_status("c2").state == "waiting"
    agent = add_agent(acd, "a", "44", ("card",), ready=True)
    assert acd.agents.agent_status(agent).call_id == "c0"
    acd.agents.accept(agent, "c0")
    acd.agents.end_call("c0")
    acd.agents.wrap_up(agent, "resolved")
    assert acd.agents.agent_status(agent).call_id == "c1"
    offered = recorder.of("acd.call.offered")[-1]
    assert offered.data["call_id"] == "c1" and offered.data["callback"] is True
    assert acd.agents.call_context("c1")["callback_number_masked"] == "186****1234"
    assert acd.agents.callback_number("c1") == "18620001234"
    assert acd.audit.entries(action="acd.callback.number")[0].session_id == "c1"
    assert [cb["kind"] for cb in acd.agents.callbacks(status="queued")] == ["virtual_hold"]
    acd.agents.accept(agent, "c1")
    assert [cb["call_id"] for cb in acd.agents.callbacks(status="dialling")] == ["c1"]  # not done until reached
    acd.agents.callback_result("c1", "reached")
    assert [cb["call_id"] for cb in acd.agents.callbacks(status="done")] == ["c1"]
    assert "acd.callback.requested" in recorder.types()


def test_abandoned_calls_counted_and_long_waits_go_to_callback_list(acd, clock) -> None:
    acd.agents.enqueue(call("short", "42-labour", caller="13800138000"))
    acd.agents.enqueue(call("long", "42-labour", caller="18620001234"))
    clock.advance(5)
    acd.agents.abandon("short")
    clock.advance(25)
    acd.agents.abandon("long")
    acd.agents.abandon("long")  # a second hang-up report is harmless
    stats = acd.agents.stats("center:42")
    assert stats["abandoned"] == 2 and stats["offered"] == 2 and stats["waiting"] == 0
    assert stats["abandonment_rate"] == 1.0
    missed = acd.agents.callbacks(status="pending")
    assert [(m["call_id"], m["number_masked"], m["waited_seconds"]) for m in missed] == [
        ("long", "186****1234", 30)]
    assert acd.switch.center("42") and acd.agents.center_load("42") == 0
    st = acd.agents.dial_callback(missed[0]["id"])
    assert st.state == "callback"
    assert acd.agents.callbacks(status="pending") == []
    with pytest.raises(AcdError):
        acd.agents.dial_callback(missed[0]["id"])  # already queued
    agent = add_agent(acd, "a", "42", ("labour",), ready=True)
    assert acd.agents.agent_status(agent).call_id == st.call_id
    acd.agents.accept(agent, st.call_id)
    acd.agents.callback_result(st.call_id, "reached")
    assert [cb["call_id"] for cb in acd.agents.callbacks(status="done")] == ["long"]


def test_a_supervisor_completes_a_pending_callback_with_an_outcome(acd, clock, recorder: Recorder) -> None:
    for call_id, caller in (("gone", "18620001234"), ("wrong", "13800138000")):
        acd.agents.enqueue(call(call_id, "42-labour", caller=caller))
    clock.advance(30)
    acd.agents.abandon("gone")
    acd.agents.abandon("wrong")
    gone, wrong = acd.agents.callbacks(status="pending")
    with pytest.raises(AcdError) as bad:
        acd.agents.complete_callback(gone["id"], outcome="maybe", actor="user:7")
    assert bad.value.code == "invalid_outcome" and len(acd.agents.callbacks(status="pending")) == 2  # nothing lost
    clock.advance(60)
    done = acd.agents.complete_callback(gone["id"], outcome="reached", actor="user:7")
    assert done["status"] == "done" and done["number_masked"] == "186****1234"
    failed = acd.agents.complete_callback(wrong["id"], outcome="wrong_number", actor="user:7")
    assert failed["status"] == "failed"
    assert acd.agents.callbacks(status="pending") == []
    assert [(cb["call_id"], cb["outcome"]) for cb in acd.agents.callbacks(status="done")] == [("gone", "reached")]
    assert [(cb["call_id"], cb["outcome"]) for cb in acd.agents.callbacks(status="failed")] == [
        ("wrong", "wrong_number")]
    with pytest.raises(AcdError) as again:
        acd.agents.complete_callback(gone["id"], outcome="no_answer", actor="user:7")  # no longer pending
    assert again.value.code == "not_pending"
    audit = acd.audit.entries(action="acd.callback.complete")
    assert sorted((a.subject, a.actor, a.detail["outcome"]) for a in audit) == [
        (f"callback:{gone['id']}", "user:7", "reached"), (f"callback:{wrong['id']}", "user:7", "wrong_number")]
    events = recorder.of("acd.callback.completed")
    assert [(e.data["callback_id"], e.data["status"]) for e in events] == [(gone["id"], "done"),
                                                                           (wrong["id"], "failed")]
    assert all("18620001234" not in str(e.data) for e in events)


def test_abandon_while_offered_returns_agent_to_ready(acd) -> None:
    agent = add_agent(acd, "a", "44", ("pension",), ready=True)
    acd.agents.enqueue(call("c1", "44-pension"))
    acd.agents.abandon("c1")
    assert acd.agents.agent_status(agent).state == "ready"
    assert acd.agents.call_status("c1").state == "abandoned"


def test_service_level_asa_aht_over_a_scripted_day(acd, clock) -> None:
    """Waits 5, 10 and 40 s answered; one call abandoned at 20 s; talk 100/200/300 s, wrap-up 20 s."""
    agent = add_agent(acd, "a", "33", ("pension",))
    plan = [("d1", 5, 100), ("d2", 10, 200), ("d3", 40, 300)]
    for cid, wait, talk in plan:
        acd.agents.enqueue(call(cid, "33-pension"))
        clock.advance(wait)
        acd.agents.set_ready(agent)
        acd.agents.accept(agent, cid)
        clock.advance(talk)
        acd.agents.end_call(cid)
        clock.advance(20)
        acd.agents.wrap_up(agent, "resolved", ready=False)
        clock.advance(60)
    acd.agents.enqueue(call("gone", "33-pension"))
    clock.advance(20)
    acd.agents.abandon("gone")
    for scope in ("queue:33-pension", "center:33", "national"):
        s = acd.agents.stats(scope)
        assert (s["offered"], s["answered"], s["abandoned"], s["handled"]) == (4, 3, 1, 3)
        assert s["service_level"] == 0.5  # 2 of 4 calls that left the queue were answered within 15 s
        assert s["asa"] == pytest.approx((5 + 10 + 40) / 3, abs=0.1)
        assert s["aht"] == pytest.approx((120 + 220 + 320) / 3, abs=0.1)
        assert s["abandonment_rate"] == 0.25
    assert acd.agents.stats("national")["agents_by_state"] == {"not_ready": 1}


def test_interval_history_is_persisted(acd, clock) -> None:
    agent = add_agent(acd, "a", "11", ("pension",), ready=True)
    acd.agents.enqueue(call("c1", "11-pension"))
    acd.agents.accept(agent, "c1")
    clock.advance(60)
    acd.agents.end_call("c1")
    acd.agents.wrap_up(agent, "resolved")
    acd.agents.tick()
    clock.advance(900)
    acd.agents.tick()
    acd.agents.tick()  # flushing twice must not duplicate rows
    with acd.db.session() as s:
        rows = s.execute(select(IntervalStat).where(IntervalStat.scope == "queue:11-pension")).scalars().all()
    assert len(rows) == 1 and rows[0].offered == 1 and rows[0].answered == 1 and rows[0].handle_ms == 60000
    start = rows[0].interval_start
    hist = acd.agents.history("11-pension", start, start.replace(hour=23))
    assert hist[0]["answered"] == 1 and hist[0]["service_level"] == 1.0 and hist[0]["aht"] == 60.0


def test_the_open_interval_is_written_only_when_its_counters_moved_and_once_for_all_nodes(acd, clock,
                                                                                           tmp_path) -> None:
    """The timer's write of the open interval: skipped while no counter changed, done by one node per
    change (the version it wrote is in the shared state), and the row holds the counts."""
    from tests.agents.conftest import make_platform

    agent = add_agent(acd, "a", "11", ("pension",), ready=True)
    acd.agents.enqueue(call("c1", "11-pension"))
    acd.agents.accept(agent, "c1")  # offered and answered
    now = clock.time()
    assert acd.agents.persist_open_interval(now) is True
    assert acd.agents.persist_open_interval(now) is False  # nothing moved
    other = make_platform(tmp_path / "other", clock, acd.store, node="other-node", db_name="../hotline.db")
    try:
        assert other.agents.persist_open_interval(now) is False  # the first node wrote this version
        acd.agents.end_call("c1")
        acd.agents.wrap_up(agent, "resolved")  # handled: the counters move
        assert other.agents.persist_open_interval(now) is True
        assert acd.agents.persist_open_interval(now) is False
        assert acd.store.smembers(stats.changed_key(stats.interval_start(now))) == set()  # nothing left to write
    finally:
        other.close()
    with acd.db.session() as s:
        row = s.execute(select(IntervalStat).where(IntervalStat.scope == "queue:11-pension")).scalar_one()
    assert (row.offered, row.answered, row.handled) == (1, 1, 1)


def test_open_interval_counts_the_database_refused_are_written_on_a_later_pass(acd, clock) -> None:
    from sqlalchemy import text

    agent = add_agent(acd, "a", "11", ("pension",), ready=True)
    acd.agents.enqueue(call("c1", "11-pension"))
    acd.agents.accept(agent, "c1")
    now = clock.time()
    with acd.db.engine.begin() as conn:
        conn.execute(text("CREATE TRIGGER refuse BEFORE INSERT ON acd_interval_stats "
                          "BEGIN SELECT RAISE(ABORT, 'disk full'); END"))
    with pytest.raises(Exception, match="disk full"):
        acd.agents.persist_open_interval(now)
    with acd.db.engine.begin() as conn:
        conn.execute(text("DROP TRIGGER refuse"))
    assert acd.agents.persist_open_interval(now) is True  # nothing changed since, and still written
    with acd.db.session() as s:
        row = s.execute(select(IntervalStat).where(IntervalStat.scope == "queue:11-pension")).scalar_one()
    assert (row.offered, row.answered) == (1, 1)


def _stored(acd, scope: str) -> list[tuple[int, int]]:  # type: ignore[no-untyped-def]
    with acd.db.session() as s:
        rows = s.execute(select(IntervalStat).where(IntervalStat.scope == scope)
                         .order_by(IntervalStat.interval_start)).scalars().all()
    return [(int(r.interval_start.timestamp()), r.offered) for r in rows]


def test_the_first_closed_interval_is_stored_when_no_tick_ran_while_it_was_open(acd, clock) -> None:
    """A fresh deployment: calls arrive, the interval closes, and only then does the first tick run."""
    first = stats.interval_start(clock.time())
    clock.advance(first + 300 - clock.time())  # 5 minutes into an interval
    acd.agents.enqueue(call("c1", "11-pension"))
    acd.agents.enqueue(call("c2", "11-pension"))
    clock.advance(stats.INTERVAL)  # the interval closed; nobody ticked
    acd.agents.tick()
    assert _stored(acd, "queue:11-pension") == [(first, 2)]
    # calls in the next interval, then two boundaries pass before the next tick
    acd.agents.enqueue(call("c3", "11-pension"))
    clock.advance(2 * stats.INTERVAL)
    acd.agents.tick()
    acd.agents.tick()
    assert _stored(acd, "queue:11-pension") == [(first, 2), (first + stats.INTERVAL, 1)]
    assert _stored(acd, "national") == [(first, 2), (first + stats.INTERVAL, 1)]


def test_overflow_tiers_widen_to_general_then_national(acd, clock) -> None:
    general = add_agent(acd, "g", "44", ("general",), ready=True)
    national = add_agent(acd, "n", "00", ("pension",), ready=True)
    add_agent(acd, "sc", "51", ("pension",), ready=True)
    acd.agents.enqueue(call("c1", "44-pension"))
    acd.agents.set_not_ready(general)
    assert acd.agents.call_status("c1").state == "waiting"
    clock.advance(60)
    acd.agents.tick()
    assert acd.agents.call_status("c1").state == "waiting"  # the general agent is on a break
    clock.advance(60)
    acd.agents.tick()
    st = acd.agents.call_status("c1")
    assert st.state == "offered" and st.agent_id == national


def test_maximum_wait_moves_call_to_national_queue(acd, clock, recorder: Recorder) -> None:
    acd.agents.enqueue(call("c1", "44-employment"))
    clock.advance(599)
    acd.agents.tick()
    assert acd.agents.call_status("c1").queue_id == "44-employment"
    clock.advance(2)
    acd.agents.tick()
    st = acd.agents.call_status("c1")
    assert st.queue_id == "00-employment" and st.state == "waiting"
    assert acd.agents.call_context("c1")["journey"] == ["44-employment", "00-employment"]
    assert acd.agents.center_load("44") == 0 and acd.agents.center_load("00") == 1
    assert recorder.of("acd.call.overflow")[0].data["action"] == "queue:00-employment"


def test_estimated_wait_and_announcement(acd, clock) -> None:
    a = add_agent(acd, "a", "37", ("pension",), ready=True)
    b = add_agent(acd, "b", "37", ("pension",), ready=True)
    for i in range(5):
        acd.agents.enqueue(call(f"c{i}", "37-pension"))
    for agent_id, cid in ((a, "c0"), (b, "c1")):
        acd.agents.accept(agent_id, cid)
    st = acd.agents.call_status("c4")
    # 2 ahead, nobody has finished a call yet: default handle time 180 s, 2 staffed agents
    assert st.position == 2 and st.ewt_seconds == 270
    assert st.text_zh == "您前面还有2位，预计等待5分钟"
    clock.advance(60)
    acd.agents.end_call("c0")
    acd.agents.wrap_up(a, "resolved")  # a takes c2; rolling AHT starts at 60 s
    st = acd.agents.call_status("c4")
    assert st.position == 1 and st.ewt_seconds == 60
    assert st.text_zh == "您前面还有1位，预计等待1分钟"


def test_the_wait_announced_at_enqueue_counts_only_agents_who_will_take_calls(acd) -> None:
    """The staffed count of the enqueue's estimate: agents logged in with the skill, ready or busy,
    not those on a break or logged out, nor those of another skill or center."""
    busy = [add_agent(acd, f"busy{i}", "37", ("pension",), ready=True) for i in range(3)]
    on_break = add_agent(acd, "break", "37", ("pension",), login=True)
    acd.agents.set_not_ready(on_break, "break")
    gone = add_agent(acd, "gone", "37", ("pension",), login=True)
    acd.agents.logout(gone)
    add_agent(acd, "other", "37", ("medical",), login=True)
    add_agent(acd, "elsewhere", "44", ("pension",), login=True)
    for i, agent_id in enumerate(busy):
        acd.agents.enqueue(call(f"c{i}", "37-pension"))
        acd.agents.accept(agent_id, f"c{i}")
    waiting = [acd.agents.enqueue(call(f"w{i}", "37-pension")) for i in range(4)]
    # default handle time 180 s over 3 staffed agents: 60 s per call ahead and for this one
    assert [(st.position, st.ewt_seconds) for st in waiting] == [(0, 60), (1, 120), (2, 180), (3, 240)]
    assert acd.agents.staffed("37", "pension") == 3
    assert acd.agents.call_status("w3").ewt_seconds == 240


def test_member_fields_reads_a_field_of_every_member_of_a_set_on_both_stores(acd) -> None:
    state = acd.agents.state
    state.txn([], [["sadd", "t:s", "1"], ["sadd", "t:s", "2"], ["sadd", "t:s", "3"],
                   ["hset", "t:h:1", {"state": "ready"}], ["hset", "t:h:2", {"other": "x"}]])
    (states,) = state.read_many([("member_fields", "t:s", "t:h:", "state")])
    assert sorted(states, key=str) == [None, None, "ready"]  # "2" has no such field, "3" no hash
    assert state.read_many([("member_fields", "t:none", "t:h:", "state")]) == [[]]


def test_an_enqueue_nobody_can_take_yet_is_one_round_trip_on_redis(redis_acd) -> None:
    """Issue 18: the enqueue's transaction, the call's position, the wait-estimate inputs (with the
    staffed agents' states) and the ready pools it reaches come back in one round trip."""
    for i in range(5):  # staffed and ready, but none speaks the caller's language
        add_agent(redis_acd, f"a{i}", "37", ("pension",), languages=("yue",), ready=True)
    redis_acd.agents.enqueue(call("c0", "37-pension"))  # the queue definitions are read (then once a second)
    trips = RoundTrips(redis_acd.store.redis)
    redis_acd.store.redis.ping()  # a new connection's handshake is not the enqueue's
    trips.count = 0
    st = redis_acd.agents.enqueue(call("c1", "37-pension"))
    assert (st.state, st.position, st.ewt_seconds) == ("waiting", 1, 72)  # 2 × 180 s over 5 staffed
    assert trips.count == 1


def test_hold_resume_and_local_transfer_keeps_context(acd, clock, recorder: Recorder) -> None:
    gd = add_agent(acd, "gd", "44", ("pension",), ready=True)
    acd.agents.enqueue(call("c1", "44-pension", context={"ivr_path": ["1", "2"], "verified": True}))
    acd.agents.accept(gd, "c1")
    acd.agents.hold(gd, "c1")
    with pytest.raises(AcdError):
        acd.agents.hold(gd, "c1")
    clock.advance(30)
    acd.agents.resume(gd, "c1")
    result = acd.switch.transfer(gd, "c1", center_code="11", notes="参保地在北京")
    assert result["kind"] == "local" and result["queue_id"] == "11-pension"
    assert acd.agents.agent_status(gd).state == "wrap_up"
    bj = add_agent(acd, "bj", "11", ("pension",), ready=True)
    st = acd.agents.call_status("c1")
    assert st.state == "offered" and st.agent_id == bj
    ctx = acd.agents.call_context("c1")
    assert ctx["journey"] == ["44-pension", "11-pension"]
    assert ctx["notes"] == [{"agent_id": gd, "text": "参保地在北京"}]
    assert ctx["context"]["ivr_path"] == ["1", "2"] and ctx["context"]["verified"] is True
    assert "acd.call.held" in recorder.types() and "acd.call.transferred" in recorder.types()


def test_agent_state_rules(acd, recorder: Recorder) -> None:
    agent = add_agent(acd, "a", "44", ("pension",), login=False)
    with pytest.raises(AcdError):
        acd.agents.set_ready(agent)
    acd.agents.login(agent)
    assert acd.agents.agent_status(agent).state == "not_ready"
    acd.agents.set_ready(agent)
    acd.agents.enqueue(call("c1", "44-pension"))
    with pytest.raises(AcdError):
        acd.agents.logout(agent)  # offered: cannot leave
    acd.agents.decline(agent, "c1")
    assert acd.agents.agent_status(agent).state == "not_ready"
    assert acd.agents.call_status("c1").state == "waiting"
    acd.agents.logout(agent)
    assert acd.agents.agent_status(agent).state == "logged_out"
    states = [e.data["state"] for e in recorder.of("acd.agent.state")]
    assert states == ["not_ready", "ready", "offered", "not_ready", "logged_out"]


def test_enqueue_refuses_unknown_queue_and_is_idempotent(acd) -> None:
    with pytest.raises(AcdError):
        acd.agents.enqueue(call("x", "99-pension"))
    first = acd.agents.enqueue(call("c1", "44-pension"))
    again = acd.agents.enqueue(call("c1", "44-pension"))
    assert first.position == again.position == 0
    assert acd.agents.stats("44")["offered"] == 1


def test_agent_leg_never_answered_puts_the_call_back_at_the_head(acd, clock, recorder: Recorder) -> None:
    """Accepted in the console, but the agent's phone never picked up: ring-no-answer semantics."""
    first = add_agent(acd, "a", "44", ("pension",), ready=True)
    acd.agents.enqueue(call("c1", "44-pension"))
    clock.advance(5)
    acd.agents.enqueue(call("c2", "44-pension"))
    acd.agents.accept(first, "c1")
    assert acd.agents.stats("44-pension")["answered"] == 1
    clock.advance(20)
    st = acd.agents.ring_no_answer("c1")
    assert st.state == "waiting" and st.position == 0 and st.agent_id is None  # ahead of c2, who came later
    agent = acd.agents.agent_status(first)
    assert agent.state == "not_ready" and agent.reason == "agent_no_answer" and agent.call_id is None
    s = acd.agents.stats("44-pension")
    assert (s["offered"], s["answered"], s["waiting"]) == (2, 0, 2)
    assert acd.agents.counters("44-pension", stats.day_bucket(clock.time()))["rna"] == 1
    assert recorder.of("acd.call.requeued")[-1].data["reason"] == "agent_no_answer"
    second = add_agent(acd, "b", "44", ("pension",), ready=True)
    assert acd.agents.call_status("c1").agent_id == second and acd.agents.call_status("c2").state == "waiting"
    # only a connected call can be handed back this way; anything else is left alone
    assert acd.agents.ring_no_answer("c2").state == "waiting"
    assert acd.agents.ring_no_answer("nope") is None


def test_softphone_offline_takes_a_ready_agent_out_of_rotation(acd, recorder: Recorder) -> None:
    agent = add_agent(acd, "d", "44", ("pension",), ready=True)
    endpoint = acd.agents.agent_status(agent).endpoint
    assert acd.agents.device_state(endpoint, "in_use").state == "ready"
    status = acd.agents.device_state(endpoint, "offline")
    assert status.state == "not_ready" and status.reason == "softphone_offline"
    assert acd.agents.enqueue(call("c-dev", "44-pension")).state == "waiting"
    assert acd.agents.device_state(endpoint, "registered").state == "not_ready"  # the agent chooses ready
    assert acd.agents.device_state("PJSIP/nobody", "offline") is None
    assert [e.data["device"] for e in recorder.of("acd.agent.device")] == ["in_use", "offline", "registered"]
    with pytest.raises(AcdError):
        acd.agents.device_state(endpoint, "on_fire")


def test_softphone_registered_before_the_agent_signs_in(acd) -> None:
    """Seen on a real Asterisk: the softphone's ContactStatus arrives before the agent's first login."""
    agent = add_agent(acd, "e", "44", ("pension",), login=False)
    endpoint = acd.agents.profile(agent).endpoint
    assert acd.agents.device_state(endpoint, "registered") is None  # known device, no signed-in agent yet
    assert acd.agents.agent_status(agent) is None
    acd.agents.login(agent)
    assert acd.agents.set_ready(agent).state == "ready"


def test_callback_number_is_the_left_number_else_the_caller(acd) -> None:
    st = acd.agents.enqueue(call("c-num", "44-pension"))
    assert st.state == "waiting"
    assert acd.agents.callback_number("c-num", actor="user:1") == "13800138000"  # the caller
    acd.agents.request_callback("c-num", "13900001234")
    assert acd.agents.callback_number("c-num", actor="user:1") == "13900001234"  # the number left
    assert acd.agents.callback_number("no-such-call") is None
    entries = acd.audit.entries(action="acd.callback.number")
    assert len(entries) == 2 and {e.actor for e in entries} == {"user:1"}


def test_withdraw_takes_a_waiting_call_out_uncounted_and_it_can_come_back(acd, clock, recorder: Recorder) -> None:
    """A handed-over caller leaving the queue for a record self-service (HOTLINE_HANDOFF_REVERIFY=records)
    is neither offered twice nor abandoned in the statistics, and is enqueued again under its call id."""
    day = stats.day_bucket(clock.time())
    acd.agents.enqueue(call("w1", "44-pension"))
    assert acd.agents.counters("44-pension", day)["offered"] == 1
    assert acd.agents.withdraw("w1") is True
    assert acd.agents.call_status("w1") is None and acd.agents.waiting_calls("44") == []
    assert acd.agents.withdraw("w1") is False  # gone: nothing to withdraw
    clock.advance(60)
    st = acd.agents.enqueue(call("w1", "44-pension"))
    assert st.state == "waiting"
    counters = acd.agents.counters("44-pension", day)
    assert counters["offered"] == 1 and not counters.get("abandoned")
    assert [e.data["reason"] for e in recorder.of("acd.call.withdrawn")] == ["self_service"]
    agent = add_agent(acd, "a", "44", ("pension",), ready=True)
    assert acd.agents.call_status("w1").agent_id == agent
    assert acd.agents.withdraw("w1") is False  # offered to an agent: the caller stays for them


def test_caller_left_settles_a_call_once_whatever_state_it_is_in(acd, clock, recorder: Recorder) -> None:
    agent = add_agent(acd, "a", "11", ("pension",), ready=True)
    acd.agents.enqueue(call("talking", "11-pension"))
    acd.agents.accept(agent, "talking")
    acd.agents.enqueue(call("waiting", "11-pension"))
    assert acd.agents.caller_left("waiting") == "abandoned"
    assert acd.agents.caller_left("talking") == "ended"
    # the channel's hang-up after the flow's own end, a second hang-up event, an unknown call: nothing
    assert acd.agents.caller_left("waiting") is None
    assert acd.agents.caller_left("talking") is None
    assert acd.agents.caller_left("never-seen") is None
    assert [e.data["call_id"] for e in recorder.of("acd.call.abandoned")] == ["waiting"]
    ended = recorder.of("acd.call.ended")
    assert [(e.data["call_id"], e.data["reason"]) for e in ended] == [("talking", "completed")]
    assert acd.agents.agent_status(agent).state == "wrap_up"


def queue_of(index_key: str) -> str:
    """The queue of a per-language waiting index (`acd:ql:<queue>:<language>`)."""
    return index_key.split(":")[2]


def test_the_timer_looks_only_at_queues_that_changed_or_whose_tiers_widen(acd, clock, monkeypatch) -> None:
    """The timer's matching pass is incremental: a queue is looked at when a call enters it and when a
    head call's tiers widen, not every second."""
    agents = acd.agents
    agents.recheck = 10_000.0  # no safety-net look during the test
    agents.enqueue(call("a", "44-pension"))
    agents.enqueue(call("b", "11-card"))
    agents.tick()  # a node's first pass: every queue with waiting calls is looked at once more
    clock.advance(1)
    agents.tick()
    looked: list[list[str]] = []
    heads = agents.state.waiting_heads

    def reading(limits, *args):  # the timer reads the heads of the queues it looks at, with their calls
        looked.append(sorted({queue_of(key) for key, _ in limits}))
        return heads(limits, *args)

    monkeypatch.setattr(agents.state, "waiting_heads", reading)
    clock.advance(1)
    agents.tick()
    assert looked == []  # nothing changed, no tier widened
    agents.enqueue(call("c", "44-pension"))
    looked.clear()
    clock.advance(1)
    agents.tick()
    assert looked == [["44-pension"]]
    looked.clear()
    clock.advance(54)
    agents.tick()
    assert looked == []
    clock.advance(3)  # 60 s after the first calls: their tiers widen to the centers' general agents
    agents.tick()
    assert looked == [["11-card", "44-pension"]]
    general = add_agent(acd, "general", "44", ("general",), login=True)
    looked.clear()
    clock.advance(1)
    agents.tick()
    assert looked == []
    agents.set_ready(general)  # a ready agent takes the call at once, wherever it stands
    assert agents.agent_status(general).call_id == "a"


def test_a_timer_pass_on_redis_costs_a_few_round_trips_whatever_it_looks_at(redis_acd, clock) -> None:
    """Issue 18: the timer reads the deadlines, ready pools, languages and statistics markers in one
    round trip, the due queues' head calls with their hashes in one script and reschedules them in one
    transaction, however many queues are due; the matching it does is unchanged."""
    agents = redis_acd.agents
    agents.recheck = 10_000.0
    for n, queue in enumerate(["44-pension", "11-card", "31-medical", "44-card"] * 3):
        agents.enqueue(call(f"c{n}", queue, language="yue" if n % 5 == 0 else "zh"))
        clock.advance(0.01)
    agents.tick()  # a node's first pass (re-indexing, restoring counters) is reported apart
    clock.advance(1)
    agents.tick()
    clock.advance(58)
    agents.tick()  # the statistics and the callbacks' retries (every 15 s) come due here, not below
    trips = RoundTrips(redis_acd.store.redis)
    redis_acd.store.redis.ping()  # a new connection's handshake is not the timer's
    trips.count = 0
    clock.advance(2)  # 60 s after the calls came: their tiers widen, every queue is due
    agents.tick()
    assert trips.count <= 4  # 9 before: ready pools, languages, heads, hashes, markers each on their own
    trips.count = 0
    clock.advance(1)
    agents.tick()  # nothing due
    assert trips.count <= 3
    general = add_agent(redis_acd, "general", "44", ("general",), login=True)
    agents.enqueue(call("late", "44-pension"))  # due at once; the general agent is not ready yet
    agents.set_ready(general)  # takes the longest-waiting call it may take: in its center and language
    assert agents.agent_status(general).call_id == "c3"


def test_state_transactions_replace_scores_conditionally_and_read_after(acd) -> None:
    """The operations the timer and the enqueue path use, on both stores."""
    state = acd.agents.state
    assert state.txn([], [["zadd", "t:due", 5.0, "q"], ["hset", "t:h", {"f": "1"}], ["expire", "t:h", 60]])
    state.txn([], [["zreplace", "t:due", 4.0, 9.0, "q"]])  # not the score read: left alone
    assert acd.store.zscore("t:due", "q") == 5.0
    ok, (rank, h, card) = state.txn_read([], [["zreplace", "t:due", 5.0, 7.5, "q"], ["zadd", "t:due", 6.0, "p"]],
                                         [("zrank", "t:due", "q"), ("hgetall", "t:h"), ("zcard", "t:due")])
    assert ok and (rank, h, card) == (1, {"f": "1"}, 2)
    assert 0 < (acd.store.ttl("t:h") or 0) <= 60
    state.txn([], [["zreplace", "t:due", 7.5, "", "q"]])
    assert acd.store.zrange("t:due") == [("p", 6.0)]
    assert state.txn_read([("t:h", "f", ("2",))], [["del", "t:h"]], [("hget", "t:h", "f")]) == (False, ["1"])
    state.txn([], [["zdue", "t:due", 10.0, "q"], ["zdue", "t:due", 10.0, "p"]])  # p: lower than 10, and changed
    assert acd.store.zscore("t:due", "q") == 10.0 and acd.store.zscore("t:due", "p") == 5.999
    state.txn([], [["ewma", "t:aht", 100.0, 0.2]])  # the first sample is the mean
    state.txn([], [["ewma", "t:aht", 200.0, 0.2]])
    assert float(acd.store.get("t:aht") or 0) == pytest.approx(120.0)


def test_waiting_heads_merges_indexes_under_their_ceilings_on_both_stores(acd) -> None:
    """The ready agent's one read: the best calls over several indexes, each index cut at its own
    ceiling (score and arrival), calls in another state skipped and reported as stale."""
    state = acd.agents.state
    calls = {"a": (1.0, "waiting", 1.0), "b": (2.0, "waiting", 2.0), "c": (3.0, "offered", 3.0),
             "d": (0.5, "callback", 0.5), "e": (1.5, "waiting", 9.0), "f": (4.0, "waiting", 4.0)}
    for call_id, (score, st, queued_at) in calls.items():
        index = "t:i1" if call_id in "abc" else "t:i2"
        state.txn([], [["zadd", index, score, call_id],
                       ["hset", f"t:c:{call_id}", {"state": st, "queued_at": queued_at}]])
    # i1 up to 3.0: a, b and the offered c; i2 up to 4.0: d, e (arrived at 9.0: too recent), f
    heads = state.waiting_heads([("t:i1", 3.0), ("t:i2", 4.0)], 5, 10, "t:c:", ("waiting", "callback"))
    assert heads.stale
    assert [(h.member, h.score, h.index) for h in heads.rows] == [("d", 0.5, 1), ("a", 1.0, 0), ("b", 2.0, 0),
                                                                    ("f", 4.0, 1)]
    assert heads.rows[1].fields == {"state": "waiting", "queued_at": "1.0"}
    top = state.waiting_heads([("t:i1", 1.5), ("t:i2", 4.0)], 1, 2, "t:c:", ("waiting",))
    assert top.stale and [h.member for h in top.rows] == ["a"]  # depth 1: only d read from i2, a callback
    assert state.waiting_heads([], 5, 10, "t:c:", ("waiting",)).rows == []


def test_redis_transaction_with_reads_reloads_its_script_after_a_flush(tmp_path, clock) -> None:
    """A Redis restarted (or SCRIPT FLUSH) forgets the transaction script: the next transaction
    loads it again instead of failing the call."""
    from tests import services
    from tests.agents.conftest import make_platform

    services.require("redis")
    from core.state import RedisStore

    prefix = services.redis_prefix()
    p = make_platform(tmp_path, clock, RedisStore(services.REDIS_URL, prefix=prefix))
    try:
        state = p.agents.state
        p.store.redis.script_flush()
        ok, (value,) = state.txn_read([], [["hset", "t:h", {"f": "1"}]], [("hget", "t:h", "f")])
        assert ok and value == "1"
        state.txn([], [["sadd", "t:s", "a"], ["hset", "t:h:a", {"state": "ready"}]])
        p.store.redis.script_flush()
        assert state.read_many([("member_fields", "t:s", "t:h:", "state")]) == [["ready"]]
        # the transaction's script present, the read's not (loaded by another path): applied once
        from agents.state import _LUA

        p.store.redis.script_flush()
        p.store.redis.script_load(_LUA)
        ok, (states,) = state.txn_read([], [["hincr", "t:n", "n", 1]], [("member_fields", "t:s", "t:h:", "state")])
        assert ok and states == ["ready"] and p.store.hget("t:n", "n") == "1"
        # the waiting heads read with a transaction (a wrap-up's), its script forgotten: applied once
        state.txn([], [["zadd", "t:i", 1.0, "a"], ["hset", "t:c:a", {"state": "waiting", "queued_at": "1"}]])
        p.store.redis.script_flush()
        p.store.redis.script_load(_LUA)
        ok, (heads,) = state.txn_read([], [["hincr", "t:n", "n", 1]],
                                      [("waiting_heads", [("t:i", 5.0)], 5, 10, "t:c:", ("waiting",))])
        assert ok and [h.member for h in heads.rows] == ["a"] and p.store.hget("t:n", "n") == "2"
    finally:
        p.close()
        services.flush_prefix(prefix)


def test_every_change_to_a_call_or_agent_hash_raises_its_version_on_redis(redis_acd) -> None:
    """The version a kept hash is checked against (agents.state.VERSION): raised by each transaction
    that changes the hash; not part of the record, never written back from one. (In-process nothing
    is kept, so nothing needs a version.)"""
    acd = redis_acd
    from agents.records import CallRec

    agent = add_agent(acd, "a", "44", ("pension",), ready=True)
    versions = []
    acd.agents.enqueue(call("c1", "44-pension"))  # created, then offered
    versions.append(int(acd.store.hget("acd:c:c1", "v") or 0))
    acd.agents.accept(agent, "c1")
    versions.append(int(acd.store.hget("acd:c:c1", "v") or 0))
    acd.agents.hold(agent, "c1")
    versions.append(int(acd.store.hget("acd:c:c1", "v") or 0))
    assert versions[0] >= 2 and versions == sorted(set(versions))
    rec = CallRec.from_hash(acd.store.hgetall("acd:c:c1"))
    assert "v" not in rec.extra and "v" not in rec.to_hash()
    endpoint = acd.agents.profile(agent).endpoint
    assert endpoint
    before = int(acd.store.hget(f"acd:a:{agent}", "v") or 0)
    assert acd.agents.device_state(endpoint, "in_use") is not None  # the softphone's state, kept on the agent
    assert acd.store.hget(f"acd:a:{agent}", "device") == "in_use"
    assert int(acd.store.hget(f"acd:a:{agent}", "v") or 0) > before


def test_an_agent_s_next_step_is_one_round_trip_on_redis_from_the_hashes_the_node_kept(redis_acd) -> None:
    """Issue 18: the offer this node made left the call and agent hashes here, so the answer, the end
    and the wrap-up are each one round trip (a transaction with the kept versions as its basis)."""
    agents = redis_acd.agents
    agent = add_agent(redis_acd, "a", "44", ("pension",), ready=True)
    agents.state.look_at_nodes()  # the timer's look at the live nodes' releases is not counted below
    agents.enqueue(call("c1", "44-pension"))  # offered at once
    trips = RoundTrips(redis_acd.store.redis)
    redis_acd.store.redis.ping()  # a new connection's handshake is not the steps'
    counted = []
    for step in (lambda: agents.accept(agent, "c1"), lambda: agents.end_call("c1"),
                 lambda: agents.wrap_up(agent, "resolved", ready=False)):
        trips.count = 0
        step()
        counted.append(trips.count)
    assert counted == [1, 1, 1]  # 2 each before: a read, then the transaction
    assert agents.agent_status(agent).state == "not_ready"
    trips.count = 0  # an ended call is not kept (nothing more is computed from it): read if asked for
    assert agents.state.records(["acd:c:c1"])[0]["state"] == "ended" and trips.count == 1


def test_a_wrap_up_finds_the_agent_s_next_call_in_its_own_round_trip(redis_acd) -> None:
    """Issue 18: the waiting calls an agent may take are read with the wrap-up that makes them ready,
    so the wrap-up and the next offer cost two round trips (three before: wrap-up, read, claim)."""
    agents = redis_acd.agents
    agent = add_agent(redis_acd, "a", "44", ("pension",), ready=True)
    agents.state.look_at_nodes()
    agents.enqueue(call("c1", "44-pension"))  # offered at once
    agents.accept(agent, "c1")
    agents.enqueue(call("c2", "44-pension", caller="13800138002"))  # waits: the agent is busy
    agents.end_call("c1")
    agents.wrap_up(agent, "resolved")  # the agent's profile meets the queue: offered c2
    agents.accept(agent, "c2")
    agents.enqueue(call("c3", "44-pension", caller="13800138003"))
    agents.end_call("c2")
    trips = RoundTrips(redis_acd.store.redis)
    redis_acd.store.redis.ping()
    trips.count = 0
    status = agents.wrap_up(agent, "resolved")
    assert status.state == "offered" and status.call_id == "c3"
    assert trips.count == 2


def test_a_call_in_a_queue_the_node_s_queue_list_lacks_is_still_found_after_a_wrap_up(acd, monkeypatch) -> None:
    """The read that goes with the wrap-up covers the queues of this node's copy of the queue list; a
    call in a queue missing from it (added on another node within the last second) is found by a
    second read, not missed."""
    import dataclasses

    agents = acd.agents
    agent = add_agent(acd, "a", "44", ("pension", "medical"), ready=True)
    agents.enqueue(call("c1", "44-pension"))
    agents.accept(agent, "c1")
    agents.end_call("c1")
    agents.enqueue(call("c2", "44-medical", caller="13800138002"))
    snapshot = agents.queue_defs.snapshot()
    monkeypatch.setattr(agents.queue_defs, "snapshot",
                        lambda: dataclasses.replace(snapshot, ids=snapshot.ids - {"44-medical"}))
    status = agents.wrap_up(agent, "resolved")
    assert status.state == "offered" and status.call_id == "c2"


def test_a_hash_without_a_version_is_never_kept(redis_acd) -> None:
    """A hash an older node wrote (no version) is read from Redis every time: its changes by such a
    node would not move a version, so a kept copy could not be checked."""
    state = redis_acd.agents.state
    redis_acd.store.hset("acd:c:old", {"state": "waiting", "queue_id": "44-pension"})
    state.look_at_nodes()  # the timer's look at the live nodes' releases is not counted below
    trips = RoundTrips(redis_acd.store.redis)
    redis_acd.store.redis.ping()
    trips.count = 0
    assert state.records(["acd:c:old"])[0]["state"] == "waiting"
    assert trips.count == 1
    redis_acd.store.hset("acd:c:old", {"state": "offered"})  # as the older node would
    trips.count = 0
    assert state.records(["acd:c:old"])[0]["state"] == "offered"
    assert trips.count == 1


def test_kept_hashes_are_not_used_while_a_node_of_an_older_release_is_live(redis_acd) -> None:
    """Such a node changes hashes without raising their version, so the others read every hash then."""
    from core import cluster

    agents = redis_acd.agents
    agent = add_agent(redis_acd, "a", "44", ("pension",), ready=True)
    redis_acd.store.hset(cluster.PREFIX + "node-old", {"session": "x", "center": "44"})
    agents.state.look_at_nodes()  # as the timer does every 15 s
    assert not agents.state.keeps_records
    agents.enqueue(call("c1", "44-pension"))
    trips = RoundTrips(redis_acd.store.redis)
    redis_acd.store.redis.ping()
    trips.count = 0
    agents.accept(agent, "c1")
    assert trips.count == 2  # read, then the transaction
    redis_acd.store.delete(cluster.PREFIX + "node-old")  # upgraded
    agents.state.look_at_nodes()
    assert agents.state.keeps_records
    trips.count = 0
    agents.end_call("c1")
    assert trips.count == 2  # nothing was kept meanwhile: read, then the end
    agents.wrap_up(agent, "resolved", ready=False)  # nor the agent's: read, then the wrap-up
    assert trips.count == 4
    agents.set_ready(agent)
    agents.enqueue(call("c2", "44-pension"))  # this node's offer keeps both hashes now
    trips.count = 0
    agents.accept(agent, "c2")
    assert trips.count == 1


def test_the_look_at_the_live_nodes_is_the_timer_s_work_not_a_request_s(redis_acd) -> None:
    """The look (a keyspace scan) runs in the ACD timer; a request answers from what it found."""
    from core import cluster

    agents = redis_acd.agents
    state = agents.state
    state.LOOK_EVERY = 0.0  # every timer pass looks
    state.keep("acd:c:x", {"state": "waiting", "v": "1"})  # the first use looked
    assert state.keeps_records
    redis_acd.store.hset(cluster.PREFIX + "node-old", {"session": "x", "center": "44"})
    trips = RoundTrips(redis_acd.store.redis)
    redis_acd.store.redis.ping()
    trips.count = 0
    assert state.records(["acd:c:x"]) == [{"state": "waiting", "v": "1"}]
    assert trips.count == 0  # no look, though LOOK_EVERY has passed
    agents.tick()
    assert not state.keeps_records  # the timer saw the older node
    trips.count = 0
    state.records(["acd:c:x"])
    assert trips.count == 1  # read from Redis now


def test_a_kept_hash_is_never_replaced_by_an_earlier_version(redis_acd) -> None:
    """Two threads of one node read back the same hash after their transactions: whichever arrives
    last, the later version stays kept (an earlier one would only cost a stale check, but no need)."""
    state = redis_acd.agents.state
    state.look_at_nodes()
    state.keep("acd:c:x", {"state": "connected", "v": "3"})
    state.keep("acd:c:x", {"state": "offered", "v": "2"})
    assert state.records(["acd:c:x"]) == [{"state": "connected", "v": "3"}]
    state.keep("acd:c:x", {"state": "waiting", "v": "4"})
    assert state.records(["acd:c:x"])[0]["state"] == "waiting"


def test_heads_read_with_a_wrap_up_are_used_only_when_they_answer_for_the_agent_s_reach_now() -> None:
    """The read that went with the wrap-up is used only if it covered every queue the agent reaches
    now and found nothing in a queue the agent does not reach; otherwise the heads are read again."""
    from agents.matching import HeadsPrefetch, _usable
    from agents.state import Head, Heads

    pre = HeadsPrefetch(7.0, frozenset({"44-pension", "00-pension"}),
                        (("00-pension", "q:00-pension:zh"), ("44-pension", "q:44-pension:zh")), None)
    found = Heads(False, [Head(1.0, "c1", 1, {"state": "waiting"})])
    assert _usable((pre, found), {"44-pension": 0}) == (7.0, pre.keyed, found)
    assert _usable((pre, found), {"44-pension": 0, "44-medical": 0}) is None  # a queue it did not cover
    assert _usable((pre, Heads(False, [Head(1.0, "c9", 0, {})])), {"44-pension": 0}) is None  # not reached
    assert _usable(None, {"44-pension": 0}) is None


def test_live_figures_count_every_queue_and_agent_in_a_few_reads(acd, clock) -> None:
    """`stats` (which the timer publishes every 15 s) reads the waiting count, the longest wait and the
    agents by state in a fixed number of reads, whatever the number of queues and agents; a center's
    figures count only its agents, and an agent whose hash is gone is not counted."""
    agents = acd.agents
    busy = add_agent(acd, "a", "44", ("pension",), ready=True)
    add_agent(acd, "b", "44", ("medical",))
    add_agent(acd, "c", "11", ("pension",), ready=True)
    agents.enqueue(call("c1", "44-pension"))  # offered to a
    clock.advance(30)
    agents.enqueue(call("c2", "44-medical", caller="13800138002"))
    clock.advance(10)
    agents.enqueue(call("c3", "11-medical", caller="13800138003"))
    acd.store.sadd("acd:agents", "999")  # a member whose hash is gone
    national = agents.stats("national")
    assert national["waiting"] == 2 and national["longest_wait"] == 10.0  # c2: c1 was offered, not waiting
    assert national["agents_by_state"] == {"offered": 1, "not_ready": 1, "ready": 1}
    assert agents.stats("center:44")["agents_by_state"] == {"offered": 1, "not_ready": 1}
    assert agents.stats("queue:11-medical")["waiting"] == 1
    assert agents.agent_status(busy).state == "offered"
    if acd.store.__class__.__name__ == "RedisStore":
        trips = RoundTrips(acd.store.redis)
        acd.store.redis.ping()
        trips.count = 0
        agents.stats("national")
        assert trips.count <= 3  # the day's counters, the active queues, then one pipeline of two scripts


def test_the_waiting_calls_of_every_queue_are_read_in_a_few_round_trips(redis_acd) -> None:
    """The supervisor's list of waiting calls: the active queues, their calls, the calls' hashes — three
    round trips however many queues hold calls, each call in its queue's order."""
    agents = redis_acd.agents
    for i, queue in enumerate(("44-pension", "44-medical", "11-pension", "44-pension")):
        agents.enqueue(call(f"c{i}", queue, caller=f"1380013800{i}"))
    trips = RoundTrips(redis_acd.store.redis)
    redis_acd.store.redis.ping()
    trips.count = 0
    rows = agents.waiting_calls()
    assert trips.count == 3
    assert [(r["queue_id"], r["call_id"], r["position"]) for r in rows] == [
        ("11-pension", "c2", 0), ("44-medical", "c1", 0), ("44-pension", "c0", 0), ("44-pension", "c3", 1)]
