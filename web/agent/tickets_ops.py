"""Tickets (工单) from the console (/api/v1/tickets/...): alerts, lists, opening one for a call,
assigning, comments and closing."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort
from flask_login import current_user

from web.agent.context import (
    AGENT_SUP,
    DETAILS_MAX,
    SUBJECT_MAX,
    as_dict,
    call_province,
    call_record,
    caller_number,
    require_my_call,
    within_limit,
)
from web.apikit import op
from web.extensions import platform_of
from web.permissions import Param
from web.services import BadInput, to_jsonable

# ---- tickets ----------------------------------------------------------------------------------

@op("/tickets/alerts", roles=AGENT_SUP, tag="tickets", template="agent/_ticket_alerts.html")
def tickets_alerts() -> dict:
    """Overdue and nearly-due tickets of my province (all of them for national roles): the badge in
    every console's top bar, refreshed on each `ticket.alert` event."""
    return dict(platform_of().tickets.alert_counts(current_user.province_scope))


@op("/tickets", roles=AGENT_SUP, tag="tickets", template="agent/_tickets.html", scope="province",
    params=(Param("list", where="query", enum=("mine", "center", "overdue")),
            Param("province", where="query", description="center (default: my scope)")))
def tickets_list(list: str | None, province: str | None) -> dict:
    """Tickets: mine (opened or assigned), my center's, or overdue."""
    which = list or "mine"
    province = province or current_user.province_scope
    center = None if province == "00" else province
    if which == "mine":
        rows = platform_of().tickets.list_mine(current_user)
    elif which == "center":
        if center is None:
            raise BadInput("choose a center (province) for the center list")
        rows = platform_of().tickets.list_center(center)
    else:
        rows = platform_of().tickets.list_overdue(center)
    return {"list": which, "province": province, "tickets": to_jsonable(rows or [])}


def open_ticket(*, subject: str, details: str, call_id: str | None, caller: str | None, due: str | None,
                 province: str | None = None) -> dict[str, Any]:
    id_number = None
    if call_id:
        record = call_record(call_id)
        require_my_call(record)
        province = province or call_province(record)
        caller = caller or caller_number(call_id)
        id_number = platform_of().records.is_verified(call_id)
    if not caller:
        raise BadInput("请填写来电号码 / the caller's number is needed")
    due_date = None
    if due:
        try:
            due_date = date.fromisoformat(due[:10])
        except ValueError:
            raise BadInput(f"not a date: {due}") from None
    view = platform_of().tickets.open_ticket(current_user, caller=caller, topic=subject,
                                             description=details or subject, province=province or None,
                                             id_number=id_number, call_id=call_id, due_date=due_date)
    return as_dict(view)


@op("/tickets", method="POST", roles=AGENT_SUP, tag="tickets", template="_done.html",
    params=(Param("subject", required=True), Param("details"), Param("call_id"),
            Param("caller", description="caller's number (taken from the call when call_id is given)"),
            Param("province", description="province of the ticket (default: the call's, else mine)"),
            Param("due", fmt="date", description="YYYY-MM-DD; default 2 working days")))
def tickets_open(subject: str, details: str | None, call_id: str | None, caller: str | None, province: str | None,
                 due: str | None) -> dict:
    """Open a ticket (工单) for the business office; due in 2 working days unless given."""
    within_limit(subject, SUBJECT_MAX, "工单标题", "subject")
    within_limit(details, DETAILS_MAX, "工单内容", "details")
    data = open_ticket(subject=subject, details=details or "", call_id=call_id, caller=caller, due=due,
                        province=province)
    return {"ok": True, "ticket": data, "message": f"工单已生成 #{data.get('id')}，办结时限 {data.get('due_date')}"}




@op("/tickets/<int:ticket_id>", roles=AGENT_SUP, tag="tickets", template="agent/_ticket.html")
def ticket_show(ticket_id: int) -> dict:
    """One ticket with its history and handler (the tickets service checks the province scope); for
    supervisors also the agents it can go to, with their work orders in progress against their limit."""
    return _ticket_detail(ticket_id)


def _ticket_detail(ticket_id: int) -> dict:
    data = as_dict(platform_of().tickets.get(current_user, ticket_id))
    assignee = platform_of().accounts.get(data["assignee_id"]) if data.get("assignee_id") else None
    data["assignee_name"] = assignee.display_name if assignee else None
    data["assignees"] = (to_jsonable(platform_of().tickets.assignees(current_user, ticket_id))
                         if current_user.has_role("supervisor") and data.get("status") != "closed" else None)
    return data


@op("/tickets/<int:ticket_id>/assign", method="POST", roles=AGENT_SUP, tag="tickets", template="agent/_ticket.html",
    params=(Param("assignee_id", kind="integer", description="user id of the handler; empty: I take it"),))
def ticket_assign(ticket_id: int, assignee_id: int | None) -> dict:
    """Take a ticket (any agent or supervisor) or give it to an agent of its center (supervisors). An
    agent holds at most their profile's work orders in progress (`max_tickets`): one more is refused
    (422 with the reason)."""
    target = assignee_id or current_user.id
    if target != current_user.id and not current_user.has_role("supervisor"):
        abort(403, description="只有班长可以把工单分派给他人 / only supervisors assign tickets to others")
    platform_of().tickets.assign(current_user, ticket_id, target)
    return _ticket_detail(ticket_id)


@op("/tickets/<int:ticket_id>/comment", method="POST", roles=AGENT_SUP, tag="tickets", template="agent/_ticket.html",
    params=(Param("text", required=True),))
def ticket_comment(ticket_id: int, text: str) -> dict:
    """Add a note to a ticket."""
    text = within_limit(text, DETAILS_MAX, "意见", "comment")
    platform_of().tickets.comment(current_user, ticket_id, text)
    return _ticket_detail(ticket_id)


@op("/tickets/<int:ticket_id>/close", method="POST", roles=AGENT_SUP, tag="tickets", template="agent/_ticket.html",
    params=(Param("resolution", required=True),))
def ticket_close(ticket_id: int, resolution: str) -> dict:
    """Close a ticket with what was done."""
    resolution = within_limit(resolution, DETAILS_MAX, "办结说明", "resolution")
    platform_of().tickets.close(current_user, ticket_id, resolution)
    return _ticket_detail(ticket_id)
