"""Node timer of the tickets: every few minutes, alert the owning province's supervisors about work
orders that are overdue or due by the next working day (`ticket.alert`, once per ticket and level)."""

from __future__ import annotations

import logging

from core.timers import PeriodicService
from tickets.api import TicketsHost

log = logging.getLogger(__name__)

WATCH_EVERY_S = 300.0


def watch(platform: TicketsHost) -> None:
    raised = platform.tickets.watch()
    if raised:
        log.info("tickets: %d due-date alerts raised", len(raised))


def services(platform: TicketsHost) -> list[PeriodicService]:
    return [PeriodicService("tickets-watch", WATCH_EVERY_S, lambda: watch(platform))]
