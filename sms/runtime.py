"""The SMS dispatcher as a node service: passes run in a worker thread, back to back while there is
work, every `poll_interval` seconds when idle."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

log = logging.getLogger(__name__)


class DispatcherService:
    name = "sms-dispatcher"

    def __init__(self, platform: Any) -> None:
        self.platform = platform
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    async def start(self) -> None:
        self._stopping = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._run(), name=self.name)

    async def _run(self) -> None:
        sms = self.platform.sms
        loop = asyncio.get_running_loop()
        while not self._stopping.is_set():
            try:
                report = await loop.run_in_executor(None, sms.dispatcher.run_once)
                busy = report.claimed > 0 and not report.rate_limited
            except Exception:
                log.exception("sms dispatcher pass failed")
                busy = False
            if not busy:
                try:
                    await asyncio.wait_for(self._stopping.wait(), timeout=sms.config.poll_interval)
                except TimeoutError:
                    pass

    async def stop(self) -> None:
        self._stopping.set()
        if self._task is not None:
            await self._task


def services(platform: Any) -> list[Any]:
    return [DispatcherService(platform)]
