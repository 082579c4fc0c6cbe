"""ACD transitions as pure functions: checks, operations and events, without a store."""

from __future__ import annotations

from agents import transitions
from agents.events import AgentState, CallConnected, CallEnded, CallOffered
from agents.keys import ACTIVE, LOAD, MAXWAIT, OFFERS, ak, ck, qk, qlk, rk, rlk
from agents.records import AgentRec, CallRec
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
