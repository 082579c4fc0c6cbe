"""Mainland working days: public holidays and 调休 make-up working days.

The platform passes the official calendar kept in the database (`platform.switch.official_calendar()`,
imported from the State Council's notice); without one, the `chinese_calendar` package answers. For a
year neither covers, Monday to Friday is assumed and a warning is logged once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, timedelta
from functools import cache

import chinese_calendar

Calendar = Callable[[date], "bool | None"]  # True/False, or None for a year it does not hold

log = logging.getLogger(__name__)


@cache
def _warn_uncovered(year: int) -> None:
    log.warning("chinese_calendar has no holiday data for %d: counting Monday-Friday as working days", year)


def is_workday(day: date, calendar: Calendar | None = None) -> bool:
    if calendar is not None:
        known = calendar(day)
        if known is not None:
            return bool(known)
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        _warn_uncovered(day.year)
        return day.weekday() < 5


def add_working_days(start: date, days: int, calendar: Calendar | None = None) -> date:
    """The date `days` working days after `start` (the day of opening does not count)."""
    if days < 0:
        raise ValueError("days must not be negative")
    current, left = start, days
    while left > 0:
        current += timedelta(days=1)
        if is_workday(current, calendar):
            left -= 1
    return current


def working_days_between(start: date, end: date, calendar: Calendar | None = None) -> int:
    """Working days after `start` up to and including `end` (0 when end <= start)."""
    count, current = 0, start
    while current < end:
        current += timedelta(days=1)
        count += is_workday(current, calendar)
    return count
