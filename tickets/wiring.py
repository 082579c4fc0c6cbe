"""Builds `platform.tickets` (`TicketsSettings`: TICKETS_DUE_WORKING_DAYS or settings.extra
tickets_due_working_days)."""

from __future__ import annotations

from tickets.api import TicketsHost
from tickets.config import TicketsSettings
from tickets.service import TicketsService


def build(platform: TicketsHost) -> TicketsService:
    return TicketsService(platform, TicketsSettings.of(platform.settings).due_working_days)
