"""Work orders: open with a working-day due date, assign, comment, close, list, overdue, scope."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from tickets.service import TicketError


@pytest.fixture
def people(platform):  # type: ignore[no-untyped-def]
    acc = platform.accounts
    return {
        "agent": acc.create_user("t-agent", "pw", ["agent"], province_scope="44"),
        "office": acc.create_user("t-office", "pw", ["supervisor"], province_scope="44"),
        "bj": acc.create_user("t-bj", "pw", ["agent"], province_scope="11"),
        "national": acc.create_user("t-nat", "pw", ["supervisor"], province_scope="00"),
    }


def _open(platform, user, **kw):  # type: ignore[no-untyped-def]
    values = dict(caller="13612345678", topic="养老金未到账", description="来电人反映10月养老金未到账，请核实。",
                  caller_name="周丽", id_number="440305199205182022", call_id="call-1")
    values.update(kw)
    return platform.tickets.open_ticket(user, **values)


def test_open_sets_two_working_days_and_masks_personal_data(platform, people) -> None:
    events = []
    platform.bus.subscribe(events.append, ("ticket.",))
    t = _open(platform, people["agent"])  # FakeClock: Tue 24 Nov 2026, 10:00 Beijing
    assert t.status == "open" and t.province == "44" and t.center_code == "44"
    assert t.due_date == date(2026, 11, 26) and not t.overdue
    assert t.caller == "136****5678" and t.caller_name == "周*" and t.id_number == "440305********2022"
    assert [e.type for e in events] == ["ticket.opened"] and events[0].data["ticket_id"] == t.id


def test_due_date_counts_the_beijing_day_and_holidays(platform, people, clock) -> None:
    # 13 Feb 2026 17:00 UTC is already Saturday 14 Feb (a 调休 working day) in Beijing
    clock.set(datetime(2026, 2, 13, 17, 0, tzinfo=UTC))
    t = _open(platform, people["agent"])
    assert t.due_date == date(2026, 2, 25)


def test_lifecycle_and_history(platform, people) -> None:
    svc = platform.tickets
    t = _open(platform, people["agent"])
    svc.comment(people["agent"], t.id, "来电人补充：银行卡已更换")
    t = svc.assign(people["office"], t.id, people["office"].id)
    assert t.status == "in_progress" and t.assignee_id == people["office"].id
    with pytest.raises(TicketError) as bad:
        svc.close(people["office"], t.id, "  ")
    assert bad.value.code == "missing"
    t = svc.close(people["office"], t.id, "已联系银行重新发放")
    assert t.status == "closed" and t.closure_note == "已联系银行重新发放" and t.closed_at is not None
    assert [e.kind for e in t.history] == ["opened", "comment", "assigned", "closed"]
    assert t.history[1].text == "来电人补充：银行卡已更换" and t.history[1].actor_id == people["agent"].id
    with pytest.raises(TicketError):
        svc.comment(people["agent"], t.id, "再补充")
    t = svc.reopen(people["office"], t.id, "来电人反映仍未到账")
    assert t.status == "in_progress" and t.closed_at is None


def test_scope_and_validation(platform, people) -> None:
    svc = platform.tickets
    t = _open(platform, people["agent"])
    with pytest.raises(TicketError) as denied:
        svc.comment(people["bj"], t.id, "越权备注")
    assert denied.value.code == "forbidden"
    with pytest.raises(TicketError) as bad:
        svc.assign(people["office"], t.id, people["bj"].id)  # the Beijing agent does not handle Guangdong
    assert bad.value.code == "assignee"
    with pytest.raises(TicketError):
        _open(platform, people["agent"], province="11")
    with pytest.raises(TicketError) as missing:
        _open(platform, people["national"])  # a national user must say which province
    assert missing.value.code == "province"
    assert _open(platform, people["national"], province="51").center_code == "51"
    with pytest.raises(TicketError):
        _open(platform, people["agent"], topic=" ")
    with pytest.raises(TicketError):
        svc.get(people["agent"], 9999)


def test_lists_and_overdue(platform, people, clock) -> None:
    svc = platform.tickets
    a = _open(platform, people["agent"])
    b = _open(platform, people["agent"], due_date=date(2026, 11, 24))
    c = _open(platform, people["national"], province="44", center_code="00")
    svc.assign(people["office"], c.id, people["office"].id)
    assert [t.id for t in svc.list_mine(people["agent"])] == [b.id, a.id]
    assert [t.id for t in svc.list_mine(people["office"])] == [c.id]
    assert {t.id for t in svc.list_center("44")} == {a.id, b.id}
    assert [t.id for t in svc.list_center("00", status="in_progress")] == [c.id]
    assert svc.list_overdue() == []
    clock.advance(timedelta(days=1))
    assert [t.id for t in svc.list_overdue("44")] == [b.id]
    clock.advance(timedelta(days=2))  # Friday 27 Nov: a and c (due Thursday) are overdue too
    assert {t.id for t in svc.list_overdue()} == {a.id, b.id, c.id}
    svc.close(people["agent"], b.id, "已办结")
    assert {t.id for t in svc.list_overdue()} == {a.id, c.id}
    closed = svc.get(people["agent"], b.id)
    assert not closed.overdue and closed.history[-1].detail["late"] is True


def test_works_on_postgres(any_platform) -> None:  # type: ignore[no-untyped-def]
    user = any_platform.accounts.create_user("pg-agent", "pw", ["agent"], province_scope="44")
    t = _open(any_platform, user)
    any_platform.tickets.comment(user, t.id, "备注")
    closed = any_platform.tickets.close(user, t.id, "已办结")
    assert closed.status == "closed" and [e.kind for e in closed.history] == ["opened", "comment", "closed"]
    assert closed.created_at.tzinfo is not None and closed.due_date == date(2026, 11, 26)


def test_ivr_opens_a_ticket_for_a_call_as_the_system_user(platform, people) -> None:
    """The switch's "ticket" overflow: the IVR opens one for the caller's number and topic."""
    first = platform.tickets.open_for_call(caller="13800138000", topic="pension", province="11", call_id="c-1")
    second = platform.tickets.open_for_call(caller="13900139000", topic=None, province="44", call_id="c-2",
                                            center_code="00")
    assert (first.province, first.center_code, first.call_id, first.status) == ("11", "11", "c-1", "open")
    assert first.topic == "养老保险来电回复" and "养老保险" in first.description and first.caller == "138****8000"
    assert second.topic == "综合咨询来电回复" and second.center_code == "00"
    assert first.due_date == date(2026, 11, 26)  # the working-day rule applies as for any ticket
    system = platform.accounts.by_username("ivr")
    assert first.opened_by == second.opened_by == system.id and not system.active and system.role_set == frozenset()
    # each lands in the handling center's list; a Beijing agent cannot open the Guangdong caller's
    assert [t.id for t in platform.tickets.list_center("11")] == [first.id]
    assert [t.id for t in platform.tickets.list_center("00")] == [second.id]
    with pytest.raises(TicketError):
        platform.tickets.get(people["bj"], second.id)
    with pytest.raises(TicketError) as bad:
        platform.tickets.open_for_call(caller=" ", topic="pension", province="11", call_id="c-3")
    assert bad.value.code == "missing"


def test_an_agent_holds_at_most_max_tickets_in_progress(platform, people) -> None:
    """The task channel's concurrency: the agent profile's `max_tickets` caps work orders in progress."""
    svc, agent = platform.tickets, people["agent"]
    platform.agents.create_agent(agent.id, name="t-agent", center_code="44", skills=("general",), max_tickets=2)
    first, second, third = (_open(platform, people["office"]) for _ in range(3))
    svc.assign(people["office"], first.id, agent.id)
    svc.assign(agent, second.id, agent.id)  # an agent takes one for themselves
    with pytest.raises(TicketError) as full:
        svc.assign(people["office"], third.id, agent.id)
    assert full.value.code == "capacity" and "上限 2" in full.value.message
    assert svc.get(people["office"], third.id).status == "open"  # nothing half-done
    assert svc.assign(people["office"], second.id, agent.id).assignee_id == agent.id  # re-assigning is not one more
    # the office (no agent profile) has no limit; closing one frees a place
    assert svc.ticket_limit(people["office"].id) is None
    svc.close(agent, first.id, "已回复来电人")
    assert svc.assign(people["office"], third.id, agent.id).status == "in_progress"
    picker = svc.assignees(people["office"], third.id)
    assert [(a.username, a.in_progress, a.limit, a.full) for a in picker] == [("t-agent", 2, 2, True)]


def test_a_reopened_ticket_goes_back_to_the_pool_when_its_handler_is_full(platform, people) -> None:
    svc, agent = platform.tickets, people["agent"]
    platform.agents.create_agent(agent.id, name="t-agent", center_code="44", skills=("general",), max_tickets=1)
    done = _open(platform, people["office"])
    svc.assign(people["office"], done.id, agent.id)
    svc.close(agent, done.id, "已办结")
    busy = _open(platform, people["office"])
    svc.assign(people["office"], busy.id, agent.id)
    reopened = svc.reopen(people["office"], done.id, "来电人不满意")
    assert reopened.status == "open" and reopened.assignee_id is None
    assert reopened.history[-1].detail == {"unassigned": "capacity"}


def test_the_work_order_limit_is_checked_on_the_profile(platform, people) -> None:
    from agents.domain import AcdError

    agent_id = platform.agents.create_agent(people["agent"].id, name="t-agent", center_code="44",
                                            skills=("general",))
    assert platform.agents.profile(agent_id).max_tickets == 10
    for bad in (0, 51, True):
        with pytest.raises(AcdError):
            platform.agents.update_agent(agent_id, max_tickets=bad)
    assert platform.agents.update_agent(agent_id, max_tickets=3).max_tickets == 3
