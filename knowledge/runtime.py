"""Background work of the knowledge home on a node: build the index at start, publish scheduled
revisions when their effective date comes, and flush the query log."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

log = logging.getLogger(__name__)

TICK_SECONDS = 30.0


class KnowledgeTimer:
    name = "knowledge-timer"

    def __init__(self, platform: Any, interval: float = TICK_SECONDS) -> None:
        self.platform = platform
        self.interval = interval
        self._task: asyncio.Task[None] | None = None

    def tick(self) -> list[int]:
        """One pass: publish due revisions, flush the query log. Returns the revisions published."""
        kb = self.platform.knowledge
        published = kb.publish_due()
        kb.queries.flush()
        return published

    async def _loop(self) -> None:
        while True:
            try:
                published = await asyncio.to_thread(self.tick)
                if published:
                    log.info("published scheduled revisions %s", published)
            except Exception:  # keep the timer alive; the next tick retries
                log.exception("knowledge timer tick failed")
            await asyncio.sleep(self.interval)

    async def start(self) -> None:
        await asyncio.to_thread(lambda: self.platform.knowledge.index.searcher)  # build the index now
        self._task = asyncio.get_running_loop().create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        await asyncio.to_thread(self.platform.knowledge.queries.flush)


def services(platform: Any) -> list[KnowledgeTimer]:
    return [KnowledgeTimer(platform)]
