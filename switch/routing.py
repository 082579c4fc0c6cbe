"""The routing decision, pure: which province, which center and queue, and why.

Precedence: the caller's explicit choice of a province (keyed or said, not a confirmed guess) > where a
verified caller is insured according to the core system (参保地, with the city) > the province of issue of
the ID number (verified, or entered but not verified) > where the caller's number is registered > the
center the call came in at. Then topic → queue, and a closed or overloaded
center → the center's configured overflow (national pool, another center, a callback, a ticket).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from core import citizen_id, phone, provinces
from core.topics import GENERAL, TOPICS
from switch.directory import Center, QueueFor
from switch.hours import EMERGENCY_TEXT, HoursState

ELDERLY_AGE = 60
PRIORITY_NORMAL, PRIORITY_ELDERLY = 0, 1


@dataclass(frozen=True)
class Reason:
    code: str
    text: str

    def to_dict(self) -> dict:
        return {"code": self.code, "text": self.text}


@dataclass
class RoutingDecision:
    province: str
    center_code: str
    queue_id: str | None
    topic: str | None
    reasons: list[Reason] = field(default_factory=list)
    overflow: str | None = None  # None, "national", "center:<code>", "callback", "ticket"
    remote: bool = False
    is_open: bool = True
    priority: int = PRIORITY_NORMAL
    trunk: str | None = None
    hours_text: str = ""
    announcement: str = ""  # speakable (zh) when another center takes the call, e.g. "本省人工服务时间已过，为您转接…"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RoutingDecision:
        """A decision kept as `to_dict()` (in the IVR's call state), or the shorter route of a handed-over
        call; the names are left out (they follow from the codes)."""
        queue_id = data.get("queue_id") or None
        center = str(data.get("center_code") or (queue_id or "").partition("-")[0])
        reasons = [Reason(str(r.get("code", "")), str(r.get("text", ""))) for r in data.get("reasons") or ()
                   if isinstance(r, Mapping)]
        return cls(province=str(data.get("province") or center), center_code=center, queue_id=queue_id,
                   topic=data.get("topic"), reasons=reasons, overflow=data.get("overflow"),
                   remote=bool(data.get("remote")), is_open=bool(data.get("is_open", True)),
                   priority=int(data.get("priority") or PRIORITY_NORMAL), trunk=data.get("trunk"),
                   hours_text=str(data.get("hours_text") or ""), announcement=str(data.get("announcement") or ""))

    def to_dict(self) -> dict:
        return {"province": self.province, "province_name": provinces.name_of(self.province),
                "center_code": self.center_code, "center_name": provinces.name_of(self.center_code),
                "queue_id": self.queue_id, "topic": self.topic,
                "reasons": [r.to_dict() for r in self.reasons], "overflow": self.overflow,
                "remote": self.remote, "is_open": self.is_open, "priority": self.priority,
                "trunk": self.trunk, "hours_text": self.hours_text, "announcement": self.announcement}


@dataclass(frozen=True)
class RouteInput:
    caller: str | None
    entry_center: str = "00"
    choice: str | None = None
    verified_id: str | None = None
    topic: str | None = None
    language: str = "zh"
    insured_province: str | None = None  # 参保地 of a verified caller's active insurance (core system)
    insured_city: str | None = None
    id_number: str | None = None  # an ID number entered but not verified: its province of issue only


def _parse_id(raw: str | None, reasons: list[Reason]) -> citizen_id.CitizenId | None:
    if not raw:
        return None
    try:
        return citizen_id.parse(raw)
    except citizen_id.InvalidCitizenId:
        reasons.append(Reason("invalid_id", "身份证号码无效，未用于选择省份"))
        return None


def _province(inp: RouteInput, directory: dict[str, Center], reasons: list[Reason],
              today: date) -> tuple[str, int]:
    priority = PRIORITY_NORMAL
    verified = _parse_id(inp.verified_id, reasons)
    unverified = None if verified is not None else _parse_id(inp.id_number, reasons)
    if verified is not None and verified.age_on(today) >= ELDERLY_AGE:
        priority = PRIORITY_ELDERLY
        reasons.append(Reason("elderly", f"来电人已满{ELDERLY_AGE}周岁，优先接入"))
    insured = inp.insured_province if inp.insured_province in directory else None
    if inp.choice:
        if inp.choice in directory:
            note = ""
            if insured and insured != inp.choice:
                note = f"（参保地为{provinces.name_of(insured)}）"
            reasons.append(Reason("caller_choice", f"来电人选择了{provinces.name_of(inp.choice)}{note}"))
            return inp.choice, priority
        reasons.append(Reason("invalid_choice", f"所选地区代码{inp.choice}没有12333中心"))
    if insured:
        where = provinces.name_of(insured) + (inp.insured_city or "")
        reasons.append(Reason("insured_province", f"核心系统记录来电人参保地为{where}"))
        return insured, priority
    if inp.insured_province:
        reasons.append(Reason("no_center", f"参保地{provinces.name_of(inp.insured_province)}没有12333中心"))
    ident = verified or unverified
    if ident is not None:
        code = ident.province_code
        how = "" if verified is not None else "（未验证）"
        if code in directory:
            reasons.append(Reason("id_province", f"身份证号码{how}签发地为{provinces.name_of(code)}"))
            return code, priority
        reasons.append(Reason("no_center", f"身份证签发地{provinces.name_of(code)}没有12333中心"))
    located = phone.province_of(inp.caller)
    if located and located in directory:
        reasons.append(Reason("number_location", f"来电号码归属地为{provinces.name_of(located)}"))
        return located, priority
    if located:
        reasons.append(Reason("no_center", f"来电号码归属地{provinces.name_of(located)}没有12333中心"))
    entry = inp.entry_center if inp.entry_center in directory else provinces.NATIONAL
    reasons.append(Reason("entry_center", f"按呼入中心{provinces.name_of(entry)}处理"))
    return entry, priority


def decide(inp: RouteInput, directory: dict[str, Center], *, hours: Callable[[str], HoursState],
           load: Callable[[str], int], today: date, queue_for: QueueFor) -> RoutingDecision:
    """Decide where a call goes. `hours(code)`, `load(code)` (waiting calls) and `queue_for(code, topic)`
    (the ACD's queue of a center for a topic) are injected."""
    reasons: list[Reason] = []
    province, priority = _province(inp, directory, reasons, today)
    topic = inp.topic if inp.topic in TOPICS else None
    if inp.topic and topic is None:
        reasons.append(Reason("unknown_topic", f"未知的业务类别{inp.topic}，转综合咨询"))
    decision = RoutingDecision(province=province, center_code=province, queue_id=None,
                               topic=topic or GENERAL, reasons=reasons, priority=priority)
    center = directory[province]
    state = hours(province)
    decision.hours_text = state.text_zh
    problem = None
    if not state.open:
        problem = Reason("closed", f"{provinces.name_of(province)}中心未在服务时间：{state.text_zh}")
    elif load(province) >= center.capacity:
        problem = Reason("overloaded", f"{provinces.name_of(province)}中心排队已满（{center.capacity}）")
    target = center
    if problem is not None:
        reasons.append(problem)
        overflow = _overflow(center, directory, hours, load, decision)
        if overflow is None:
            decision.is_open = state.open
            decision.queue_id = None
            decision.center_code = province
            return decision
        target = overflow
        decision.announcement = overflow_announcement(state, target)
    _assign(decision, target, queue_for)
    return decision


def closed_phrase(state: HoursState) -> str:
    """Why the caller's own center does not take the call, as the start of a spoken sentence."""
    if state.open:
        return "本省当前来电较多，"
    if state.reason == "emergency":  # the center's own closure text when it has one
        custom = state.text_zh.rstrip("。 ") if state.text_zh != EMERGENCY_TEXT else ""
        return f"{custom}，" if custom else "本省人工服务暂停，"
    if state.reason == "holiday" and state.holiday:
        return f"{state.holiday}假期本省人工服务暂停，"
    if state.reason in ("holiday", "override"):
        return "今天本省人工服务暂停，"
    return "本省人工服务时间已过，"


def overflow_announcement(state: HoursState, target: Center) -> str:
    """What the IVR says when another center takes the call: the reason, then where it goes."""
    return f"{closed_phrase(state)}为您转接{target.name}人工服务。"


def _assign(decision: RoutingDecision, center: Center, queue_for: QueueFor) -> None:
    queue = queue_for(center.code, decision.topic)
    decision.center_code = center.code
    decision.queue_id = queue.id if queue else None
    if queue is not None and queue.topic != decision.topic:
        decision.reasons.append(Reason("topic_general", f"{center.name}没有该业务队列，转综合咨询"))
        decision.topic = queue.topic
    decision.remote = center.remote
    decision.trunk = center.trunk if center.remote else None
    if center.remote:
        decision.reasons.append(Reason("remote", f"{center.name}由另一套系统承载，经中继转接"))


def _overflow(center: Center, directory: dict[str, Center], hours: Callable[[str], HoursState],
              load: Callable[[str], int], decision: RoutingDecision) -> Center | None:
    """Walk the center's overflow list; return the center to queue at, or None (callback/ticket)."""
    for action in center.overflow:
        if action in ("callback", "ticket"):
            decision.overflow = action
            text = "为来电人登记回拨" if action == "callback" else "为来电人登记工单"
            decision.reasons.append(Reason(f"overflow:{action}", text))
            return None
        code = provinces.NATIONAL if action == "national" else action.removeprefix("center:")
        other = directory.get(code)
        if other is None or other.code == center.code:
            continue
        if hours(code).open and load(code) < other.capacity:
            decision.overflow = "national" if action == "national" else f"center:{code}"
            decision.reasons.append(Reason(f"overflow:{'national' if action == 'national' else code}",
                                           f"溢出至{other.name}"))
            return other
    decision.overflow = "callback"
    decision.reasons.append(Reason("overflow:callback", "溢出目标均不可用，为来电人登记回拨"))
    return None
