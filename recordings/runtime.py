"""Node timers of the recordings home: ingest legs left closing, delete expired recordings."""

from __future__ import annotations

from typing import Any

from core.timers import PeriodicService
from recordings.api import RecordingsHost


def services(platform: RecordingsHost) -> list[Any]:
    svc = platform.recordings
    if not svc.config.enabled:
        return []
    return [PeriodicService("recordings-ingest", svc.config.ingest_interval_s, svc.ingest_pending),
            PeriodicService("recordings-retention", svc.config.purge_interval_s, svc.purge)]
