"""The ACD timer: `platform.agents.tick()` once a second (ring-no-answer, wrap-up, overflow tiers,
interval statistics). With Redis every node ticks; the transactions make that safe."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

log = logging.getLogger(__name__)


class AcdTicker:
    name = "acd-ticker"

    def __init__(self, platform: Any, interval: float = 1.0) -> None:
        self.platform = platform
        self.interval = interval
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            try:
                await asyncio.to_thread(self.platform.agents.tick)
            except Exception:  # keep ticking: one bad call must not stop the timers
                log.exception("ACD tick failed")
            await asyncio.sleep(self.interval)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass


def services(platform: Any) -> list[AcdTicker]:
    return [AcdTicker(platform)]
