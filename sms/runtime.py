"""The SMS node services: the dispatcher (passes run in a worker thread, back to back while there is
work, every `poll_interval` seconds when idle) and the privacy retention pass on a timer."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from core.timers import PeriodicService
from sms.api import SmsHost

log = logging.getLogger(__name__)


class DispatcherService:
    name = "sms-dispatcher"

    def __init__(self, platform: SmsHost) -> None:
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


def retention_service(platform: SmsHost) -> PeriodicService | None:
    """The privacy retention pass on a timer (None when HOTLINE_SMS_RETENTION_DAYS is 0)."""
    config = platform.sms.config
    if config.retention_days <= 0:
        return None
    return PeriodicService("sms-retention", config.retention_interval, lambda: platform.sms.purge())


def services(platform: SmsHost) -> list[Any]:
    retention = retention_service(platform)
    return [DispatcherService(platform), *([retention] if retention else [])]
