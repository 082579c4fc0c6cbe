"""`platform.tickets`: open, comment, assign, close and list work orders (工单).

Due dates count mainland working days (`tickets.workdays`), by default 2 after the day of opening
in Beijing time. A user acts only on tickets of provinces in their scope ("00" = national). Caller
numbers and ID numbers are stored for the business office and masked in every view.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from core import provinces
from core.clock import china_now
from core.errors import Refusal
from core.masking import mask_id, mask_name, mask_phone, scrub
from core.models import User
from core.topics import GENERAL, TOPICS
from tickets.api import TicketsHost
from tickets.events import (
    TicketAlert,
    TicketAssigned,
    TicketChanged,
    TicketClosed,
    TicketCommented,
    TicketOpened,
    TicketReopened,
)
from tickets.models import Ticket, TicketEvent
from tickets.workdays import add_working_days

DEFAULT_DUE_WORKING_DAYS = 2
SYSTEM_USER = "ivr"


class TicketError(Refusal, ValueError):
    """A refused ticket operation; `code` is stable, `message` is Chinese for the console."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code=code)


@dataclass(frozen=True)
class EventView:
    at: datetime
    actor_id: int | None
    kind: str
    text: str
    detail: dict[str, Any]


@dataclass(frozen=True)
class AssigneeView:
    """Someone a ticket can go to, with their load: work orders in progress against their limit."""

    user_id: int
    name: str
    username: str
    in_progress: int
    limit: int | None  # None: not an agent (no limit is set for them)
    full: bool  # at the limit: one more is refused


@dataclass(frozen=True)
class TicketView:
    id: int
    caller: str  # masked
    caller_name: str  # masked
    id_number: str  # masked
    call_id: str | None
    topic: str
    description: str
    province: str
    center_code: str
    status: str
    opened_by: int
    assignee_id: int | None
    due_date: date
    overdue: bool
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    closure_note: str
    history: list[EventView] = field(default_factory=list)


class TicketsService:
    def __init__(self, platform: TicketsHost, due_working_days: int = DEFAULT_DUE_WORKING_DAYS) -> None:
        self.platform = platform
        self.due_working_days = due_working_days

    # helpers -------------------------------------------------------------------------------
    def calendar(self) -> Any:
        """The official calendar in the database (switch), as a working-day predicate; None without one."""
        try:
            official = self.platform.switch.official_calendar()
        except Exception:  # noqa: BLE001 - a node without the switch counts with the package
            return None
        return official.is_workday

    def today(self) -> date:
        return china_now(self.platform.clock).date()

    def _view(self, t: Ticket, history: list[TicketEvent] | None = None) -> TicketView:
        return TicketView(
            id=t.id, caller=mask_phone(t.caller), caller_name=mask_name(t.caller_name), id_number=mask_id(t.id_number),
            call_id=t.call_id, topic=t.topic, description=t.description, province=t.province,
            center_code=t.center_code, status=t.status, opened_by=t.opened_by, assignee_id=t.assignee_id,
            due_date=t.due_date, overdue=t.status != "closed" and t.due_date < self.today(),
            created_at=t.created_at, updated_at=t.updated_at, closed_at=t.closed_at, closure_note=t.closure_note,
            history=[EventView(e.at, e.actor_id, e.kind, e.text, dict(e.detail or {})) for e in history or []])

    def _load(self, s: Session, user: Any, ticket_id: int) -> Ticket:
        ticket = s.get(Ticket, ticket_id)
        if ticket is None:
            raise TicketError("not_found", f"工单{ticket_id}不存在")
        if not user.can_see_province(ticket.province):
            raise TicketError("forbidden", "该工单不属于您所辖省份")
        return ticket

    def _event(self, s: Session, ticket: Ticket, user: Any, kind: str, text: str = "", **detail: Any) -> None:
        now = self.platform.clock.now()
        ticket.updated_at = now
        s.add(TicketEvent(ticket_id=ticket.id, at=now, actor_id=getattr(user, "id", None), kind=kind,
                          text=scrub(text), detail=detail))  # free text: personal numbers masked

    def _emit(self, event: type[TicketChanged], ticket: Ticket, user: Any) -> None:
        self.platform.bus.emit(event(ticket_id=ticket.id, status=ticket.status, center_code=ticket.center_code,
                                     province=ticket.province, actor_id=getattr(user, "id", None),
                                     due_date=ticket.due_date.isoformat()))

    # operations ----------------------------------------------------------------------------
    def open_ticket(self, user: Any, *, caller: str, topic: str, description: str, province: str | None = None,
                    center_code: str | None = None, caller_name: str = "", id_number: str | None = None,
                    call_id: str | None = None, due_date: date | None = None) -> TicketView:
        # free text is scrubbed of personal numbers (the ID and number have their own, masked fields)
        topic, description = scrub((topic or "").strip()), scrub((description or "").strip())
        if not topic or not description:
            raise TicketError("missing", "请填写工单主题和问题描述")
        if not (caller or "").strip():
            raise TicketError("missing", "请填写来电号码")
        province = province or (user.province_scope if user.province_scope != provinces.NATIONAL else None)
        if province is None or province not in provinces.CENTERS or province == provinces.NATIONAL:
            raise TicketError("province", "请选择工单所属省份")
        if not user.can_see_province(province):
            raise TicketError("forbidden", "不能为所辖省份以外的地区创建工单")
        center_code = center_code or province
        if center_code not in provinces.CENTERS:
            raise TicketError("center", f"未知的中心代码{center_code}")
        today = self.today()
        due = due_date or add_working_days(today, self.due_working_days, self.calendar())
        if due < today:
            raise TicketError("due_date", "办结期限不能早于今天")
        now = self.platform.clock.now()
        with self.platform.db.session() as s:
            ticket = Ticket(caller=caller.strip(), caller_name=caller_name.strip(), id_number=id_number or None,
                            call_id=call_id, topic=topic[:60], description=description, province=province,
                            center_code=center_code, status="open", opened_by=user.id, due_date=due, created_at=now,
                            updated_at=now, closure_note="")
            s.add(ticket)
            s.flush()
            self._event(s, ticket, user, "opened", description, due_date=due.isoformat())
            view = self._view(ticket)
        self._emit(TicketOpened, ticket, user)
        return view

    def open_for_call(self, *, caller: str, topic: str | None, province: str, call_id: str,
                      center_code: str | None = None, description: str = "") -> TicketView:
        """A ticket opened by the IVR (the switch's overflow is "ticket": no agent can take the call),
        on behalf of the system user `ivr` (created on first use, cannot log in)."""
        name = TOPICS.get(topic or "", TOPICS[GENERAL])
        text = description or f"来电人经语音导航请求人工服务（{name}），人工坐席暂不可用，系统自动登记，请回电处理。"
        return self.open_ticket(self.system_user(), caller=caller, topic=f"{name}来电回复", description=text,
                                province=province, center_code=center_code, call_id=call_id)

    def system_user(self) -> User:
        """The `ivr` system user that opens tickets for calls (no password, no roles, inactive)."""
        with self.platform.db.session() as s:
            user = s.execute(select(User).where(User.username == SYSTEM_USER)).scalar_one_or_none()
            if user is None:
                user = User(username=SYSTEM_USER, display_name="语音导航（系统）", password_hash="!", roles="",
                            province_scope=provinces.NATIONAL, active=False, created_at=self.platform.clock.now())
                s.add(user)
                s.flush()
            s.expunge(user)
            return user

    def comment(self, user: Any, ticket_id: int, text: str) -> TicketView:
        text = (text or "").strip()
        if not text:
            raise TicketError("missing", "备注内容不能为空")
        with self.platform.db.session() as s:
            ticket = self._load(s, user, ticket_id)
            if ticket.status == "closed":
                raise TicketError("closed", "工单已关闭，不能再添加备注")
            self._event(s, ticket, user, "comment", text)
        self._emit(TicketCommented, ticket, user)
        return self.get(user, ticket_id)

    def assign(self, user: Any, ticket_id: int, assignee_id: int) -> TicketView:
        """Give a ticket to someone of its province. An agent holds at most `max_tickets` work orders
        in progress at once (their profile's task-channel concurrency); one more is refused."""
        with self.platform.db.session() as s:
            ticket = self._load(s, user, ticket_id)
            if ticket.status == "closed":
                raise TicketError("closed", "工单已关闭")
            # the assignee's row, locked on PostgreSQL: two supervisors assigning at once count in turn
            assignee = s.get(User, assignee_id, with_for_update=True)
            if assignee is None or not assignee.active:
                raise TicketError("assignee", "找不到该处理人")
            if not assignee.can_see_province(ticket.province):
                raise TicketError("assignee", "处理人不负责该省份")
            limit = self.ticket_limit(assignee_id)
            if limit is not None and ticket.assignee_id != assignee_id \
                    and _in_progress(s, assignee_id, besides=ticket.id) >= limit:
                raise TicketError("capacity", f"{assignee.display_name} 在办工单已达上限 {limit} 件，请先办结或改派")
            previous = ticket.assignee_id
            ticket.assignee_id, ticket.status = assignee_id, "in_progress"
            self._event(s, ticket, user, "assigned", assignee.display_name, assignee_id=assignee_id,
                        previous=previous)
        self._emit(TicketAssigned, ticket, user)
        return self.get(user, ticket_id)

    def ticket_limit(self, user_id: int) -> int | None:
        """How many work orders the user may hold in progress: their agent profile's `max_tickets`;
        None (no limit) for users who are not agents, e.g. the business office."""
        profile = self.platform.agents.agent_for_user(user_id)
        return profile.max_tickets if profile is not None else None

    def assignees(self, user: Any, ticket_id: int) -> list[AssigneeView]:
        """The agents of the ticket's center, each with their work orders in progress and limit,
        least loaded first (the picker of the ticket screen)."""
        with self.platform.db.session() as s:
            ticket = self._load(s, user, ticket_id)
            center = ticket.center_code
        profiles = list(self.platform.agents.profiles(center))
        with self.platform.db.session() as s:
            loads: dict[int | None, int] = dict(s.execute(select(Ticket.assignee_id, func.count()).where(
                Ticket.assignee_id.in_([p.user_id for p in profiles]), Ticket.status != "closed")
                .group_by(Ticket.assignee_id)).tuples().all())
            logins: dict[int, str] = dict(s.execute(select(User.id, User.username).where(
                User.id.in_([p.user_id for p in profiles]), User.active.is_(True))).tuples().all())
        views = [AssigneeView(user_id=p.user_id, name=p.name, username=logins[p.user_id],
                              in_progress=loads.get(p.user_id, 0), limit=p.max_tickets,
                              full=loads.get(p.user_id, 0) >= p.max_tickets)
                 for p in profiles if p.user_id in logins]
        return sorted(views, key=lambda v: (v.full, v.in_progress, v.name))

    def shutdown(self) -> None:
        """Nothing to release (the node's shutdown hook)."""

    def close(self, user: Any, ticket_id: int, note: str) -> TicketView | None:
        """Close a ticket with a closure note."""
        note = (note or "").strip()
        if not note:
            raise TicketError("missing", "请填写办结说明")
        with self.platform.db.session() as s:
            ticket = self._load(s, user, ticket_id)
            if ticket.status == "closed":
                raise TicketError("closed", "工单已关闭")
            ticket.status, ticket.closure_note, ticket.closed_at = "closed", note, self.platform.clock.now()
            self._event(s, ticket, user, "closed", note, late=ticket.due_date < self.today())
        self._emit(TicketClosed, ticket, user)
        return self.get(user, ticket_id)

    def reopen(self, user: Any, ticket_id: int, reason: str) -> TicketView:
        reason = (reason or "").strip()
        if not reason:
            raise TicketError("missing", "请填写重新打开的原因")
        with self.platform.db.session() as s:
            ticket = self._load(s, user, ticket_id)
            if ticket.status != "closed":
                raise TicketError("not_closed", "工单未关闭")
            ticket.closed_at = None
            assignee = ticket.assignee_id
            limit = self.ticket_limit(assignee) if assignee else None
            returned = assignee is not None and limit is not None and \
                _in_progress(s, assignee, besides=ticket.id) >= limit
            if returned:  # its last handler is full: back to the center's pool rather than over the limit
                ticket.assignee_id = None
            ticket.status = "in_progress" if ticket.assignee_id else "open"
            self._event(s, ticket, user, "reopened", reason, **({"unassigned": "capacity"} if returned else {}))
        self._emit(TicketReopened, ticket, user)
        return self.get(user, ticket_id)

    # queries -------------------------------------------------------------------------------
    def get(self, user: Any, ticket_id: int) -> TicketView:
        with self.platform.db.session() as s:
            ticket = self._load(s, user, ticket_id)
            history = list(s.execute(select(TicketEvent).where(TicketEvent.ticket_id == ticket_id)
                                     .order_by(TicketEvent.at, TicketEvent.id)).scalars())
            return self._view(ticket, history)

    def _list(self, query: Any) -> list[TicketView]:
        with self.platform.db.session() as s:
            return [self._view(t) for t in s.execute(query.order_by(Ticket.due_date, Ticket.id)).scalars()]

    def list_mine(self, user: Any, *, include_closed: bool = False) -> list[TicketView]:
        """Tickets the user opened or is assigned, soonest due first."""
        q = select(Ticket).where(or_(Ticket.opened_by == user.id, Ticket.assignee_id == user.id))
        if not include_closed:
            q = q.where(Ticket.status != "closed")
        return self._list(q)

    def list_center(self, center_code: str, *, status: str | None = None) -> list[TicketView]:
        q = select(Ticket).where(Ticket.center_code == center_code)
        if status:
            q = q.where(Ticket.status == status)
        return self._list(q)

    def list_overdue(self, center_code: str | None = None, *, on: date | None = None) -> list[TicketView]:
        """Open or in-progress tickets whose due date has passed (in Beijing time)."""
        q = select(Ticket).where(Ticket.status != "closed", Ticket.due_date < (on or self.today()))
        if center_code:
            q = q.where(Ticket.center_code == center_code)
        return self._list(q)

    # watching due dates --------------------------------------------------------------------
    ALERT_KEY = "tickets:alert:"
    ALERT_TTL_S = 14 * 86400.0

    def _due_soon_limit(self, today: date) -> date:
        return add_working_days(today, 1, self.calendar())

    def alert_counts(self, scope: str = provinces.NATIONAL, *, own: bool = False) -> dict[str, int]:
        """Open tickets past their due date (`overdue`) and due by the next working day (`due_soon`),
        for a province (its own) or "00" (all; with `own`, the national center's own): the wallboard's
        and the console badge's figures."""
        today = self.today()
        limit = self._due_soon_limit(today)
        with self.platform.db.session() as s:
            q = select(Ticket.due_date).where(Ticket.status != "closed", Ticket.due_date <= limit)
            if scope != provinces.NATIONAL or own:
                q = q.where(Ticket.province == scope)
            dues = list(s.execute(q).scalars())
        overdue = sum(1 for d in dues if d < today)
        return {"overdue": overdue, "due_soon": len(dues) - overdue}

    def watch(self) -> list[dict[str, Any]]:
        """Raise `ticket.alert` (level `due_soon`, then `overdue`) once per ticket and level, for the
        owning province's supervisors (the console streams ticket.* events by province). The 2-working-
        day SLA counts with the official calendar. Returns the alerts raised now."""
        today = self.today()
        limit = self._due_soon_limit(today)
        with self.platform.db.session() as s:
            rows = s.execute(select(Ticket).where(Ticket.status != "closed", Ticket.due_date <= limit)
                             .order_by(Ticket.due_date, Ticket.id)).scalars().all()
            tickets = [(t.id, t.province, t.center_code, t.topic, t.due_date, t.assignee_id) for t in rows]
        raised = []
        for ticket_id, province, center, topic, due, assignee in tickets:
            level = "overdue" if due < today else "due_soon"
            key = f"{self.ALERT_KEY}{ticket_id}"
            if self.platform.store.get(key) == level:
                continue
            self.platform.store.set(key, level, ttl=self.ALERT_TTL_S)
            alert = TicketAlert(ticket_id=ticket_id, level=level, province=province, center_code=center, topic=topic,
                                due_date=due.isoformat(), assignee_id=assignee,
                                text=(f"工单{ticket_id}已超过办结期限（{due.isoformat()}）" if level == "overdue"
                                      else f"工单{ticket_id}将于{due.isoformat()}到期"))
            self.platform.bus.emit(alert)
            raised.append(alert.data())
        return raised


def _in_progress(s: Session, user_id: int, *, besides: int | None = None) -> int:
    """Work orders assigned to the user and not closed (leaving out `besides`)."""
    q = select(func.count()).select_from(Ticket).where(Ticket.assignee_id == user_id, Ticket.status != "closed")
    if besides is not None:
        q = q.where(Ticket.id != besides)
    return int(s.scalar(q) or 0)
