"""Node timer of the switch: warns loudly in the node log when the official calendar of this year
or (from 1 November) next year is missing or provisional — checked at start and every six hours."""

from __future__ import annotations

import logging

from core.timers import PeriodicService
from switch.api import SwitchHost

log = logging.getLogger(__name__)

CHECK_EVERY_S = 6 * 3600.0


def check_calendar(platform: SwitchHost) -> list[str]:
    warnings = platform.switch.calendar_warnings()
    for text in warnings:
        log.warning("CALENDAR: %s", text)
    return warnings


def services(platform: SwitchHost) -> list[PeriodicService]:
    return [PeriodicService("switch-calendar-check", CHECK_EVERY_S, lambda: check_calendar(platform))]
