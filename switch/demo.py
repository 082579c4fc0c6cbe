"""Demo data of the switch: the full directory (every province, the XPCC, the national center).

The defaults come from `switch.directory`: provinces Mon–Fri 08:30–12:00, 13:00–17:30; the national
center every day 08:00–20:00 (evenings and weekends for every province), closed on public holidays
like every center unless `SWITCH_HOLIDAY_EXEMPT` lists it."""

from __future__ import annotations

from switch.api import SwitchHost
from switch.hours import describe


def load_demo(platform: SwitchHost) -> str:
    created = platform.switch.ensure_directory()
    centers = platform.switch.centers()
    queues = sum(len(platform.agents.queues(c.code)) for c in centers)
    line = f"switch: {len(centers)} centers ({created} new), {queues} queues"
    national = platform.switch.center("00")
    if national is None:
        return line
    holidays = "open" if "00" in platform.switch.holiday_exempt() else "closed"
    return f"{line}; national center {describe(national.weekly_hours)}, {holidays} on public holidays"
