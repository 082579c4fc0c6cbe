"""Business hours: emergency closures, then holidays and make-up working days (调休), then weekly
hours — checked in that order. The official calendar is the database's (switch/calendar.py: imported
per year from the State Council's notice, seeded from the chinese_calendar package); a per-center
override table corrects it for one center or day without a release.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import TYPE_CHECKING

import chinese_calendar

from switch.directory import DAYS, WORKDAY_HOURS, Center

if TYPE_CHECKING:
    from switch.calendar import OfficialCalendar

HOLIDAY_NAMES_ZH = {
    "New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节", "Dragon Boat Festival": "端午节", "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节", "Anti-Fascist 70th Day": "抗战胜利纪念日",
}


EMERGENCY_TEXT = "因突发情况，人工服务暂停，请稍后再拨。"


@dataclass(frozen=True)
class HoursState:
    open: bool
    reason: str  # "emergency" | "holiday" | "makeup_workday" | "override" | "weekly_hours" | "overflow"
    text_zh: str
    holiday: str | None = None
    via: str | None = None  # service_state(): the overflow center that answers while this one is closed

    def to_dict(self) -> dict:
        return {"open": self.open, "reason": self.reason, "text_zh": self.text_zh, "holiday": self.holiday,
                "via": self.via}


@dataclass(frozen=True)
class Override:
    day: date
    center_code: str  # "*" or a center code
    kind: str  # "holiday" | "workday" | "closed" | "open"
    name: str = ""


def _parse(hhmm: str) -> time:
    h, m = hhmm.split(":")
    return time(int(h), int(m))


def within(periods: list[list[str]], moment: time) -> bool:
    return any(_parse(a) <= moment < _parse(b) for a, b in periods)


def describe(hours: dict[str, list[list[str]]]) -> str:
    """'周一至周五 08:30-12:00、13:00-17:30' style summary of weekly hours."""
    names = "一二三四五六日"
    groups: list[tuple[list[int], list[list[str]]]] = []
    for i, d in enumerate(DAYS):
        periods = hours.get(d) or []
        if not periods:
            continue
        if groups and groups[-1][1] == periods and groups[-1][0][-1] == i - 1:
            groups[-1][0].append(i)
        else:
            groups.append(([i], periods))
    parts = []
    for days, periods in groups:
        span = f"周{names[days[0]]}" if len(days) == 1 else f"周{names[days[0]]}至周{names[days[-1]]}"
        parts.append(span + " " + "、".join(f"{a}-{b}" for a, b in periods))
    return "；".join(parts) or "暂无人工服务"


def official_day(day: date) -> tuple[str, str | None]:
    """("holiday", name) | ("makeup_workday", name) | ("weekend", None) | ("workday", None) |
    ("unknown", None) when the package has no data for that year."""
    try:
        is_work = chinese_calendar.is_workday(day)
        _, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return ("unknown", None)
    weekend = day.weekday() >= 5
    if not is_work and name:
        return ("holiday", HOLIDAY_NAMES_ZH.get(name, name))
    if is_work and weekend:
        return ("makeup_workday", HOLIDAY_NAMES_ZH.get(name, name) if name else None)
    return ("weekend", None) if weekend else ("workday", None)


def hours_state(center: Center, local_now: datetime, overrides: list[Override], *,
                holidays: bool = True, calendar: OfficialCalendar | None = None) -> HoursState:
    """Whether `center` takes calls at `local_now` (Beijing time); pure. Every center, the national
    one included, follows the public-holiday calendar unless `holidays=False` (a center configured
    as holiday-exempt: `SWITCH_HOLIDAY_EXEMPT`); calendar overrides apply either way."""
    hours_text = f"人工服务时间为{describe(center.weekly_hours)}。"
    if center.emergency_closed:
        return HoursState(False, "emergency", center.emergency_text or EMERGENCY_TEXT)
    day, moment = local_now.date(), local_now.time()
    own = [o for o in overrides if o.day == day and o.center_code == center.code]
    every = [o for o in overrides if o.day == day and o.center_code == "*"]
    matching = own or every
    override = matching[0] if matching else None
    if override is not None:
        name = override.name or None
        if override.kind in ("holiday", "closed"):
            label = f"{name}假期" if override.kind == "holiday" and name else "今天"
            return HoursState(False, "holiday" if override.kind == "holiday" else "override",
                              f"{label}人工服务暂停，{hours_text}", name)
        if override.kind == "workday":
            return _makeup(moment, hours_text, name, center)
        if override.kind == "open":
            return HoursState(True, "override", "人工服务正常。", name)
    kind, name = calendar.day(day) if calendar is not None else official_day(day)
    if kind == "holiday" and holidays:
        return HoursState(False, "holiday", f"{name}假期人工服务暂停，{hours_text}", name)
    if kind == "makeup_workday" and holidays:
        return _makeup(moment, hours_text, name, center)
    periods = center.weekly_hours.get(DAYS[day.weekday()]) or []
    if within(periods, moment):
        return HoursState(True, "weekly_hours", "人工服务正常。")
    return HoursState(False, "weekly_hours", f"现在是非工作时间，{hours_text}")


def _makeup(moment: time, hours_text: str, name: str | None, center: Center) -> HoursState:
    """A make-up working day (调休) keeps the center's Monday hours (ordinary workday hours), even on a
    Saturday or Sunday."""
    if within(center.weekly_hours.get("mon") or WORKDAY_HOURS, moment):
        return HoursState(True, "makeup_workday", "今天是调休工作日，人工服务正常。", name)
    return HoursState(False, "makeup_workday", f"现在是非工作时间，{hours_text}", name)
