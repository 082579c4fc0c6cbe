"""Background work of the IVR on a node: close calls whose channel vanished without a hang-up
(a crashed AGI session, a Twilio call whose status callback never came), so the call log and the
ACD do not keep ghosts."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

log = logging.getLogger(__name__)


class CallSweeper:
    name = "ivr-call-sweeper"

    def __init__(self, platform: Any, interval: float = 60.0, older_than_s: float = 900.0) -> None:
        self.platform = platform
        self.interval = interval
        self.older_than_s = older_than_s
        self._task: asyncio.Task[None] | None = None

    async def _loop(self) -> None:
        while True:
            try:
                lost = await asyncio.to_thread(self.platform.ivr.sweep, self.older_than_s)
                if lost:
                    log.warning("closed %d call(s) whose channel vanished", len(lost))
            except Exception:  # keep sweeping; the next pass retries
                log.exception("IVR call sweep failed")
            await asyncio.sleep(self.interval)

    async def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass


def services(platform: Any) -> list[CallSweeper]:
    return [CallSweeper(platform)]
