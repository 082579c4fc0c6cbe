"""The ACD timer: `platform.agents.tick()` once a second (ring-no-answer, wrap-up, overflow tiers,
interval statistics). With Redis every node ticks; the transactions make that safe."""

from __future__ import annotations

from agents.api import AgentsHost
from core.timers import PeriodicService


def services(platform: AgentsHost) -> list[PeriodicService]:
    return [PeriodicService("acd-ticker", 1.0, lambda: platform.agents.tick())]
