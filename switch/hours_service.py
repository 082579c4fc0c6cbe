"""Whether a center takes calls now: its own hours (`hours_state`, the rules of switch/hours.py on the
directory's snapshot of centers, overrides and the official calendar), and agent service as its caller
gets it (`service_state`: an open overflow center counts). The deployment's options — the centers that
ignore public holidays, the demo's round-the-clock service — are read here."""

from __future__ import annotations

from datetime import datetime

from core import provinces
from core.clock import china_now
from switch.api import SwitchHost
from switch.config import SwitchSettings
from switch.directory import Center
from switch.directory_service import DirectoryService, Snapshot
from switch.hours import HoursState, hours_state
from switch.routing import overflow_announcement


class HoursService:
    def __init__(self, platform: SwitchHost, directory: DirectoryService) -> None:
        self.platform = platform
        self.directory = directory
        self.config = SwitchSettings.of(platform.settings)  # read once (SWITCH_HOLIDAY_EXEMPT, ...)
        # service_state per center for one (directory snapshot, options, minute): hours, overrides and the
        # calendar are in whole minutes, so the answer cannot change within one; a new snapshot starts afresh
        self._memo: tuple[Snapshot, SwitchSettings, datetime, dict[str, HoursState]] | None = None

    def holiday_exempt(self) -> frozenset[str]:
        """Centers whose hours ignore the public-holiday calendar (default none, the national center
        included): `SWITCH_HOLIDAY_EXEMPT` or settings.extra["switch_holiday_exempt"], e.g. "00"."""
        return self.config.exempt_centers()

    def demo_open_24h(self) -> bool:
        """Demo mode with HOTLINE_DEMO_OPEN_24H=1 (`make run` sets it): every center takes calls around
        the clock, so a first test call at night reaches an agent. Emergency closures still apply."""
        return bool(self.platform.settings.demo_mode) and self.config.demo_open_24h

    def hours(self, center: Center, local_now: datetime, snapshot: Snapshot) -> HoursState:
        """The center's own hours at `local_now` (Beijing time), by the overrides and official calendar
        of the directory's `snapshot`."""
        if not center.emergency_closed and self.demo_open_24h():
            return HoursState(True, "demo_24h", "演示模式：人工服务全天开放。")
        return hours_state(center, local_now, snapshot.overrides, holidays=center.code not in self.holiday_exempt(),
                           calendar=snapshot.official)

    def hours_state(self, center_code: str) -> HoursState:
        snapshot = self.directory.snapshot()
        return self.hours(_center(snapshot, center_code), china_now(self.platform.clock), snapshot)

    def service_state(self, center_code: str) -> HoursState:
        """Agent service as a caller of `center_code` gets it now: the center's own hours when it is
        open, or when no overflow center (walked as `route()` does, load aside) is open either;
        otherwise open with reason "overflow", `via` the answering center and the spoken reason —
        what the IVR announces, so it never says "closed" for a call the switch will put through.
        Asked at every step of every call: remembered for the minute (`_memo`)."""
        snapshot = self.directory.snapshot()
        local_now = china_now(self.platform.clock)
        minute = local_now.replace(second=0, microsecond=0)
        memo = self._memo
        if memo is None or memo[0] is not snapshot or memo[1] is not self.config or memo[2] != minute:
            memo = self._memo = (snapshot, self.config, minute, {})
        state = memo[3].get(center_code)
        if state is None:
            state = memo[3][center_code] = self._service_state(center_code, snapshot, local_now)
        return state

    def _service_state(self, center_code: str, snapshot: Snapshot, local_now: datetime) -> HoursState:
        center = _center(snapshot, center_code)
        own = self.hours(center, local_now, snapshot)
        if own.open:
            return own
        for action in center.overflow:
            if action in ("callback", "ticket"):
                break
            other = snapshot.centers.get(provinces.NATIONAL if action == "national" else action.removeprefix("center:"))
            if other is not None and other.code != center.code and self.hours(other, local_now, snapshot).open:
                return HoursState(True, "overflow", overflow_announcement(own, other), own.holiday, other.code)
        return own


def _center(snapshot: Snapshot, code: str) -> Center:
    """The center `code` of the directory's snapshot; KeyError for an unknown code."""
    center = snapshot.centers.get(code)
    if center is None:
        raise KeyError(code)
    return center
