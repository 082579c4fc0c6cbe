"""The days the switch keeps for business hours: per-center or national overrides of one day, and the
official calendar per year (seeded, imported from the State Council's notice, edited day by day,
audited), with the warnings for a year missing or provisional. The rules that read them are
switch/hours.py and switch/calendar.py; the tables are read with the directory's snapshot
(switch/directory_service.py), so every change here ends with `directory.changed()`."""

from __future__ import annotations

from datetime import date
from typing import cast

from sqlalchemy import CursorResult, delete, select

from core.clock import china_now
from switch import calendar as cal
from switch.api import SwitchHost
from switch.calendar import Notice, OfficialCalendar
from switch.directory_service import DirectoryService
from switch.hours import Override
from switch.models import CalendarOverride, CalendarYear, OfficialDay

OVERRIDE_KINDS = ("holiday", "workday", "closed", "open")


class CalendarService:
    SEED_YEARS = (2024, 2025, 2026, 2027)

    def __init__(self, platform: SwitchHost, directory: DirectoryService) -> None:
        self.platform = platform
        self.directory = directory

    # -- overrides -------------------------------------------------------------------------
    def set_override(self, day: date, kind: str, *, center_code: str = "*", name: str = "") -> None:
        if kind not in OVERRIDE_KINDS:
            raise ValueError(f"kind must be one of {OVERRIDE_KINDS}")
        if center_code != "*" and self.directory.center(center_code) is None:
            raise KeyError(center_code)
        with self.platform.db.session() as s:
            row = s.execute(select(CalendarOverride).where(CalendarOverride.day == day,
                                                           CalendarOverride.center_code == center_code)
                            ).scalar_one_or_none()
            if row is None:
                s.add(CalendarOverride(day=day, center_code=center_code, kind=kind, name=name))
            else:
                row.kind, row.name = kind, name
        self.directory.changed()

    def remove_override(self, day: date, center_code: str = "*") -> int:
        with self.platform.db.session() as s:
            result = s.execute(delete(CalendarOverride).where(CalendarOverride.day == day,
                                                              CalendarOverride.center_code == center_code))
            n = cast(CursorResult, result).rowcount  # a DELETE's result is a cursor result
        self.directory.changed()
        return int(n or 0)

    def overrides(self) -> list[Override]:
        return sorted(self.directory.snapshot().overrides, key=lambda o: (o.day, o.center_code))

    # -- the official calendar (database, per year) ----------------------------------------
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
        self.directory.changed()

    def set_official_day(self, day: date, kind: str | None, *, name: str = "", actor: str) -> None:
        """Edit one day of a held year: `holiday`, `workday` (调休上班) or None (an ordinary day)."""
        if kind not in (None, *cal.KINDS):
            raise ValueError(f"kind must be one of {cal.KINDS} or none")
        self.directory.snapshot()  # seeds an empty calendar
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
        self.directory.changed()

    def official_calendar(self) -> OfficialCalendar:
        return self.directory.snapshot().official

    def calendar_years(self) -> list[dict]:
        self.directory.snapshot()  # seeds an empty calendar
        with self.platform.db.session() as s:
            rows = s.execute(select(CalendarYear).order_by(CalendarYear.year)).scalars().all()
            counts: dict[int, dict[str, int]] = {}
            for d in s.execute(select(OfficialDay)).scalars():
                counts.setdefault(d.year, {"holiday": 0, "workday": 0})[d.kind] += 1
            return [{"year": r.year, "status": r.status, "source": r.source, "updated_at": r.updated_at.isoformat(),
                     "updated_by": r.updated_by, "holidays": counts.get(r.year, {}).get("holiday", 0),
                     "workdays": counts.get(r.year, {}).get("workday", 0)} for r in rows]

    def year_notice(self, year: int) -> Notice | None:
        self.directory.snapshot()
        with self.platform.db.session() as s:
            row = s.get(CalendarYear, year)
            if row is None:
                return None
            days = {d.day: (d.kind, d.name) for d in s.execute(select(OfficialDay).where(OfficialDay.year == year))
                    .scalars()}
            return Notice(year, row.status, row.source, days)

    def calendar_warnings(self, today: date | None = None) -> list[str]:
        """Loud warnings for the admin console, the CLI and the node log (see calendar.check)."""
        years = self.directory.snapshot().years
        return cal.check(dict(years), today or china_now(self.platform.clock).date())
