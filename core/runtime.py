"""The core's node services: the daily audit anchor (the chain's head appended to a file outside
the database; see core/audit.py)."""

from __future__ import annotations

from typing import Any

from core.kernel import Kernel
from core.timers import PeriodicService

ANCHOR_INTERVAL = 24 * 3600.0


def services(platform: Kernel) -> list[Any]:
    return [PeriodicService("audit-anchor", ANCHOR_INTERVAL, platform.audit.anchor)]
