"""Builds `platform.tickets`."""

from __future__ import annotations

import os

from tickets.api import TicketsHost
from tickets.service import DEFAULT_DUE_WORKING_DAYS, TicketsService


def build(platform: TicketsHost) -> TicketsService:
    days = platform.settings.extra.get("tickets_due_working_days") or os.environ.get("TICKETS_DUE_WORKING_DAYS")
    return TicketsService(platform, int(days) if days else DEFAULT_DUE_WORKING_DAYS)
