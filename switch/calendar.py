"""The official calendar (public holidays and 调休 make-up working days) kept in the database per
year, imported from the State Council's yearly notice (国务院办公厅关于XXXX年部分节假日安排的通知).

Notice file (YAML, UTF-8), one per year, written from the notice's wording — "春节：2月15日（农历腊月
二十八）至23日（农历正月初七）放假调休，共9天。2月14日（周六）、2月28日（周六）上班。" becomes one entry:

    year: 2026
    status: official            # official: the published arrangement; provisional: before it
    source: 国办发明电〔2025〕7号
    holidays:
      - name: 春节
        from: 2026-02-15        # first day off
        to: 2026-02-23          # last day off (inclusive)
        workdays: [2026-02-14, 2026-02-28]   # 上班 (make-up working days), may be empty

Every entry is checked before anything is saved (dates real, `from` <= `to`, a make-up day not also
a day off, no day in two entries); an import replaces that year's days as one transaction.
`seed_from_package(year)` builds the same from the `chinese_calendar` package (a seed only);
`switch/calendars/<year>.yaml` ships what is known for years the package does not cover.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

SHIPPED = Path(__file__).with_name("calendars")
STATUSES = ("official", "provisional")
KINDS = ("holiday", "workday")
WARN_FROM = (11, 1)  # from 1 November, next year's calendar must be imported


class CalendarError(ValueError):
    """A notice file that cannot be imported; the message says where and why."""


@dataclass(frozen=True)
class Notice:
    year: int
    status: str
    source: str
    days: dict[date, tuple[str, str]] = field(default_factory=dict)  # day -> (kind, name)

    @property
    def holidays(self) -> int:
        return sum(1 for kind, _ in self.days.values() if kind == "holiday")

    @property
    def workdays(self) -> int:
        return sum(1 for kind, _ in self.days.values() if kind == "workday")


@dataclass(frozen=True)
class OfficialCalendar:
    """What hours_state() reads: the official days of the years the database holds."""

    days: dict[date, tuple[str, str]]
    years: frozenset[int]

    def day(self, d: date) -> tuple[str, str | None]:
        """Like hours.official_day(): ("holiday", name) | ("makeup_workday", name) | ("weekend"|"workday"
        |"unknown", None)."""
        if d.year not in self.years:
            return ("unknown", None)
        kind, name = self.days.get(d, ("", ""))
        if kind == "holiday":
            return ("holiday", name or None)
        if kind == "workday":
            return ("makeup_workday", name or None)
        return ("weekend", None) if d.weekday() >= 5 else ("workday", None)

    def is_workday(self, d: date) -> bool | None:
        """True/False, or None for a year the database does not hold."""
        kind, _ = self.day(d)
        return None if kind == "unknown" else kind in ("workday", "makeup_workday")


def _date(value: Any, where: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise CalendarError(f"{where}: {value!r} is not a date (YYYY-MM-DD)") from None


def parse_notice(text: str) -> Notice:
    """Parse and check a notice file; raise CalendarError naming the first problem."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CalendarError(f"not valid YAML: {exc}") from None
    except ValueError as exc:  # YAML reads 2027-02-30 as a date and fails
        raise CalendarError(f"a day in the file is not a date ({exc})") from None
    if not isinstance(raw, dict):
        raise CalendarError("the file must be a mapping with year, status, source and holidays")
    year = raw.get("year")
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        raise CalendarError(f"year: {year!r} is not a year")
    status = str(raw.get("status") or "official")
    if status not in STATUSES:
        raise CalendarError(f"status: {status!r} must be one of {', '.join(STATUSES)}")
    entries = raw.get("holidays")
    if not isinstance(entries, list) or not entries:
        raise CalendarError("holidays: a list of {name, from, to, workdays} is required")
    days: dict[date, tuple[str, str]] = {}
    for i, entry in enumerate(entries, 1):
        where = f"holidays[{i}]"
        if not isinstance(entry, dict) or not str(entry.get("name") or "").strip():
            raise CalendarError(f"{where}: needs a name")
        name = str(entry["name"]).strip()
        first = _date(entry.get("from"), f"{where}.from")
        last = _date(entry.get("to", entry.get("from")), f"{where}.to")
        if last < first or (last - first).days > 14:
            raise CalendarError(f"{where} ({name}): from {first} to {last} is not a holiday period")
        if abs(first.year - year) > 1:
            raise CalendarError(f"{where} ({name}): {first} is not in or next to {year}")
        current = first
        while current <= last:
            if current in days:
                raise CalendarError(f"{where} ({name}): {current} is already {days[current][1]}")
            days[current] = ("holiday", name)
            current += timedelta(days=1)
        for value in entry.get("workdays") or []:
            work = _date(value, f"{where}.workdays")
            if work in days:
                raise CalendarError(f"{where} ({name}): {work} cannot be a day off and a make-up working day")
            days[work] = ("workday", name)
    return Notice(year, status, str(raw.get("source") or "").strip()[:200], days)


def notice_to_yaml(notice: Notice) -> str:
    """The notice file of a year (for export, or to start next year's from)."""
    by_name: dict[str, dict[str, Any]] = {}
    for day in sorted(notice.days):
        kind, name = notice.days[day]
        entry = by_name.setdefault(name, {"name": name, "from": None, "to": None, "workdays": []})
        if kind == "holiday":
            entry["from"] = entry["from"] or day
            entry["to"] = day
        else:
            entry["workdays"].append(day)
    holidays = [e for e in by_name.values() if e["from"] is not None]
    data = {"year": notice.year, "status": notice.status, "source": notice.source, "holidays": holidays}
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


HOLIDAY_NAMES_ZH = {
    "New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节", "Dragon Boat Festival": "端午节", "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节", "Anti-Fascist 70th Day": "抗战胜利纪念日",
}


def seed_from_package(year: int) -> Notice | None:
    """The year as the `chinese_calendar` package knows it (None when it does not)."""
    import chinese_calendar

    days: dict[date, tuple[str, str]] = {}
    for table, kind in ((chinese_calendar.holidays, "holiday"), (chinese_calendar.workdays, "workday")):
        for day, name in table.items():
            if day.year == year and (kind == "holiday" or day.weekday() >= 5):
                days[day] = (kind, HOLIDAY_NAMES_ZH.get(str(name), str(name)))
    if not any(kind == "holiday" for kind, _ in days.values()):
        return None
    version = getattr(chinese_calendar, "__version__", "")
    return Notice(year, "official", f"seed: chinese_calendar {version}".strip(), days)


def shipped_notice(year: int) -> Notice | None:
    path = SHIPPED / f"{year}.yaml"
    return parse_notice(path.read_text(encoding="utf-8")) if path.exists() else None


def check(years: dict[int, str], today: date) -> list[str]:
    """Warnings about the calendar on `today`: this year missing; from 1 November next year missing
    or only provisional. `years` maps year -> status."""
    warnings = []
    if today.year not in years:
        warnings.append(f"{today.year}年的节假日安排不在数据库中：节假日按普通工作日处理。"
                        f"请导入国务院办公厅的通知（hotline centers calendar import-notice）。")
    if (today.month, today.day) >= WARN_FROM:
        nxt = today.year + 1
        if nxt not in years:
            warnings.append(f"{nxt}年的节假日安排尚未导入：{nxt}年的节假日将按普通工作日处理。"
                            f"国务院办公厅的通知发布后请立即导入。")
        elif years[nxt] != "official":
            warnings.append(f"{nxt}年的节假日安排仅为暂定（只含法定节假日，没有调休安排）："
                            f"国务院办公厅的通知发布后请导入正式安排。")
    return warnings
