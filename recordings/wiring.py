"""Builds `platform.recordings`."""

from __future__ import annotations

from recordings.api import RecordingsHost
from recordings.config import from_settings
from recordings.service import RecordingService
from recordings.storage import make_storage
from recordings.ticket_holds import TicketHolds
from recordings.transcription import load


def build(platform: RecordingsHost) -> RecordingService:
    config = from_settings(platform.settings)
    service = RecordingService(platform, config, make_storage(config), load(platform.settings))
    if config.enabled:
        service.ticket_holds = TicketHolds(service)
    return service
