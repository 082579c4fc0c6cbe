"""Node services that know no home: the `NodeService` shape every `<home>/runtime.py` returns, and
`PeriodicService`, the one timer the node's background loop runs for every periodic pass."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Protocol

log = logging.getLogger(__name__)


class NodeService(Protocol):
    name: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class PeriodicService:
    """Run a blocking function every `interval` seconds in a worker thread, until stopped.

    A failing pass is logged and the next one runs: one bad call must not stop a node's timers.
    """

    def __init__(self, name: str, interval: float, func: Callable[[], object]) -> None:
        self.name = name
        self.interval = interval
        self.func = func
        self._task: asyncio.Task[None] | None = None

    async def _loop(self) -> None:
        while True:
            try:
                await asyncio.to_thread(self.func)
            except Exception:
                log.exception("%s failed", self.name)
            await asyncio.sleep(self.interval)

    async def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._loop(), name=self.name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
