"""`platform.switch`: the directory (kept in the database, cached), hours, routing and transfers."""

from __future__ import annotations

import logging
import secrets
import threading
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select

from agents.domain import PRIORITY_TRANSFER
from core import phone, provinces
from core.clock import china_now
from core.masking import mask_phone
from switch import calendar as cal
from switch import handoff as hf
from switch.api import CallToPlace, HandoffSender, Placement, SwitchHost, TransferError, TransferResult
from switch.blocklist import Block, Blocklist
from switch.calendar import Notice, OfficialCalendar
from switch.config import SwitchSettings
from switch.directory import Center, QueueDef, default_directory
from switch.events import (
    RouteDecided,
    RouteHandoffArrived,
    RouteHandoffReceived,
    RouteHandoffRefused,
    RouteHandoffSent,
    RoutePlaced,
)
from switch.hours import HoursState, Override, hours_state
from switch.models import CalendarOverride, CalendarYear, CenterRow, HandoffRow, OfficialDay, QueueRow
from switch.placing import Placer
from switch.routing import Reason, RouteInput, RoutingDecision, decide, overflow_announcement

log = logging.getLogger(__name__)

VERSION_KEY = "switch:version"
HANDOFF_TTL = timedelta(minutes=10)
OVERRIDE_KINDS = ("holiday", "workday", "closed", "open")


class SwitchService:
    def __init__(self, platform: SwitchHost, *, handoff_sender: HandoffSender) -> None:
        self.platform = platform
        self.handoff_sender = handoff_sender
        self.config = SwitchSettings.of(platform.settings)  # read once (SWITCH_HOLIDAY_EXEMPT, ...)
        self._lock = threading.RLock()
        self._cache: dict[str, Center] | None = None
        self._overrides: list[Override] = []
        self._official = OfficialCalendar({}, frozenset())
        self._calendar_years: dict[int, str] = {}
        self._version: str | None = None
        self._checked_at = -1.0
        self.blocklist = Blocklist(platform)

    # -- directory -------------------------------------------------------------------------
    def ensure_directory(self) -> int:
        """Create every missing center with its default queues; return how many were created."""
        now = self.platform.clock.now()
        created = 0
        with self.platform.db.session() as s:
            existing = set(s.execute(select(CenterRow.code)).scalars())
            for code, c in default_directory().items():
                if code in existing:
                    continue
                s.add(CenterRow(code=c.code, name=c.name, mode=c.mode, capacity=c.capacity,
                                weekly_hours=c.weekly_hours, overflow=list(c.overflow),
                                emergency_closed=False, emergency_text="", updated_at=now))
                for q in c.queues:
                    s.add(QueueRow(id=q.id, center_code=code, topic=q.topic, skills=list(q.skills),
                                   max_wait=q.max_wait, overflow_action=q.overflow_action))
                created += 1
        if created:
            self._changed()
        return created

    def _changed(self) -> None:
        self.platform.store.incr(VERSION_KEY)
        with self._lock:
            self._cache = None

    def _directory(self) -> dict[str, Center]:
        now = self.platform.clock.time()
        with self._lock:
            if self._cache is not None and now - self._checked_at < 1.0:
                return self._cache
            version = self.platform.store.get(VERSION_KEY)
            self._checked_at = now
            if self._cache is not None and version == self._version:
                return self._cache
        directory = self._load()
        if not directory:
            self.ensure_directory()
            directory = self._load()
        with self._lock:
            self._cache, self._version = directory, self.platform.store.get(VERSION_KEY)
            return directory

    def _load(self) -> dict[str, Center]:
        with self.platform.db.session() as s:
            centers = s.execute(select(CenterRow)).scalars().all()
            queues = s.execute(select(QueueRow).order_by(QueueRow.id)).scalars().all()
            self._overrides = [Override(r.day, r.center_code, r.kind, r.name)
                               for r in s.execute(select(CalendarOverride)).scalars()]
            years = {r.year: r.status for r in s.execute(select(CalendarYear)).scalars()}
            days = {r.day: (r.kind, r.name) for r in s.execute(select(OfficialDay)).scalars()}
        if not years and self.seed_calendar():
            return self._load()
        self._official = OfficialCalendar(days, frozenset(years))
        self._calendar_years = years
        by_center: dict[str, list[QueueDef]] = {}
        for q in queues:
            by_center.setdefault(q.center_code, []).append(
                QueueDef(q.id, q.center_code, q.topic, tuple(q.skills), q.max_wait, q.overflow_action))
        return {c.code: Center(code=c.code, name=c.name, mode=c.mode, base_url=c.base_url, trunk=c.trunk,
                               capacity=c.capacity, weekly_hours=dict(c.weekly_hours),
                               overflow=tuple(c.overflow), emergency_closed=c.emergency_closed,
                               emergency_text=c.emergency_text, queues=tuple(by_center.get(c.code, ())))
                for c in centers}

    def centers(self) -> list[Center]:
        return sorted(self._directory().values(), key=lambda c: c.code)

    def center(self, code: str) -> Center | None:
        return self._directory().get(code)

    def queue_for(self, center_code: str, topic: str | None) -> QueueDef | None:
        """The center's queue for a topic (its general queue when it has none for the topic); None for
        an unknown center. Used to book after-hours callbacks where the switch queued nothing."""
        center = self.center(center_code)
        return center.queue_for(topic) if center else None

    def queue(self, queue_id: str) -> QueueDef | None:
        center = self.center(queue_id.partition("-")[0])
        return next((q for q in center.queues if q.id == queue_id), None) if center else None

    def queues(self) -> list[QueueDef]:
        return [q for c in self.centers() for q in c.queues]

    def update_center(self, code: str, **fields: Any) -> Center:
        """Change a center's configuration (mode, base_url, trunk, capacity, weekly_hours, overflow)."""
        allowed = {"name", "mode", "base_url", "trunk", "capacity", "weekly_hours", "overflow",
                   "emergency_closed", "emergency_text"}
        unknown = set(fields) - allowed
        if unknown:
            raise ValueError(f"unknown center fields: {sorted(unknown)}")
        if "mode" in fields and fields["mode"] not in ("local", "remote"):
            raise ValueError("mode must be local or remote")
        self._directory()
        with self.platform.db.session() as s:
            row = s.get(CenterRow, code)
            if row is None:
                raise KeyError(code)
            for key, value in fields.items():
                setattr(row, key, list(value) if key == "overflow" else value)
            row.updated_at = self.platform.clock.now()
        self._changed()
        center = self.center(code)
        assert center is not None
        return center

    def close_center(self, code: str, text: str = "") -> Center:
        """Emergency closure: overrides holidays and weekly hours until `open_center()`."""
        return self.update_center(code, emergency_closed=True, emergency_text=text)

    def open_center(self, code: str) -> Center:
        return self.update_center(code, emergency_closed=False, emergency_text="")

    # -- hours and calendar ----------------------------------------------------------------
    def holiday_exempt(self) -> frozenset[str]:
        """Centers whose hours ignore the public-holiday calendar (default none, the national center
        included): `SWITCH_HOLIDAY_EXEMPT` or settings.extra["switch_holiday_exempt"], e.g. "00"."""
        return self.config.exempt_centers()

    def demo_open_24h(self) -> bool:
        """Demo mode with HOTLINE_DEMO_OPEN_24H=1 (`make run` sets it): every center takes calls around
        the clock, so a first test call at night reaches an agent. Emergency closures still apply."""
        return bool(self.platform.settings.demo_mode) and self.config.demo_open_24h

    def _hours(self, center: Center, local_now: datetime) -> HoursState:
        if not center.emergency_closed and self.demo_open_24h():
            return HoursState(True, "demo_24h", "演示模式：人工服务全天开放。")
        return hours_state(center, local_now, self._overrides, holidays=center.code not in self.holiday_exempt(),
                           calendar=self._official)

    def hours_state(self, center_code: str) -> HoursState:
        center = self.center(center_code)
        if center is None:
            raise KeyError(center_code)
        return self._hours(center, china_now(self.platform.clock))

    def service_state(self, center_code: str) -> HoursState:
        """Agent service as a caller of `center_code` gets it now: the center's own hours when it is
        open, or when no overflow center (walked as `route()` does, load aside) is open either;
        otherwise open with reason "overflow", `via` the answering center and the spoken reason —
        what the IVR announces, so it never says "closed" for a call the switch will put through."""
        own = self.hours_state(center_code)
        center = self.center(center_code)
        if own.open or center is None:
            return own
        directory = self._directory()
        local_now = china_now(self.platform.clock)
        for action in center.overflow:
            if action in ("callback", "ticket"):
                break
            other = directory.get(provinces.NATIONAL if action == "national" else action.removeprefix("center:"))
            if other is not None and other.code != center.code and self._hours(other, local_now).open:
                return HoursState(True, "overflow", overflow_announcement(own, other), own.holiday, other.code)
        return own

    def set_override(self, day: date, kind: str, *, center_code: str = "*", name: str = "") -> None:
        if kind not in OVERRIDE_KINDS:
            raise ValueError(f"kind must be one of {OVERRIDE_KINDS}")
        if center_code != "*" and self.center(center_code) is None:
            raise KeyError(center_code)
        with self.platform.db.session() as s:
            row = s.execute(select(CalendarOverride).where(CalendarOverride.day == day,
                                                           CalendarOverride.center_code == center_code)
                            ).scalar_one_or_none()
            if row is None:
                s.add(CalendarOverride(day=day, center_code=center_code, kind=kind, name=name))
            else:
                row.kind, row.name = kind, name
        self._changed()

    def remove_override(self, day: date, center_code: str = "*") -> int:
        with self.platform.db.session() as s:
            result = s.execute(delete(CalendarOverride).where(CalendarOverride.day == day,
                                                              CalendarOverride.center_code == center_code))
            n = cast(CursorResult, result).rowcount  # a DELETE's result is a cursor result
        self._changed()
        return int(n or 0)

    # -- the official calendar (database, per year) ----------------------------------------
    SEED_YEARS = (2024, 2025, 2026, 2027)

    def seed_calendar(self) -> int:
        """Seed the years the database does not hold yet: from the chinese_calendar package where it
        knows the year, else from switch/calendars/<year>.yaml (e.g. 2027, provisional). Returns how
        many years were added; a year already in the database is never overwritten."""
        added = 0
        with self.platform.db.session() as s:
            have = set(s.execute(select(CalendarYear.year)).scalars())
        for year in self.SEED_YEARS:
            if year in have:
                continue
            notice = cal.seed_from_package(year) or cal.shipped_notice(year)
            if notice is not None:
                self.import_notice(notice, actor="system:seed", replace=False)
                added += 1
        return added

    def import_notice(self, notice: Notice, *, actor: str, replace: bool = True) -> None:
        """Store a year of the official calendar (the State Council's notice), replacing that year's
        days in one transaction; audited."""
        now = self.platform.clock.now()
        with self.platform.db.session() as s:
            row = s.get(CalendarYear, notice.year)
            if row is not None and not replace:
                return
            s.execute(delete(OfficialDay).where(OfficialDay.year == notice.year))
            for day, (kind, name) in sorted(notice.days.items()):
                s.add(OfficialDay(day=day, year=notice.year, kind=kind, name=name))
            if row is None:
                s.add(CalendarYear(year=notice.year, status=notice.status, source=notice.source, updated_at=now,
                                   updated_by=actor))
            else:
                row.status, row.source, row.updated_at, row.updated_by = notice.status, notice.source, now, actor
            self.platform.audit.record(actor=actor, channel="console", action="switch.calendar.import", outcome="ok",
                                       session=s, detail={"year": notice.year, "status": notice.status,
                                                          "source": notice.source, "holidays": notice.holidays,
                                                          "workdays": notice.workdays})
        self._changed()

    def set_official_day(self, day: date, kind: str | None, *, name: str = "", actor: str) -> None:
        """Edit one day of a held year: `holiday`, `workday` (调休上班) or None (an ordinary day)."""
        if kind not in (None, *cal.KINDS):
            raise ValueError(f"kind must be one of {cal.KINDS} or none")
        self._directory()  # seeds an empty calendar
        with self.platform.db.session() as s:
            year = s.get(CalendarYear, day.year)
            if year is None:
                raise KeyError(f"{day.year}年的节假日安排不在数据库中，请先导入")
            row = s.get(OfficialDay, day)
            if kind is None:
                if row is not None:
                    s.delete(row)
            elif row is None:
                s.add(OfficialDay(day=day, year=day.year, kind=kind, name=name))
            else:
                row.kind, row.name = kind, name
            year.updated_at, year.updated_by = self.platform.clock.now(), actor
            self.platform.audit.record(actor=actor, channel="console", action="switch.calendar.edit", outcome="ok",
                                       session=s, detail={"day": day.isoformat(), "kind": kind, "name": name})
        self._changed()

    def official_calendar(self) -> OfficialCalendar:
        self._directory()
        return self._official

    def calendar_years(self) -> list[dict]:
        self._directory()  # seeds an empty calendar
        with self.platform.db.session() as s:
            rows = s.execute(select(CalendarYear).order_by(CalendarYear.year)).scalars().all()
            counts: dict[int, dict[str, int]] = {}
            for d in s.execute(select(OfficialDay)).scalars():
                counts.setdefault(d.year, {"holiday": 0, "workday": 0})[d.kind] += 1
            return [{"year": r.year, "status": r.status, "source": r.source, "updated_at": r.updated_at.isoformat(),
                     "updated_by": r.updated_by, "holidays": counts.get(r.year, {}).get("holiday", 0),
                     "workdays": counts.get(r.year, {}).get("workday", 0)} for r in rows]

    def year_notice(self, year: int) -> Notice | None:
        self._directory()
        with self.platform.db.session() as s:
            row = s.get(CalendarYear, year)
            if row is None:
                return None
            days = {d.day: (d.kind, d.name) for d in s.execute(select(OfficialDay).where(OfficialDay.year == year))
                    .scalars()}
            return Notice(year, row.status, row.source, days)

    def calendar_warnings(self, today: date | None = None) -> list[str]:
        """Loud warnings for the admin console, the CLI and the node log (see calendar.check)."""
        self._directory()
        return cal.check(dict(self._calendar_years), today or china_now(self.platform.clock).date())

    def overrides(self) -> list[Override]:
        self._directory()
        return sorted(self._overrides, key=lambda o: (o.day, o.center_code))

    # -- blocklist -------------------------------------------------------------------------
    def blocked(self, caller: str | None, entry_center: str | None = None) -> Block | None:
        """The block in force for this caller (national, or for the entry center or the number's
        province), or None. See switch/blocklist.py."""
        return self.blocklist.blocked(caller, (entry_center, phone.province_of(caller)))

    # -- routing ---------------------------------------------------------------------------
    def detected_province(self, caller: str | None) -> str | None:
        return phone.province_of(caller)

    def route(self, *, caller: str | None, entry_center: str = "00", choice: str | None = None,
              verified_id: str | None = None, topic: str | None = None, language: str = "zh",
              call_id: str | None = None, insured_province: str | None = None, insured_city: str | None = None,
              id_number: str | None = None) -> RoutingDecision:
        """Where a call goes and why (see switch/routing.py for the precedence). `choice` is only an
        explicit choice of the caller (not a confirmed guess); `insured_province`/`insured_city` the
        core system's 参保地 of a verified caller; `id_number` an ID entered but not verified."""
        directory = self._directory()
        local_now = china_now(self.platform.clock)
        load = self.platform.agents.center_load
        decision = decide(RouteInput(caller, entry_center, choice, verified_id, topic, language,
                                     insured_province, insured_city, id_number), directory,
                          hours=lambda code: self._hours(directory[code], local_now),
                          load=load, today=local_now.date())
        self.platform.bus.emit(RouteDecided.of(decision, call_id=call_id, caller=mask_phone(caller)))
        return decision

    # -- placing a call -------------------------------------------------------------------
    def place(self, call: CallToPlace, decision: RoutingDecision) -> Placement:
        """Act on a routing decision (see switch/placing.py): queue the call, hand it to another
        deployment, open a ticket, book a callback (`call.callback_number`), or say why nothing."""
        placement = self._placer().place(call, decision)
        self.platform.bus.emit(RoutePlaced(call_id=call.call_id, kind=placement.kind,
                                           center_code=placement.center_code, queue_id=placement.queue_id,
                                           reason=placement.reason))
        return placement

    def _placer(self) -> Placer:
        return Placer(self.platform.agents, self.platform.tickets, self._hand_off_placed, self.queue_for)

    def _hand_off_placed(self, call: CallToPlace, decision: RoutingDecision) -> TransferResult:
        return self.hand_off(call.call_id, decision.center_code, topic=decision.topic, context=call.context)

    def transfer(self, agent_id: int, call_id: str, *, center_code: str, topic: str | None = None,
                 notes: str = "") -> dict:
        """An agent's transfer of their connected call to a center (the console): a queue of this
        deployment, or another deployment by signed handoff; the ACD then re-queues the call or lets it
        go (`AcdApi.transfer`). Returns where it went (`TransferResult.to_dict()`); a refused or failed
        transfer (TransferError, AcdError) leaves the call connected."""
        agents = self.platform.agents
        source = agents.transfer_source(agent_id, call_id, notes)
        try:
            result = self.hand_off(call_id, center_code, topic=topic or source.topic, context=source.context,
                                   from_center=source.center_code)
        except KeyError:
            raise TransferError("unknown_center", f"没有中心 {center_code}") from None
        except hf.HandoffError as exc:  # the call stays connected; nothing is lost
            raise TransferError("handoff_failed", f"转接{center_code}失败：{exc.message}") from None
        if result.kind == "local" and result.queue_id is None:
            raise TransferError("no_queue", f"{center_code}中心没有可转接的队列")
        target = result.to_dict()
        agents.transfer(agent_id, call_id, queue_id=result.queue_id if result.kind == "local" else None,
                        target=target, notes=notes)
        return target

    # -- handoff ---------------------------------------------------------------------------
    def hand_off(self, call_id: str, to_center: str, *, topic: str | None, context: dict,
                 from_center: str | None = None) -> TransferResult:
        """Where a call transferred to `to_center` goes; for a remote center, performs the signed
        handoff and returns the ticket the telephony side carries (SIP header or dialled suffix)."""
        center = self.center(to_center)
        if center is None:
            raise KeyError(to_center)
        queue = center.queue_for(topic)
        if not center.remote:
            return TransferResult("local", center.code, queue.id if queue else None)
        ticket = self.send_handoff(center, call_id=call_id, topic=topic, context=context,
                                   from_center=from_center or self.platform.settings.center_code)
        return TransferResult("remote", center.code, ticket.queue_id, center.trunk, ticket)

    def send_handoff(self, center: Center, *, call_id: str, topic: str | None, context: dict,
                     from_center: str) -> hf.HandoffTicket:
        if not center.base_url:
            raise hf.HandoffError("remote", f"center {center.code} has no base_url")
        body = hf.encode({"call_id": call_id, "from_center": from_center, "to_center": center.code,
                          "context": {**context, "topic": topic}})
        headers = hf.signed_headers(self.platform.settings.handoff_secret, self.platform.clock.time(),
                                    "POST", hf.PATH, body)
        data = self.handoff_sender.send(center.base_url, body, headers)
        try:
            ticket = hf.HandoffTicket(data["token"], data["code"], data["center_code"], data.get("queue_id"),
                                      data["expires_at"])
        except KeyError as exc:
            raise hf.HandoffError("remote", f"handoff to {center.code}: answer without {exc}") from None
        self.platform.bus.emit(RouteHandoffSent(call_id=call_id, center_code=center.code, code=ticket.code))
        return ticket

    def verify_handoff_request(self, headers: Any, method: str, path: str, body: bytes) -> None:
        store = self.platform.store
        hf.verify(self.platform.settings.handoff_secret, headers, method, path, body, self.platform.clock.time(),
                  lambda nonce, ttl: store.set(f"switch:nonce:{nonce}", "1", ttl=ttl, nx=True))

    def receive_handoff(self, payload: dict) -> hf.HandoffTicket:
        """Store a verified handoff and answer the token (called by web/handoff.py)."""
        data = hf.validate_payload(payload)
        center = self.center(data["to_center"])
        if center is None or center.remote:
            raise hf.HandoffError("invalid", f"center {data['to_center']} is not hosted here")
        queue = center.queue_for(data["context"].get("topic"))
        now = self.platform.clock.now()
        token = secrets.token_urlsafe(24)
        with self.platform.db.session() as s:
            for _ in range(20):
                code = f"{secrets.randbelow(10**8):08d}"
                if s.execute(select(HandoffRow.token).where(HandoffRow.code == code)).first() is None:
                    break
            s.add(HandoffRow(token=token, code=code, from_center=data["from_center"], to_center=center.code,
                             remote_call_id=data["call_id"], context=data["context"], created_at=now,
                             expires_at=now + HANDOFF_TTL))
        self.platform.bus.emit(RouteHandoffReceived(center_code=center.code, code=code,
                                                    from_center=data["from_center"]))
        return hf.HandoffTicket(token, code, center.code, queue.id if queue else None,
                                (now + HANDOFF_TTL).isoformat())

    def claim_handoff(self, token_or_code: str, call_id: str) -> dict | None:
        """The context handed over with a call, once: by token (SIP header) or code (dialled suffix).
        None for an unknown, expired or already claimed reference (logged with which)."""
        now = self.platform.clock.now()
        ref = (token_or_code or "").strip()
        with self.platform.db.session() as s:
            column = HandoffRow.code if ref.isdigit() and len(ref) == 8 else HandoffRow.token
            row = s.execute(select(HandoffRow).where(column == ref)).scalar_one_or_none() if ref else None
            problem = ("unknown" if row is None else "expired" if row.expires_at < now
                       else "claimed" if row.claimed_call_id not in (None, call_id) else None)
            if problem is not None:
                log.warning("handoff reference %s… for call %s refused: %s; the caller gets the normal IVR",
                            ref[:4], call_id, problem)
                self.platform.bus.emit(RouteHandoffRefused(call_id=call_id, reason=problem))
                return None
            assert row is not None
            row.claimed_call_id, row.claimed_at = call_id, now
            return {"from_center": row.from_center, "to_center": row.to_center,
                    "remote_call_id": row.remote_call_id, "context": dict(row.context)}

    def claim_arrival(self, call_id: str, token_or_code: str, *, caller: str | None, channel: str,
                      enqueue: bool = True) -> Arrival | None:
        """A handed-over call reaches this deployment: claim its context and enqueue it at the receiving
        center's queue for its topic, as a transfer (priority 1), with the wait it already had credited
        and the sending agent's notes. With `enqueue=False` (the caller verifies again first) the call is
        claimed but not queued: `enqueue_arrival()` queues it later. None when the reference is unknown,
        expired or used."""
        handed = self.claim_handoff(token_or_code, call_id)
        if handed is None:
            return None
        ctx = handed["context"]
        center = self.center(handed["to_center"])
        queue = center.queue_for(ctx.get("topic")) if center is not None else None
        if center is None or queue is None:
            log.warning("handoff for call %s names center %s, which has no queue here", call_id, handed["to_center"])
            return None
        context = {**ctx, "channel": channel, "transferred_from": handed["from_center"],
                   "remote_call_id": handed["remote_call_id"], "province": ctx.get("province") or center.code}
        try:
            waited = min(float(ctx.get("waited_seconds") or 0.0), 3600.0)
        except (TypeError, ValueError):
            waited = 0.0
        notes = tuple(n for n in ctx.get("agent_notes") or () if isinstance(n, dict))
        arrival = Arrival(status=None, from_center=handed["from_center"], center_code=center.code,
                          queue_id=queue.id, topic=queue.topic, context=context, waited=waited, notes=notes)
        if not enqueue:
            return arrival
        return self.enqueue_arrival(call_id, arrival, caller=caller)

    def enqueue_arrival(self, call_id: str, arrival: Arrival | dict, *, caller: str | None,
                        context: dict | None = None, waited_here: float = 0.0) -> Arrival:
        """Queue a claimed arrival (or its `to_dict()`, as the IVR keeps it) as a transfer, the sender's
        wait plus `waited_here` credited; `context` replaces the handed context (e.g. after the caller
        verified again here)."""
        if isinstance(arrival, dict):
            arrival = Arrival.from_dict(arrival)
        center = self.center(arrival.center_code)
        queue = next((q for q in center.queues if q.id == arrival.queue_id), None) if center is not None else None
        if queue is None:
            raise LookupError(f"queue {arrival.queue_id} is not hosted here")
        context = dict(context if context is not None else arrival.context)
        waited = min(arrival.waited + max(0.0, waited_here), 3600.0)
        placement = self.place(CallToPlace(call_id=call_id, caller=caller, language=context.get("language", "zh"),
                                           context=context, priority=PRIORITY_TRANSFER, skills=queue.skills,
                                           waited=waited, notes=arrival.notes),
                               arrival.decision(queue.topic))
        if placement.kind != "queued":
            raise LookupError(f"the handed-over call {call_id} was not queued at {queue.id}: {placement.reason}")
        self.platform.bus.emit(RouteHandoffArrived(call_id=call_id, center_code=arrival.center_code,
                                                   queue_id=queue.id, from_center=arrival.from_center,
                                                   remote_call_id=context.get("remote_call_id"),
                                                   waited_seconds=waited))
        return replace(arrival, status=placement.status, context=context)

    def arrive(self, call_id: str, token_or_code: str, *, caller: str | None, channel: str) -> Any:
        """A handed-over call reaches this deployment: enqueue it with its context (→ CallStatus)."""
        arrival = self.claim_arrival(call_id, token_or_code, caller=caller, channel=channel)
        return arrival.status if arrival is not None else None


@dataclass(frozen=True)
class Arrival:
    """A handed-over call claimed on arrival (and queued, unless `status` is None)."""

    status: Any  # agents.domain.CallStatus, None while not queued
    from_center: str
    center_code: str
    queue_id: str
    topic: str
    context: dict
    waited: float = 0.0  # the wait at the sending deployment, credited in the queue
    notes: tuple = ()    # the sending agent's notes

    def to_dict(self) -> dict:
        """JSON for the IVR's call state (without the queue status)."""
        data = asdict(self)
        data.pop("status")
        data["notes"] = list(self.notes)
        return data

    def decision(self, topic: str) -> RoutingDecision:
        """The routing decision a handoff stands for: the receiving center's queue, as a transfer."""
        return RoutingDecision(province=self.center_code, center_code=self.center_code, queue_id=self.queue_id,
                               topic=topic, priority=PRIORITY_TRANSFER,
                               reasons=[Reason("handoff", f"由{provinces.name_of(self.from_center)}12333转接")])

    @classmethod
    def from_dict(cls, data: dict) -> Arrival:
        return cls(status=None, **{**data, "notes": tuple(data.get("notes") or ())})
