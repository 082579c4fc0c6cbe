"""The engine on the default flow, against fakes of the other homes (contract-exact)."""

from __future__ import annotations

import json

import pytest

from ivr.actions import AgentLegEnded, Collect, Digits, Hangup, Hold, HoldTick, Timeout
from ivr.service import IvrService
from tests.ivr.conftest import kinds, path, prompt_ids
from tests.ivr.fakes import HoursState


def test_invalid_key_is_explained_and_the_menu_repeated(call) -> None:
    result = call("8 1 h")
    ids = prompt_ids(result)
    assert ids[:3] == ["welcome", "language_switch", "main_menu"]
    assert ids[3:5] == ["input_invalid", "main_menu"]
    assert "pension_menu" in ids
    assert [e["value"] for e in kinds(result, "input")][:2] == ["8", "1"]
    assert result.outcome == "caller_hangup"


def test_timeouts_exhaust_retries_then_fallback_to_an_agent(call, homes) -> None:
    result = call("- - - 1 h")
    ids = prompt_ids(result)
    assert ids.count("input_timeout") == 2  # two re-asks, then the fallback
    assert "too_many_attempts" in ids
    assert "agent_general" in path(result)
    # province confirmed, told the call may be recorded, queued, served
    assert path(result)[-5:] == ["agent", "agent_consent", "recording_notice", "agent_route", "survey"]


def test_knowledge_answer_read_then_sent_by_sms(call, homes) -> None:
    result = call("1 1 1 1")
    answer = kinds(result, "kb_answer")[0]
    assert answer["found"] is True and answer["article_id"] == "kb-1001"
    assert "kb:kb-1001" in prompt_ids(result)
    assert homes.knowledge.queries[0][0] == "养老保险关系跨省转移接续怎么办理"
    assert homes.sms.sent[0][:2] == ("13800138000", "kb_answer")
    assert homes.sms.sent[0][2] == {"title": "养老保险关系转移", "answer": "向转入地社保机构申请即可。"}
    assert kinds(result, "sms")[0]["to"] == "138****8000"
    assert result.outcome == "completed"  # 1 at "after answer" ends the call


def test_landline_caller_is_not_offered_sms(call, homes) -> None:
    result = call("1 1 1 h", caller="01088886666")
    assert "kb_offer" in prompt_ids(result) and "kb_offer_sms" not in prompt_ids(result)
    assert homes.sms.sent == []


@pytest.mark.parametrize("key,topic", [("1", "pension"), ("2", "medical"), ("3", "employment"),
                                       ("4", "injury_maternity"), ("5", "labour"), ("6", "card")])
def test_zero_reaches_an_agent_from_every_topic_menu_then_survey(call, homes, ivr, key, topic) -> None:
    result = call(f"{key} 0 1 2")
    route = kinds(result, "route")[0]
    assert route["topic"] == topic and route["queue_id"] == f"11-{topic}"
    assert homes.agents.queued[0].topic == topic
    assert homes.agents.queued[0].context["ivr_path"][:2] == ["welcome", "hours_check"]
    assert [e["status"] for e in kinds(result, "agent")] == ["connected", "ended"]
    assert kinds(result, "survey")[0]["score"] == 2
    assert ivr.surveys()[0]["score"] == 2 and ivr.surveys()[0]["agent_id"] == 7
    assert homes.agents.ended == [result.call_id]
    assert result.outcome == "completed"


def test_zero_from_the_main_menu_is_one_level_from_an_agent(call, homes) -> None:
    result = call("0 1 1")
    assert path(result)[:5] == ["welcome", "hours_check", "main_menu", "agent_general", "agent"]
    assert kinds(result, "route")[0]["topic"] == "general"


def test_province_keyed_in_as_area_code(call, homes) -> None:
    result = call("0 2 020# 1")
    assert kinds(result, "province")[0] == {**kinds(result, "province")[0], "province": "44", "how": "keyed"}
    assert homes.switch.routes[0]["choice"] == "44"


def test_records_with_password_masked_and_never_stored(call, homes, ivr, platform) -> None:
    result = call("7 1 11010519491231002X# 1 1 246810# 9 h")
    records = kinds(result, "record")
    assert [(r["op"], r["status"]) for r in records] == [("verify_password", "ok"), ("summary", "ok")]
    assert records[1]["id"] == "110105********002X"
    values = [e["value"] for e in kinds(result, "input")]
    assert "110105********002X" in values and "******" in values
    assert homes.records.calls[0][2:4] == ("11010519491231002X", "246810")
    row = ivr.transcript(result.call_id)
    stored = json.dumps(row, ensure_ascii=False) + (platform.store.get(f"ivr:call:{result.call_id}") or "")
    assert "246810" not in stored and "11010519491231002X" not in stored
    assert "累计缴费" not in json.dumps(row["events"], ensure_ascii=False)  # the record read is redacted
    assert homes.records.ended == [result.call_id]
    assert ivr.contacts(id_number="11010519491231002X")[0]["call_id"] == result.call_id


def test_records_wrong_check_digit_is_refused_with_its_reason(call) -> None:
    result = call("7 1 110105194912310021# h")
    invalid = kinds(result, "invalid")[0]
    assert invalid["reason"] == "invalid_id_checksum" and "invalid_id_checksum" in prompt_ids(result)


@pytest.mark.parametrize("hours,notice", [
    (HoursState(False, "weekly_hours", "现在是非工作时间。"), "after_hours_notice"),
    (HoursState(False, "holiday", "国庆节假期人工服务暂停。", "国庆节"), "holiday_notice"),
    (HoursState(False, "emergency", "因突发情况，人工服务暂停。"), "emergency_notice"),
])
def test_closed_hours_notice_then_callback_offer(call, homes, hours, notice) -> None:
    homes.switch.hours = hours
    result = call("0 1 1")
    ids = prompt_ids(result)
    assert ids[2] == notice and hours.text_zh in kinds(result, "prompt")[2]["text"]
    assert "agents_closed" in ids and "after_hours_menu" in ids
    assert kinds(result, "callback")[0]["status"] == "scheduled"
    assert result.outcome == "callback"


def test_after_hours_sms_with_opening_hours(call, homes) -> None:
    homes.switch.hours = HoursState(False, "weekly_hours", "人工服务时间为周一至周五。")
    call("0 1 2")
    assert homes.sms.sent[0][1] == "kb_answer" and homes.sms.sent[0][2]["answer"] == "人工服务时间为周一至周五。"


def test_caller_hanging_up_in_the_queue_is_an_abandon(call, homes) -> None:
    homes.agents.auto_connect = False
    result = call("0 1", patience_s=90)
    assert kinds(result, "queue")[0]["state"] == "waiting"
    assert "queue_position" in prompt_ids(result) and "queue_ewt" in prompt_ids(result)
    assert homes.agents.abandoned == [result.call_id]
    assert result.outcome == "abandoned"


def test_callback_key_while_queued_keeps_the_place(call, homes) -> None:
    homes.agents.auto_connect = False
    result = call("0 1 1")
    assert "queue_offer_callback" in prompt_ids(result)
    assert homes.agents.calls[result.call_id]["state"] == "callback"
    assert result.outcome == "callback" and homes.agents.abandoned == []


def test_english_at_nine(call, homes) -> None:
    result = call("9 0 1 1")
    main = [e for e in kinds(result, "prompt") if e["id"] == "main_menu"]
    assert main[0]["language"] == "zh" and main[1]["language"] == "en"
    assert main[1]["text"].startswith("For pensions")
    assert homes.agents.queued[0].language == "en"


def test_free_speech_goes_through_the_classifier_to_the_knowledge_base(call, homes) -> None:
    result = call("1", says=["我想问养老保险转移"])
    intent = kinds(result, "intent")[0]
    assert intent["intent"] == "pension" and intent["confidence"] > 0.5
    # searched with the routing province (detected from the number) and the recognised topic
    assert homes.knowledge.queries == [("我想问养老保险转移", "11")] and homes.knowledge.topics == ["pension"]
    assert kinds(result, "kb_answer")[0]["found"] is True


def test_unclear_speech_is_asked_again(call) -> None:
    result = call("h", says=["今天天气怎么样"])
    assert kinds(result, "intent")[0]["intent"] is None
    assert "speech_no_match" in prompt_ids(result)


def test_state_is_json_in_the_store_and_another_node_continues(platform, ivr, homes) -> None:
    action = ivr.start_call(call_id="c-1", caller="13800138000", called="+86 12333", channel="twilio")
    assert isinstance(action, Collect) and action.max_digits == 1
    raw = json.loads(platform.store.get("ivr:call:c-1"))
    assert raw["node"] == "main_menu" and raw["flow_version"] == 1 and raw["entry"] == "12333"
    other_node = IvrService(platform, homes=homes)  # no shared memory but the store and the database
    action = other_node.resume("c-1", Digits("1"))
    assert isinstance(action, Collect) and action.prompts[0].id == "pension_menu"
    other_node.hangup("c-1")
    assert isinstance(ivr.resume("c-1", Digits("1")), Hangup)  # late results get a clean hang-up
    assert isinstance(ivr.resume("nope", Timeout()), Hangup)


def test_hold_and_connect_through_the_contract(ivr, homes) -> None:
    homes.agents.auto_connect = False
    ivr.start_call(call_id="c-2", caller="13800138000", called="12333", channel="asterisk")
    ivr.resume("c-2", Digits("0"))
    hold = ivr.resume("c-2", Digits("1"))
    assert isinstance(hold, Hold) and hold.keys == "1" and hold.max_seconds == 30
    assert ivr.call_context("c-2")["queue"]["state"] == "waiting"
    homes.agents.connect("c-2", agent_id=3)
    connect = ivr.resume("c-2", HoldTick())
    assert connect.kind == "connect" and connect.endpoint == "PJSIP/agent-3" and connect.call_id == "c-2"
    ivr.hangup("c-2")
    assert homes.agents.ended == ["c-2"]
    assert ivr.contacts(caller="13800138000")[0]["outcome"] == "caller_hangup"


def test_events_on_the_bus(platform, call) -> None:
    seen: list[str] = []
    platform.bus.subscribe(lambda e: seen.append(e.type), ("call.",))
    call("1 h")
    assert seen[0] == "call.started" and "call.menu" in seen and "call.input" in seen and seen[-1] == "call.ended"


def test_no_live_flow_hangs_up_politely(ivr) -> None:
    action = ivr.start_call(call_id="c-3", caller=None, called="95588", channel="simulator")
    assert isinstance(action, Hangup) and action.reason == "no_flow" and action.prompts[0].id == "service_unavailable"


def test_remote_center_is_transferred_after_the_prompt(ivr, homes) -> None:
    from dataclasses import dataclass

    from ivr.actions import Played, Transfer

    @dataclass
    class Ticket:
        token: str
        code: str

    @dataclass
    class TransferResult:
        kind: str
        center_code: str
        queue_id: str | None
        trunk: str | None
        ticket: Ticket

    original = homes.switch.route

    def remote_route(**kwargs):  # type: ignore[no-untyped-def]
        decision = original(**kwargs)
        decision.remote, decision.center_code = True, "65"
        return decision

    homes.switch.route = remote_route
    homes.switch.hand_off = lambda call_id, to, *, topic, context, from_center=None: TransferResult(  # type: ignore[method-assign]
        "remote", to, "65-general", "trunk-xj", Ticket("tok", "12345678"))
    ivr.start_call(call_id="c-4", caller="13800138000", called="12333", channel="asterisk")
    ivr.resume("c-4", Digits("0"))
    play = ivr.resume("c-4", Digits("1"))
    assert play.kind == "play" and play.prompts[-1].id == "transferring"
    transfer = ivr.resume("c-4", Played())
    assert transfer == Transfer(center_code="65", trunk="trunk-xj", token="tok", code="12345678")
    ivr.hangup("c-4", "transferred")
    assert ivr.contacts(caller="13800138000")[0]["outcome"] == "transferred"


def test_a_repeated_start_answers_the_same_action(ivr, platform) -> None:
    first = ivr.start_call(call_id="c-5", caller="13800138000", called="12333", channel="twilio")
    again = ivr.start_call(call_id="c-5", caller="13800138000", called="12333", channel="twilio")
    assert again == first
    assert len(ivr.contacts(caller="13800138000")) == 1


def test_sweeper_closes_calls_whose_channel_vanished(ivr, homes, clock) -> None:
    import asyncio

    from ivr.runtime import services

    homes.agents.auto_connect = False
    ivr.start_call(call_id="ghost", caller="13800138000", called="12333", channel="asterisk")
    ivr.resume("ghost", Digits("0"))
    ivr.resume("ghost", Digits("1"))  # queued, then the AGI session dies
    ivr.start_call(call_id="alive", caller="13800138000", called="12333", channel="asterisk")
    ivr.start_call(call_id="talking", caller="13800138000", called="12333", channel="asterisk")
    ivr.resume("talking", Digits("0"))
    ivr.resume("talking", Digits("1"))
    homes.agents.connect("talking")
    assert ivr.resume("talking", HoldTick()).kind == "connect"  # a long conversation must survive
    assert ivr.sweep(900) == []
    clock.advance(1000)
    ivr.resume("alive", Digits("1"))  # still moving
    sweeper = services(type("P", (), {"ivr": ivr})())[0]
    sweeper.interval = 0.01

    async def one_pass() -> None:
        await sweeper.start()
        await asyncio.sleep(0.05)
        await sweeper.stop()

    asyncio.run(one_pass())
    assert homes.agents.abandoned == ["ghost"]
    outcomes = {c["call_id"]: c["outcome"] for c in ivr.contacts(caller="13800138000")}
    assert outcomes == {"ghost": "lost", "alive": None, "talking": None}


def test_change_password_over_three_prompts_keeps_secrets_out_of_the_state(call, homes, platform) -> None:
    seen: list[tuple] = []
    original = homes.records.change_password

    def spy(session_id, old, new, repeat, *, channel):  # type: ignore[no-untyped-def]
        seen.append((old, new, repeat))
        assert "135791" not in (platform.store.get(f"ivr:call:{session_id}") or "")
        return original(session_id, old, new, repeat, channel=channel)

    homes.records.change_password = spy  # type: ignore[method-assign]
    result = call("7 1 11010519491231002X# 1 1 246810# 2 246810# 135791# 135791# h")
    assert seen == [("246810", "135791", "135791")]
    assert [(r["op"], r["status"]) for r in kinds(result, "record")][-1] == ("change_password", "ok")
    assert platform.store.hgetall(f"ivr:secret:{result.call_id}") == {}


def test_records_with_an_sms_code(call) -> None:
    result = call("7 1 11010519491231002X# 1 2 123456# h")
    assert [(r["op"], r["status"]) for r in kinds(result, "record")] == [
        ("send_otp", "otp_sent"), ("verify_otp", "ok"), ("summary", "ok")]


def test_closed_province_with_an_open_overflow_center_is_announced_and_put_through(call, homes) -> None:
    """The IVR follows the switch: no "closed" notice for a call another center takes, and the
    caller hears why and where the call goes (the decision's announcement)."""
    homes.switch.hours = HoursState(False, "weekly_hours", "现在是非工作时间，人工服务时间为周一至周五。")
    homes.switch.overflow_to = "00"
    result = call("0 1 1")
    ids = prompt_ids(result)
    assert ids[2] == "main_menu"  # no after-hours notice: the national center answers
    announced = [e for e in kinds(result, "prompt") if e["id"] == "route_overflow"]
    assert announced[0]["text"] == "本省人工服务时间已过，为您转接全国12333人工服务。"
    route = kinds(result, "route")[0]
    assert route["is_open"] and route["overflow"] == "national" and route["center_code"] == "00"
    assert homes.agents.queued[0].queue_id == "00-general" and homes.agents.queued[0].center_code == "00"
    assert "agents_closed" not in ids and "after_hours_menu" not in ids
    assert kinds(result, "survey")[0]["score"] == 1 and result.outcome == "completed"


def test_closed_everywhere_offers_a_callback_in_the_centers_queue(call, homes) -> None:
    homes.switch.hours = HoursState(False, "holiday", "国庆节假期人工服务暂停。", "国庆节")
    homes.switch.overflow = "callback"
    result = call("2 0 1 1")
    ids = prompt_ids(result)
    assert ids[2] == "holiday_notice" and "agents_closed" in ids and "route_overflow" not in ids
    assert kinds(result, "callback")[0]["status"] == "scheduled"
    # the switch queued nothing: the callback is booked in the queue the switch names for the center and topic
    assert homes.agents.queued[0].queue_id == "11-medical" and homes.agents.calls[result.call_id]["state"] == "callback"


@pytest.mark.parametrize("is_open", [False, True])  # closed, or open but overloaded
def test_ticket_overflow_opens_a_ticket_and_tells_the_caller_its_number(call, homes, is_open) -> None:
    homes.switch.hours = HoursState(is_open, "weekly_hours", "人工服务正常。" if is_open else "现在是非工作时间。")
    homes.switch.overflow = "ticket"
    result = call("1 0 1")
    assert homes.tickets.opened == [{"caller": "13800138000", "topic": "pension", "province": "11",
                                     "call_id": result.call_id, "center_code": "11"}]
    said = next(e for e in kinds(result, "prompt") if e["id"] == "ticket_opened")["text"]
    assert "工单编号为4 0 0 1" in said
    assert kinds(result, "ticket")[0] == {**kinds(result, "ticket")[0], "status": "opened", "ticket_id": 4001}
    assert homes.agents.queued == [] and result.outcome == "ticket"


def test_ticket_needs_a_caller_number(call, homes) -> None:
    homes.switch.hours = HoursState(False, "weekly_hours", "现在是非工作时间。")
    homes.switch.overflow = "ticket"
    result = call("0 1 2 11 h", caller="")
    assert homes.tickets.opened == [] and kinds(result, "ticket")[0]["status"] == "no_number"


def test_agent_leg_not_answered_requeues_the_caller_first_in_line(ivr, homes) -> None:
    homes.agents.auto_connect = False
    ivr.start_call(call_id="c-rna", caller="13800138000", called="12333", channel="twilio")
    ivr.resume("c-rna", Digits("0"))
    ivr.resume("c-rna", Digits("1"))
    homes.agents.connect("c-rna", agent_id=3)
    connect = ivr.resume("c-rna", HoldTick())
    assert connect.kind == "connect" and connect.agent_id == 3
    hold = ivr.resume("c-rna", AgentLegEnded("agent_no_answer"))
    assert isinstance(hold, Hold) and [p.id for p in hold.prompts][:2] == ["queue_agent_no_answer", "queue_next"]
    assert homes.agents.not_ready == [(3, "agent_no_answer")] and homes.agents.ended == []
    assert homes.agents.calls["c-rna"]["state"] == "waiting"
    homes.agents.connect("c-rna", agent_id=5)
    connect = ivr.resume("c-rna", HoldTick())
    assert connect.kind == "connect" and connect.agent_id == 5
    survey = ivr.resume("c-rna", AgentLegEnded("agent_hangup"))
    assert isinstance(survey, Collect) and survey.prompts[-1].id == "survey"
    assert homes.agents.ended == ["c-rna"]
    agents = [(e["status"], e.get("agent_id")) for e in ivr.engine.state("c-rna")["events"] if e["type"] == "agent"]
    assert agents == [("connected", 3), ("no_answer", 3), ("connected", 5), ("ended", 5)]


def test_a_bad_transition_goes_to_the_error_node(call, monkeypatch) -> None:
    """A handler's Goto to a node that does not exist is followed by the flow's `on_error` node, never
    handed to the channel as if it were an action."""
    from ivr.context import Goto
    from ivr.nodes import HANDLERS

    class Lost:
        def enter(self, ctx):  # type: ignore[no-untyped-def]
            return Goto("nowhere")

    monkeypatch.setitem(HANDLERS, "branch", Lost())
    result = call("1 1")
    assert [e for e in result.events if e["type"] == "error"]
    assert path(result)[:3] == ["welcome", "hours_check", "agent_general"]


def test_the_acd_is_settled_once_when_the_channel_ends_after_the_flow(ivr, homes) -> None:
    """The agent leg ends, the survey runs and the flow hangs up; then the channel's own end arrives
    (AGI hang-up, AMI Hangup, Twilio's status callback). The engine tells the ACD once; the later
    ends only ask the idempotent `caller_left`, which finds nothing left to settle."""
    homes.agents.auto_connect = False
    ivr.start_call(call_id="c-once", caller="13800138000", called="12333", channel="asterisk")
    ivr.resume("c-once", Digits("0"))
    ivr.resume("c-once", Digits("1"))
    homes.agents.connect("c-once", agent_id=3)
    ivr.resume("c-once", HoldTick())
    action = ivr.resume("c-once", AgentLegEnded("completed"))
    while not isinstance(action, Hangup):  # the survey: no answers
        action = ivr.resume("c-once", Timeout())
    assert homes.agents.ended == ["c-once"] and homes.agents.abandoned == []
    ivr.hangup("c-once", "completed")  # the channel ends after the flow did
    ivr.hangup("c-once", "caller_hangup")  # and a second hang-up event
    assert homes.agents.ended == ["c-once"] and homes.agents.abandoned == []
    assert next(r for c, r in homes.agents.left if c == "c-once") == "completed"


def test_a_caller_hanging_up_while_a_console_transfer_requeued_them_is_abandoned(ivr, homes) -> None:
    """The engine's copy of the queue state says connected, but the console moved the call back to a
    queue meanwhile: the ACD, not the copy, decides what the hang-up settles."""
    homes.agents.auto_connect = False
    ivr.start_call(call_id="c-moved", caller="13800138000", called="12333", channel="asterisk")
    ivr.resume("c-moved", Digits("0"))
    ivr.resume("c-moved", Digits("1"))
    homes.agents.connect("c-moved", agent_id=3)
    ivr.resume("c-moved", HoldTick())  # the engine now holds "connected"
    homes.agents.calls["c-moved"].update(state="waiting", agent_id=None)  # a console transfer re-queued it
    ivr.hangup("c-moved")
    assert homes.agents.abandoned == ["c-moved"] and homes.agents.ended == []


def test_a_node_s_own_retry_limit_beats_the_flow_default(platform, homes) -> None:
    """The default flow says max_retries: 2; a main menu that says 0 gives up at the first time-out."""
    from ivr.service import DEFAULT_FLOW
    from ivr.simulator import ScriptedCaller, Simulator

    text = DEFAULT_FLOW.read_text(encoding="utf-8")
    marker = "  main_menu:\n"
    assert marker in text
    at = text.index(marker) + len(marker)
    service = IvrService(platform, homes=homes)
    service.publish(text[:at] + "    max_retries: 0\n" + text[at:], "12333", by="test")
    result = Simulator(platform, ScriptedCaller("- 1 h"), agent=False, ivr=service, homes=homes).run(
        caller="13800138000", called="12333")
    ids = prompt_ids(result)
    assert "input_timeout" not in ids and "too_many_attempts" in ids
    assert "agent_general" in path(result)
