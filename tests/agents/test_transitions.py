"""ACD transitions as pure functions: checks, operations and events, without a store."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

from agents import transitions
from agents.domain import AgentProfile, QueuedCall
from agents.events import (
    AgentState,
    CallAbandoned,
    CallConnected,
    CallEnded,
    CallHeld,
    CallMoved,
    CallOffered,
    CallOverflow,
    CallPrioritised,
    CallQueued,
    CallRequeued,
    CallResumed,
    CallTransferred,
    CallWithdrawn,
    CallWrapped,
)
from agents.keys import (
    ACTIVE,
    AGENTS,
    DUE,
    LANGS,
    LOAD,
    MAXWAIT,
    OFFERS,
    WRAP,
    aht_key,
    ak,
    ck,
    qk,
    qlk,
    rk,
    rlk,
    sk,
)
from agents.records import AgentRec, CallRec
from agents.state import Op
from core.events import InProcessBus

CALL = CallRec(call_id="c1", queue_id="44-pension", center="44", topic="pension", state="waiting",
               caller="13800138000", language="yue", context={"channel": "twilio", "transferred_from": "11"},
               score=100.0, queued_at=100.0, cb_number="")
AGENT = AgentRec(id=7, center="44", skills=("pension", "general"), languages=("zh", "yue"),
                 endpoint="PJSIP/a7", endpoints={"twilio": "client:a7"},
                 pools=(rk("44", "pension"), rk("44", "general")), state="ready")


def test_an_offer_claims_a_ready_agent_and_a_waiting_call_atomically() -> None:
    txn = transitions.offer(CALL, AGENT, 7, now=200.0, offer_timeout=15.0)
    assert txn.checks == ((ak(7), "state", ("ready",)), (ck("c1"), "state", ("waiting", "callback")))
    ops = [(op[0], op[1]) if isinstance(op[2], dict) else tuple(op) for op in txn.ops]
    assert ("hset", ak(7)) in ops and ("hset", ck("c1")) in ops
    assert ("zrem", qk("44-pension"), "c1") in ops and ("zrem", qlk("44-pension", "yue"), "c1") in ops
    assert ("zadd", OFFERS, 215.0, "c1") in ops and ("hincr", LOAD, "44", -1) in ops
    assert ("zrem", MAXWAIT, "c1") in ops and ("srem_if_zempty", ACTIVE, "44-pension", qk("44-pension")) in ops
    left = {op[1] for op in txn.ops if op[0] == "zrem" and op[2] == 7}
    assert left == {rk("44", "pension"), rk("44", "general"), *(rlk("44", t, lang) for t in ("pension", "general")
                                                                for lang in ("zh", "yue"))}  # every pool
    agent_fields = next(op[2] for op in txn.ops if op[0] == "hset" and op[1] == ak(7))
    assert agent_fields == {"state": "offered", "call_id": "c1", "since": 200.0, "offer_until": 215.0}


def test_an_offer_announces_the_call_on_the_channel_endpoint_with_the_caller_masked() -> None:
    offered, agent_state = transitions.offer(CALL, AGENT, 7, now=200.0, offer_timeout=15.0).events
    assert isinstance(offered, CallOffered) and offered.type == "acd.call.offered"
    assert offered.endpoint == "client:a7" and offered.caller == "138****8000"
    assert offered.transferred_from == "11" and offered.until == 215.0 and offered.callback is False
    assert agent_state == AgentState(agent_id=7, state="offered", reason="", call_id="c1", center_code="44")
    wire = InProcessBus("n", None).emit(offered)  # the envelope the console filters on
    assert wire.scope == "44" and wire.agent_id == "7" and wire.masks == (("caller", "phone"),)


def test_an_answer_connects_the_call_and_counts_it_within_the_service_level_or_not() -> None:
    offered = CallRec(**{**CALL.__dict__, "state": "offered", "agent_id": 7})
    txn = transitions.accept(offered, AGENT, 7, now=110.0, sl_seconds=15)
    assert (ck("c1"), "agent_id", ("7",)) in txn.checks and (ak(7), "state", ("offered",)) in txn.checks
    counted = {(op[1], op[2]): op[3] for op in txn.ops if op[0] == "hincr"}
    assert counted[("acd:st:0:queue:44-pension", "answered_sl")] == 1
    assert counted[("acd:st:0:national", "wait_ms")] == 10_000
    late = transitions.accept(offered, AGENT, 7, now=130.0, sl_seconds=15)
    assert not any(op[0] == "hincr" and op[2] == "answered_sl" for op in late.ops)  # 30 s: outside the SL
    connected, _ = txn.events
    assert isinstance(connected, CallConnected) and connected.type == "acd.call.connected"
    assert connected.endpoint == "client:a7" and connected.waited == 10.0


def test_the_end_of_a_call_closes_its_hold_and_puts_the_agent_in_wrap_up() -> None:
    connected = CallRec(**{**CALL.__dict__, "state": "connected", "agent_id": 7, "answered_at": 150.0,
                           "hold_ms": 2_000, "held": 190.0})
    txn = transitions.end(connected, "completed", now=200.0, wrap_seconds=30.0)
    assert txn.checks == ((ck("c1"), "state", ("connected",)), (ak(7), "call_id", ("c1",)))
    call_fields = next(op[2] for op in txn.ops if op[0] == "hset" and op[1] == ck("c1"))
    assert call_fields["hold_ms"] == 12_000 and call_fields["held"] == "" and call_fields["state"] == "ended"
    assert ["zadd", "acd:wrap", 230.0, 7] in txn.ops
    ended, wrapping = txn.events
    assert isinstance(ended, CallEnded) and ended.talk_seconds == 50.0
    assert wrapping == AgentState(agent_id=7, state="wrap_up", reason="", until=230.0)  # scope: the agent's center
    assert transitions.hold_total_ms(connected, 195.0) == 7_000


def test_ready_and_not_ready_move_the_agent_in_and_out_of_every_pool() -> None:
    pools = {rk("44", "pension"), rk("44", "general"), *(rlk("44", t, lang) for t in ("pension", "general")
                                                        for lang in ("zh", "yue"))}
    up = transitions.ready(AGENT, 7, now=300.0)
    assert up.checks == ((ak(7), "state", ("not_ready",)),)
    assert {op[1] for op in up.ops if op[0] == "zadd" and op[2:] == [300.0, 7]} == pools
    assert up.events == (AgentState(agent_id=7, state="ready", reason="", center_code="44"),)
    down = transitions.not_ready(AGENT, 7, "lunch", now=310.0)
    assert {op[1] for op in down.ops if op[0] == "zrem" and op[2] == 7} == pools
    assert ["hset", ak(7), {"state": "not_ready", "reason": "lunch", "since": 310.0}] in down.ops
    assert down.events == (AgentState(agent_id=7, state="not_ready", reason="lunch", center_code="44"),)


# -- the rest of the state machine -------------------------------------------------------------------

POOLS = {rk("44", "pension"), rk("44", "general"), *(rlk("44", t, lang) for t in ("pension", "general")
                                                    for lang in ("zh", "yue"))}


@dataclass(frozen=True)
class Queue:  # agents.api.QueueDef
    id: str
    center_code: str
    topic: str
    skills: tuple[str, ...] = ()
    max_wait: int = 600
    overflow_action: str = "callback"


PENSION = Queue(id="44-pension", center_code="44", topic="pension", overflow_action="queue:11-pension")
BEIJING = Queue(id="11-pension", center_code="11", topic="pension", max_wait=300)


def _hset(ops: tuple[Op, ...], key: str) -> dict:
    """The fields the operations set on `key` (all of its hsets, in order)."""
    out: dict = {}
    for op in ops:
        if op[0] == "hset" and op[1] == key:
            out.update(op[2])
    return out


def _counted(ops: tuple[Op, ...], scope: str = "acd:st:0:queue:44-pension") -> dict[str, int]:
    return {op[2]: op[3] for op in ops if op[0] == "hincr" and op[1] == scope}


def test_login_copies_the_profile_and_counts_the_agent_among_the_staff_not_ready() -> None:
    profile = AgentProfile(id=7, user_id=70, name="王芳", center_code="44", skills=("pension", "general"),
                           languages=("zh", "yue"), level=2, endpoint="PJSIP/a7", endpoints={"twilio": "client:a7"})
    txn = transitions.login(profile, 7, now=50.0)
    assert txn.checks == ((ak(7), "state", ("", "logged_out")),)
    fields = _hset(txn.ops, ak(7))
    assert fields["state"] == "not_ready" and fields["reason"] == "login" and fields["idle_since"] == 50.0
    assert json.loads(fields["pools"]) == [rk("44", "pension"), rk("44", "general")]
    assert json.loads(fields["languages"]) == ["zh", "yue"]
    assert json.loads(fields["endpoints"]) == {"twilio": "client:a7"}
    assert ["sadd", AGENTS, 7] in txn.ops and ["sadd", sk("44", "general"), 7] in txn.ops
    assert not any(op[0] == "zadd" for op in txn.ops)  # not ready: in no pool
    assert txn.events == (AgentState(agent_id=7, state="not_ready", reason="login", center_code="44"),)
    back = AgentRec.from_hash({k: str(v) for k, v in fields.items()})  # the record login writes is fully modelled
    assert back.skills == ("pension", "general") and back.pools == (rk("44", "pension"), rk("44", "general"))
    assert not back.extra


def test_logout_takes_the_agent_out_of_every_pool_and_staff_count() -> None:
    txn = transitions.logout(AGENT, 7, now=60.0)
    assert txn.checks == ((ak(7), "state", ("ready", "not_ready")),)
    assert {op[1] for op in txn.ops if op[0] == "zrem" and op[2] == 7} == POOLS
    assert {op[1] for op in txn.ops if op[0] == "srem"} == {AGENTS, sk("44", "pension"), sk("44", "general")}
    assert _hset(txn.ops, ak(7)) == {"state": "logged_out", "since": 60.0, "reason": ""}
    assert txn.events == (AgentState(agent_id=7, state="logged_out"),)


WRAPPING = replace(AGENT, state="wrap_up", call_id="c1", answered_at=140.0, call_queue="44-pension", call_center="44",
                   wrap_until=230.0)


def test_the_end_of_a_wrap_up_counts_the_handle_time_and_frees_the_agent_or_not() -> None:
    txn = transitions.finish_wrap(WRAPPING, 7, "resolved", True, now=200.0)
    assert txn.checks == ((ak(7), "state", ("wrap_up",)), (ak(7), "call_id", ("c1",)))
    assert ["zrem", WRAP, 7] in txn.ops
    assert {op[1] for op in txn.ops if op[0] == "zadd" and op[2:] == [200.0, 7]} == POOLS  # idle from now
    fields = _hset(txn.ops, ak(7))
    assert fields["state"] == "ready" and fields["reason"] == ""
    assert fields["call_id"] == fields["answered_at"] == fields["wrap_until"] == ""
    assert _counted(txn.ops) == {"handled": 1, "handle_ms": 60_000}
    assert ["ewma", aht_key("44-pension"), 60.0, transitions.agent.AHT_ALPHA] in txn.ops
    assert transitions.handle_seconds(WRAPPING, 200.0) == 60.0
    wrapped, agent_state = txn.events
    assert wrapped == CallWrapped(call_id="c1", agent_id=7, disposition="resolved")  # scope: the call's center
    assert agent_state == AgentState(agent_id=7, state="ready", center_code="44")
    rest = transitions.finish_wrap(replace(WRAPPING, answered_at=None), 7, "none", False, now=200.0)
    assert not any(op[0] in ("zadd", "ewma", "hincr") for op in rest.ops)  # not ready, nothing answered to count
    assert _hset(rest.ops, ak(7))["reason"] == "after_call"
    assert rest.events[1] == AgentState(agent_id=7, state="not_ready", center_code="44")


def test_enqueue_puts_a_new_call_in_its_queue_with_its_credited_wait_and_counts_it_offered() -> None:
    call = QueuedCall(call_id="c2", queue_id="44-pension", center_code="44", topic=None, priority=1,
                      caller="13800138000", language="yue", context={"channel": "twilio"}, waited=30.0,
                      notes=({"agent_id": 3, "text": "已核实"},))
    txn = transitions.enqueue(call, PENSION, now=1000.0)
    assert txn.checks == ((ck("c2"), "state", ("",)),)
    fields = _hset(txn.ops, ck("c2"))
    assert fields["state"] == "waiting" and fields["topic"] == "pension" and fields["journey"] == '["44-pension"]'
    assert fields["queued_at"] == 1000.0 and fields["max_wait"] == 600 and "cb_number" not in fields
    assert json.loads(fields["notes"]) == [{"agent_id": 3, "text": "已核实"}]
    score = fields["score"]
    assert score == transitions.call.policy.queue_score(1, 970.0)  # the 30 s waited elsewhere credited
    assert ["zadd", qk("44-pension"), score, "c2"] in txn.ops
    assert ["zadd", qlk("44-pension", "yue"), score, "c2"] in txn.ops
    assert ["sadd", LANGS, "yue"] in txn.ops and ["zdue", DUE, score, "44-pension"] in txn.ops
    assert ["sadd", ACTIVE, "44-pension"] in txn.ops and ["hincr", LOAD, "44", 1] in txn.ops
    assert ["zadd", MAXWAIT, 1600.0, "c2"] in txn.ops and ["expire", ck("c2"), 6 * 3600] in txn.ops
    assert _counted(txn.ops, "acd:st:900:queue:44-pension") == {"offered": 1}
    assert txn.events == (CallQueued(call_id="c2", queue_id="44-pension", center_code="44", priority=1),)
    assert transitions.arrival(replace(call, waited=10 ** 6), 1000.0) == 1000.0 - transitions.MAX_CREDITED_WAIT
    callback = transitions.enqueue(replace(call, callback_number="13900139000"), PENSION, now=1000.0)
    assert _hset(callback.ops, ck("c2"))["state"] == "callback"
    assert _hset(callback.ops, ck("c2"))["cb_number"] == "13900139000"


def test_a_waiting_call_abandoned_leaves_its_queue_and_is_counted() -> None:
    txn = transitions.abandon(CALL, None, "caller_hangup", now=130.0)
    assert txn.checks == ((ck("c1"), "state", ("waiting",)),)
    assert _hset(txn.ops, ck("c1")) == {"state": "abandoned", "ended_at": 130.0, "end_reason": "caller_hangup"}
    assert ["zrem", qk("44-pension"), "c1"] in txn.ops and ["zrem", qlk("44-pension", "yue"), "c1"] in txn.ops
    assert ["srem_if_zempty", ACTIVE, "44-pension", qk("44-pension")] in txn.ops
    assert ["hincr", LOAD, "44", -1] in txn.ops and ["zrem", MAXWAIT, "c1"] in txn.ops
    assert _counted(txn.ops) == {"abandoned": 1}
    assert txn.events == (CallAbandoned(call_id="c1", queue_id="44-pension", waited=30.0, reason="caller_hangup"),)


def test_an_offered_call_abandoned_frees_its_agent_with_the_idle_time_they_had() -> None:
    offered = replace(CALL, state="offered", agent_id=7)
    agent = replace(AGENT, state="offered", call_id="c1", idle_since=42.0)
    txn = transitions.abandon(offered, agent, "caller_hangup", now=130.0)
    assert txn.checks == ((ck("c1"), "state", ("offered",)), (ak(7), "call_id", ("c1",)))
    assert ["zrem", OFFERS, "c1"] in txn.ops and not any(op[1] == qk("44-pension") for op in txn.ops)
    assert _hset(txn.ops, ak(7)) == {"state": "ready", "call_id": "", "since": 130.0}
    assert {op[1] for op in txn.ops if op[0] == "zadd" and op[2:] == [42.0, 7]} == POOLS
    assert txn.events[1] == AgentState(agent_id=7, state="ready", reason="caller_abandoned")


def test_a_withdrawn_call_leaves_uncounted_in_the_interval_it_was_offered() -> None:
    txn = transitions.withdraw(CALL, "self_service")
    assert txn.checks == ((ck("c1"), "state", ("waiting",)),)
    assert ["del", ck("c1")] in txn.ops and ["hincr", LOAD, "44", -1] in txn.ops
    assert ["zrem", qk("44-pension"), "c1"] in txn.ops and ["zrem", MAXWAIT, "c1"] in txn.ops
    assert _counted(txn.ops) == {"offered": -1}  # queued_at 100: interval 0
    assert txn.events == (CallWithdrawn(call_id="c1", queue_id="44-pension", reason="self_service"),)


def test_a_declined_or_unanswered_offer_goes_back_to_the_head_of_its_queue() -> None:
    offered = replace(CALL, state="offered", agent_id=7, first_at=100.0, max_wait=300.0)
    txn = transitions.requeue(offered, 7, "no_answer", head=150.0, now=160.0, sl_seconds=15)
    assert txn.checks == ((ck("c1"), "state", ("offered",)), (ck("c1"), "agent_id", ("7",)),
                          (ak(7), "call_id", ("c1",)))
    assert _hset(txn.ops, ck("c1")) == {"state": "waiting", "agent_id": "", "score": 100.0}  # ahead of 150 already
    assert ["zadd", qk("44-pension"), 100.0, "c1"] in txn.ops and ["hincr", LOAD, "44", 1] in txn.ops
    assert ["zrem", OFFERS, "c1"] in txn.ops and ["zadd", MAXWAIT, 400.0, "c1"] in txn.ops
    assert _hset(txn.ops, ak(7)) == {"state": "not_ready", "reason": "no_answer", "call_id": "", "since": 160.0,
                                     "offer_until": ""}
    assert _counted(txn.ops) == {"rna": 1}
    assert txn.events == (CallRequeued(call_id="c1", agent_id=7, reason="no_answer", queue_id="44-pension"),
                          AgentState(agent_id=7, state="not_ready", reason="no_answer"))
    declined = transitions.requeue(replace(offered, score=200.0, overflow="queue:44-pension", cb_number="139"), 7,
                                   "declined", head=150.0, now=160.0, sl_seconds=15)
    assert _hset(declined.ops, ck("c1")) == {"state": "callback", "agent_id": "", "score": 149.0}  # before the head
    assert not _counted(declined.ops)
    assert not any(op[1] == MAXWAIT for op in declined.ops)  # overflowed: no new deadline


def test_a_connected_call_never_picked_up_takes_back_the_answer_accept_counted() -> None:
    connected = replace(CALL, state="connected", agent_id=7, answered_at=110.0, held=None, hold_ms=500)
    txn = transitions.requeue(connected, 7, "agent_no_answer", head=None, now=2000.0, sl_seconds=15,
                              from_state="connected")
    assert (ck("c1"), "state", ("connected",)) in txn.checks
    assert _hset(txn.ops, ck("c1"))["answered_at"] == "" and _hset(txn.ops, ck("c1"))["hold_ms"] == 0
    assert _hset(txn.ops, ak(7))["call_queue"] == ""
    assert _counted(txn.ops) == {"answered": -1, "wait_ms": -10_000, "answered_sl": -1}  # interval 0, as counted
    assert _counted(txn.ops, "acd:st:1800:queue:44-pension") == {"rna": 1}  # the ring-no-answer: now


def test_hold_and_resume_add_up_the_time_on_hold() -> None:
    held = transitions.hold("c1", 7, now=190.0)
    assert held.checks == ((ck("c1"), "state", ("connected",)), (ck("c1"), "held", ("",)), (ak(7), "call_id", ("c1",)))
    assert held.ops == (["hset", ck("c1"), {"held": 190.0}],) and held.events == (CallHeld(call_id="c1", agent_id=7),)
    on_hold = CallRec.from_hash({**replace(CALL, state="connected", hold_ms=1_000).to_hash(), "held": str(190.0)})
    resumed = transitions.resume(on_hold, 7, now=195.5)
    assert resumed.checks == ((ck("c1"), "held", ("190.0",)), (ak(7), "call_id", ("c1",)))  # the hold as stored
    assert resumed.ops == (["hset", ck("c1"), {"held": "", "hold_ms": 6_500}],)
    assert resumed.events == (CallResumed(call_id="c1", agent_id=7),)


def test_a_transfer_to_a_local_queue_requeues_the_call_ahead_of_new_calls_with_its_notes() -> None:
    connected = replace(CALL, state="connected", agent_id=7, journey=("44-pension",), hold_ms=1_000)
    notes = [{"agent_id": 7, "text": "转北京"}]
    target = {"kind": "local", "queue_id": "11-pension", "center_code": "11"}
    txn = transitions.transfer(connected, 7, notes, BEIJING, target, now=500.0, wrap_seconds=30.0)
    assert txn.checks == ((ck("c1"), "state", ("connected",)), (ak(7), "call_id", ("c1",)))
    fields = _hset(txn.ops, ck("c1"))
    assert fields["state"] == "waiting" and fields["queue_id"] == "11-pension" and fields["center"] == "11"
    assert fields["journey"] == '["44-pension", "11-pension"]' and json.loads(fields["notes"]) == notes
    assert fields["score"] == transitions.call.policy.queue_score(1, 500.0) and fields["transferred_by"] == 7
    assert ["zadd", qk("11-pension"), fields["score"], "c1"] in txn.ops and ["hincr", LOAD, "11", 1] in txn.ops
    assert ["zadd", MAXWAIT, 800.0, "c1"] in txn.ops and ["zadd", WRAP, 530.0, 7] in txn.ops
    assert _counted(txn.ops, "acd:st:0:queue:11-pension") == {"offered": 1}
    transferred, wrapping = txn.events
    assert transferred == CallTransferred(call_id="c1", agent_id=7, kind="local", queue_id="11-pension",
                                          center_code="11")
    assert wrapping == AgentState(agent_id=7, state="wrap_up", reason="transfer")


def test_a_transfer_to_another_deployment_ends_the_call_here() -> None:
    connected = replace(CALL, state="connected", agent_id=7, hold_ms=1_000, held=495.0)
    target = {"kind": "remote", "trunk": "t1", "ticket": {"id": "x"}, "center_code": "11"}
    txn = transitions.transfer(connected, 7, [], None, target, now=500.0, wrap_seconds=30.0)
    assert _hset(txn.ops, ck("c1")) == {"state": "ended", "ended_at": 500.0, "end_reason": "transferred_remote",
                                        "hold_ms": 6_000, "held": ""}
    assert not any(op[0] == "zadd" and op[1] != WRAP for op in txn.ops) and not _counted(txn.ops)
    assert isinstance(txn.events[0], CallTransferred) and txn.events[0].kind == "remote"


def test_a_new_priority_reranks_a_waiting_call_keeping_its_arrival() -> None:
    txn = transitions.prioritise(CALL, 12)
    assert txn.checks == ((ck("c1"), "state", ("waiting",)), (ck("c1"), "queue_id", ("44-pension",)))
    score = transitions.queue.policy.queue_score(9, 100.0)  # at most 9
    assert _hset(txn.ops, ck("c1")) == {"priority": 9, "score": score}
    assert ["zadd", qk("44-pension"), score, "c1"] in txn.ops
    assert ["zadd", qlk("44-pension", "yue"), score, "c1"] in txn.ops
    assert txn.events == (CallPrioritised(call_id="c1", queue_id="44-pension", priority=9),)


def test_a_moved_call_changes_queue_center_and_load_keeping_its_score() -> None:
    txn = transitions.move(replace(CALL, journey=("44-pension",)), BEIJING)
    assert txn.checks == ((ck("c1"), "state", ("waiting",)), (ck("c1"), "queue_id", ("44-pension",)))
    assert ["zrem", qk("44-pension"), "c1"] in txn.ops and ["hincr", LOAD, "44", -1] in txn.ops
    assert ["zadd", qk("11-pension"), 100.0, "c1"] in txn.ops and ["hincr", LOAD, "11", 1] in txn.ops
    assert ["sadd", ACTIVE, "11-pension"] in txn.ops
    assert _hset(txn.ops, ck("c1")) == {"queue_id": "11-pension", "center": "11", "topic": "pension",
                                        "journey": '["44-pension", "11-pension"]'}
    assert txn.events == (CallMoved(call_id="c1", queue_id="11-pension", from_queue="44-pension", center_code="11"),)


def test_an_overflow_moves_the_call_to_the_target_queue_or_marks_it_for_a_callback() -> None:
    txn = transitions.overflow(replace(CALL, journey=("44-pension",)), PENSION, BEIJING)
    assert txn.checks == ((ck("c1"), "state", ("waiting",)), (ck("c1"), "queue_id", ("44-pension",)))
    assert _hset(txn.ops, ck("c1")) == {"queue_id": "11-pension", "center": "11", "overflow": "queue:11-pension",
                                        "journey": '["44-pension", "11-pension"]'}
    assert ["zrem", qk("44-pension"), "c1"] in txn.ops and ["zadd", qk("11-pension"), 100.0, "c1"] in txn.ops
    assert ["hincr", LOAD, "44", -1] in txn.ops and ["hincr", LOAD, "11", 1] in txn.ops
    assert ["zrem", MAXWAIT, "c1"] in txn.ops
    assert txn.events == (CallOverflow(call_id="c1", queue_id="44-pension", action="queue:11-pension"),)
    callback = transitions.overflow(CALL, replace(PENSION, overflow_action="callback"), None)
    assert callback.checks == ((ck("c1"), "state", ("waiting",)),)
    assert callback.ops == (["hset", ck("c1"), {"overflow": "callback"}], ["zrem", MAXWAIT, "c1"])
    assert callback.events == (CallOverflow(call_id="c1", queue_id="44-pension", action="callback"),)


def test_a_callback_request_keeps_the_waiting_calls_place_and_ends_its_overflow() -> None:
    txn = transitions.request_callback("c1", "13900139000")
    assert txn.checks == ((ck("c1"), "state", ("waiting",)),)
    assert txn.ops == (["hset", ck("c1"), {"state": "callback", "cb_number": "13900139000", "overflow": ""}],)
    assert txn.events == ()  # the service lists the callback (acd.callback.requested) once it is stored


def test_a_callback_not_reached_ends_the_call_frees_the_agent_and_takes_back_the_answer() -> None:
    connected = replace(CALL, state="connected", agent_id=7, answered_at=120.0, cb_number="13900139000")
    txn = transitions.callback_unreached(connected, "no_answer", now=1000.0, sl_seconds=15)
    assert txn.checks == ((ck("c1"), "state", ("connected",)), (ak(7), "call_id", ("c1",)))
    assert _hset(txn.ops, ck("c1")) == {"state": "ended", "ended_at": 1000.0, "end_reason": "no_answer",
                                        "answered_at": ""}
    assert _hset(txn.ops, ak(7))["state"] == "not_ready" and _hset(txn.ops, ak(7))["call_id"] == ""
    assert not any(op[0] == "zadd" for op in txn.ops)  # no wrap-up, no pool
    assert _counted(txn.ops) == {"answered": -1, "wait_ms": -20_000}  # interval 0, as counted; 20 s: outside the SL
    assert txn.events == (AgentState(agent_id=7, state="not_ready", reason="no_answer"),)


def test_a_test_call_s_callback_not_reached_takes_its_answer_back_from_the_test_statistics() -> None:
    from agents.stats import TEST_SCOPE_PREFIX
    from core.testcalls import TEST_PREFIXES

    test_id = TEST_PREFIXES[0] + "c1"
    connected = replace(CALL, call_id=test_id, state="connected", agent_id=7, answered_at=120.0, cb_number="1")
    txn = transitions.callback_unreached(connected, "no_answer", now=1000.0, sl_seconds=15)
    counted = [op for op in txn.ops if op[0] == "hincr"]
    assert counted and all(TEST_SCOPE_PREFIX in op[1] for op in counted)  # not in the reports' figures
