"""An injectable clock, so that the ACD, timers and lockouts are testable without sleeping."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

DEFAULT_TIMEZONE = "Asia/Shanghai"


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or DEFAULT_TIMEZONE)
    except (ValueError, KeyError) as exc:  # ZoneInfoNotFoundError is a KeyError
        raise ValueError(f"HOTLINE_TIMEZONE={name!r} is not an IANA time zone (e.g. Asia/Shanghai)") from exc


# The center's local time zone (hours, holidays, quiet hours, report days): Beijing time until the
# Platform applies `Settings.timezone` (HOTLINE_TIMEZONE) with `set_timezone`; nothing reads it at import.
_local = _zone(DEFAULT_TIMEZONE)


def set_timezone(name: str | None) -> ZoneInfo:
    """Use this zone for `local_zone` and `china_now` (the Platform calls it with `Settings.timezone`)."""
    global _local
    _local = _zone(name)
    return _local


def local_zone() -> ZoneInfo:
    """The center's local time zone, as the settings set it."""
    return _local


class Clock(Protocol):
    def now(self) -> datetime:
        """Current time, timezone-aware UTC."""

    def time(self) -> float:
        """Current time as epoch seconds."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def time(self) -> float:
        return time.time()


class FakeClock:
    """A clock that moves only when told to; thread-safe."""

    def __init__(self, start: datetime | float | None = None) -> None:
        if start is None:
            start = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # 10:00 in Beijing
        if isinstance(start, datetime):
            start = start.timestamp()
        self._t = float(start)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        return datetime.fromtimestamp(self._t, UTC)

    def time(self) -> float:
        return self._t

    def advance(self, seconds: float | timedelta) -> None:
        if isinstance(seconds, timedelta):
            seconds = seconds.total_seconds()
        with self._lock:
            self._t += seconds

    def set(self, when: datetime) -> None:
        with self._lock:
            self._t = when.timestamp()


def china_now(clock: Clock) -> datetime:
    """The clock's time in the center's zone (HOTLINE_TIMEZONE, default Beijing), for hours, holidays and
    quiet hours."""
    return clock.now().astimezone(_local)
