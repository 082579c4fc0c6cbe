"""The engine on the real switch, ACD and tickets (SQLite, in-process store, FakeClock): the places
where the IVR and the other homes must agree."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from hotline.platform import Platform
from ivr.actions import AgentLegEnded, Collect, Connect, Digits, Hangup, Hold, HoldTick
from ivr.service import DEFAULT_FLOW, IvrService


@pytest.fixture
def ivr(platform: Platform) -> IvrService:
    service = IvrService(platform)
    service.publish(DEFAULT_FLOW.read_text(encoding="utf-8"), "12333", by="test")
    return service


def agent(platform: Platform, name: str, center: str = "11", skills: tuple[str, ...] = ("general",)) -> int:
    user = platform.accounts.create_user(name, "pw", ["agent"], province_scope=center)
    agent_id = platform.agents.create_agent(user.id, name=name, center_code=center, skills=skills)
    platform.agents.login(agent_id)
    platform.agents.set_ready(agent_id)
    return agent_id


def to_the_queue(ivr: IvrService, call_id: str) -> Any:
    ivr.start_call(call_id=call_id, caller="13800138000", called="12333", channel="twilio")
    ivr.resume(call_id, Digits("0"))  # main menu: an agent
    return ivr.resume(call_id, Digits("1"))  # keep the detected province (Beijing)


def test_agent_leg_never_answered_goes_back_to_the_head_of_the_queue(platform, ivr) -> None:
    first = agent(platform, "a1")
    to_the_queue(ivr, "c-1")
    assert platform.agents.call_status("c-1").state == "offered"
    platform.agents.accept(first, "c-1")
    connect = ivr.resume("c-1", HoldTick())
    assert isinstance(connect, Connect) and connect.agent_id == first
    hold = ivr.resume("c-1", AgentLegEnded("agent_no_answer"))  # the agent's phone never picked up
    assert isinstance(hold, Hold) and hold.prompts[0].id == "queue_agent_no_answer"
    status = platform.agents.call_status("c-1")
    assert status.state == "waiting" and status.position == 0 and status.agent_id is None
    assert platform.agents.agent_status(first).state == "not_ready"
    assert platform.agents.stats("11-general")["answered"] == 0  # not a finished call: no survey, no answer
    second = agent(platform, "a2")
    platform.agents.accept(second, "c-1")
    connect = ivr.resume("c-1", HoldTick())
    assert isinstance(connect, Connect) and connect.agent_id == second
    survey = ivr.resume("c-1", AgentLegEnded("agent_hangup"))
    assert isinstance(survey, Collect) and survey.prompts[-1].id == "survey"
    assert platform.agents.call_status("c-1").state == "ended"


def test_after_provincial_hours_the_ivr_announces_the_switchs_overflow(platform, ivr, clock) -> None:
    clock.set(datetime(2026, 11, 24, 11, 0, tzinfo=UTC))  # Tuesday 19:00 in Beijing
    first = ivr.start_call(call_id="c-2", caller="13800138000", called="12333", channel="twilio")
    ids = [p.id for p in first.prompts]
    assert ids[-1] == "main_menu" and "after_hours_notice" not in ids
    ivr.resume("c-2", Digits("0"))
    hold = ivr.resume("c-2", Digits("1"))
    assert isinstance(hold, Hold) and [p.id for p in hold.prompts][:2] == ["recording_notice", "route_overflow"]
    assert hold.prompts[1].text == "本省人工服务时间已过，为您转接全国12333人工服务。"
    assert platform.agents.call_status("c-2").queue_id == "00-general"
    # at 21:00 the national center is closed too: the notice and the callback offer, as the switch says
    clock.set(datetime(2026, 11, 24, 13, 0, tzinfo=UTC))
    first = ivr.start_call(call_id="c-3", caller="13800138000", called="12333", channel="twilio")
    assert "after_hours_notice" in [p.id for p in first.prompts]
    ivr.resume("c-3", Digits("0"))
    menu = ivr.resume("c-3", Digits("1"))
    assert [p.id for p in menu.prompts][-2:] == ["agents_closed", "after_hours_menu"]


def test_ticket_overflow_opens_a_real_ticket(platform, ivr, clock) -> None:
    clock.set(datetime(2026, 11, 24, 14, 0, tzinfo=UTC))  # 22:00 in Beijing
    platform.switch.update_center("11", overflow=["ticket"])
    end = to_the_queue(ivr, "c-4")
    tickets = platform.tickets.list_center("11")
    assert len(tickets) == 1
    t = tickets[0]
    assert (t.caller, t.province, t.call_id, t.status) == ("138****8000", "11", "c-4", "open")
    assert t.topic == "综合咨询来电回复"
    assert isinstance(end, Hangup) and end.reason == "ticket"  # the call ends after the ticket
    said = [p.text for p in end.prompts if p.id == "ticket_opened"]
    assert said and " ".join(str(t.id)) in said[0]
    assert ivr.contacts(caller="13800138000")[0]["outcome"] == "ticket"
