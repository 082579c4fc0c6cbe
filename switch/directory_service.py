"""The directory of centers as the switch keeps it: in the database, cached in memory, and changed
through here (`ensure_directory`, `update_center`, emergency closure).

A center's queues are the ACD's: when the switch creates a center it asks the ACD for the center's
default queues (`AcdApi.ensure_queues`).

The cache is one snapshot of the switch's tables — the centers, the calendar
overrides and the official calendar — re-read when the store's version counter moves (any node's
change bumps it; `changed()`) and checked at most once a second. An empty calendar is seeded on the
first read (`seed_calendar`, given: switch/calendar_service.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from core.versioned import VersionedCache
from switch.api import SwitchHost
from switch.calendar import OfficialCalendar
from switch.directory import Center, default_directory
from switch.hours import Override
from switch.models import CalendarOverride, CalendarYear, CenterRow, OfficialDay

VERSION_KEY = "switch:version"


@dataclass(frozen=True)
class Snapshot:
    """The switch's tables as last read: centers by code, overrides, official calendar and its years."""

    centers: dict[str, Center]
    overrides: list[Override]
    official: OfficialCalendar
    years: dict[int, str]



class DirectoryService:
    def __init__(self, platform: SwitchHost, *, seed_calendar: Callable[[], int]) -> None:
        self.platform = platform
        self.seed_calendar = seed_calendar
        self._cache = VersionedCache(platform, VERSION_KEY, self._load_or_create)

    def ensure_directory(self) -> int:
        """Create every missing center, and ask the ACD for its default queues; return how many were
        created."""
        now = self.platform.clock.now()
        created: list[str] = []
        with self.platform.db.session() as s:
            existing = set(s.execute(select(CenterRow.code)).scalars())
            for code, c in default_directory().items():
                if code in existing:
                    continue
                s.add(CenterRow(code=c.code, name=c.name, mode=c.mode, capacity=c.capacity,
                                weekly_hours=c.weekly_hours, overflow=list(c.overflow),
                                emergency_closed=False, emergency_text="", updated_at=now))
                created.append(code)
        for code in created:
            self.platform.agents.ensure_queues(code)
        if created:
            self.changed()
        return len(created)

    def changed(self) -> None:
        """After a committed change to the switch's tables: every node re-reads them."""
        self._cache.changed()

    def snapshot(self) -> Snapshot:
        return self._cache.get()

    def _load_or_create(self) -> Snapshot:
        snapshot = self._load()
        if not snapshot.centers:
            self.ensure_directory()
            snapshot = self._load()
        return snapshot

    def directory(self) -> dict[str, Center]:
        return self.snapshot().centers

    def _load(self) -> Snapshot:
        with self.platform.db.session() as s:
            centers = s.execute(select(CenterRow)).scalars().all()
            overrides = [Override(r.day, r.center_code, r.kind, r.name)
                         for r in s.execute(select(CalendarOverride)).scalars()]
            years = {r.year: r.status for r in s.execute(select(CalendarYear)).scalars()}
            days = {r.day: (r.kind, r.name) for r in s.execute(select(OfficialDay)).scalars()}
        if not years and self.seed_calendar():
            return self._load()
        return Snapshot(
            centers={c.code: Center(code=c.code, name=c.name, mode=c.mode, base_url=c.base_url, trunk=c.trunk,
                                    capacity=c.capacity, weekly_hours=dict(c.weekly_hours),
                                    overflow=tuple(c.overflow), emergency_closed=c.emergency_closed,
                                    emergency_text=c.emergency_text)
                     for c in centers},
            overrides=overrides, official=OfficialCalendar(days, frozenset(years)), years=years)

    def centers(self) -> list[Center]:
        return sorted(self.directory().values(), key=lambda c: c.code)

    def center(self, code: str) -> Center | None:
        return self.directory().get(code)

    def update_center(self, code: str, **fields: Any) -> Center:
        """Change a center's configuration (mode, base_url, trunk, capacity, weekly_hours, overflow)."""
        allowed = {"name", "mode", "base_url", "trunk", "capacity", "weekly_hours", "overflow",
                   "emergency_closed", "emergency_text"}
        unknown = set(fields) - allowed
        if unknown:
            raise ValueError(f"unknown center fields: {sorted(unknown)}")
        if "mode" in fields and fields["mode"] not in ("local", "remote"):
            raise ValueError("mode must be local or remote")
        self.snapshot()
        with self.platform.db.session() as s:
            row = s.get(CenterRow, code)
            if row is None:
                raise KeyError(code)
            for key, value in fields.items():
                setattr(row, key, list(value) if key == "overflow" else value)
            row.updated_at = self.platform.clock.now()
        self.changed()
        center = self.center(code)
        assert center is not None
        return center

    def close_center(self, code: str, text: str = "") -> Center:
        """Emergency closure: overrides holidays and weekly hours until `open_center()`."""
        return self.update_center(code, emergency_closed=True, emergency_text=text)

    def open_center(self, code: str) -> Center:
        return self.update_center(code, emergency_closed=False, emergency_text="")
