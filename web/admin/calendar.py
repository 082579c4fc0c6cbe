"""Admin operations on the official holiday calendar (/api/v1/admin/calendar...): the years held,
the loud warning when next year's is missing or provisional, one day edited, a year imported from the
State Council's notice (the file format of docs/switch-acd.md). The official calendar applies to every
center, so only a national admin changes it."""

from __future__ import annotations

from datetime import date

from flask import abort
from flask_login import current_user

from switch.calendar import CalendarError, parse_notice
from web.apikit import op
from web.extensions import platform_of
from web.permissions import Param
from web.services import BadInput, to_jsonable

ADMIN = ("admin",)


def _national() -> None:
    if not current_user.is_national:
        abort(403, description="only a national admin changes the official calendar")


def calendar(year: int | None = None) -> dict:
    years = to_jsonable(platform_of().switch.calendar_years())
    chosen = year or (years[-1]["year"] if years else None)
    notice = platform_of().switch.year_notice(chosen) if chosen else None
    days = ([{"day": d.isoformat(), "kind": k, "name": n} for d, (k, n) in sorted(notice.days.items())]
            if notice else [])
    return {"years": years, "warnings": platform_of().switch.calendar_warnings(), "year": chosen, "days": days}


@op("/admin/calendar", roles=ADMIN, tag="admin", template="admin/_calendar.html",
    params=(Param("year", kind="integer", where="query"),))
def admin_calendar(year: int | None) -> dict:
    """The official calendar: years held (official or provisional, source), warnings, a year's days."""
    return calendar(year)


@op("/admin/calendar/day", method="POST", roles=ADMIN, tag="admin", template="admin/_calendar.html",
    params=(Param("day", required=True, fmt="date", description="YYYY-MM-DD"),
            Param("kind", required=True, enum=("holiday", "workday", "none")), Param("name")))
def admin_calendar_day(day: str, kind: str, name: str | None) -> dict:
    """Correct one day of the official calendar (holiday, 调休 workday, or an ordinary day); audited."""
    _national()
    try:
        when = date.fromisoformat(day)
    except ValueError:
        raise BadInput(f"not a date: {day}") from None
    try:
        platform_of().switch.set_official_day(when, None if kind == "none" else kind, name=name or "",
                                              actor=f"user:{current_user.id}")
    except KeyError as exc:
        raise BadInput(str(exc.args[0])) from None
    return calendar(when.year)


@op("/admin/calendar/import", method="POST", roles=ADMIN, tag="admin", template="admin/_calendar.html",
    params=(Param("notice", required=True, description="the notice file (YAML), see docs/switch-acd.md"),))
def admin_calendar_import(notice: str) -> dict:
    """Import a year from the State Council's notice; the whole file is checked first; audited."""
    _national()
    try:
        parsed = parse_notice(notice)
    except CalendarError as exc:
        raise BadInput(f"nothing imported: {exc}") from None
    platform_of().switch.import_notice(parsed, actor=f"user:{current_user.id}")
    return calendar(parsed.year)
