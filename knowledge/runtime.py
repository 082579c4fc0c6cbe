"""Background work of the knowledge home on a node: build the index at start, publish scheduled
revisions when their effective date comes, and flush the query log."""

from __future__ import annotations

import asyncio
import logging

from core.timers import PeriodicService
from knowledge.api import KnowledgeHost

log = logging.getLogger(__name__)

TICK_SECONDS = 30.0


class KnowledgeTimer(PeriodicService):
    def __init__(self, platform: KnowledgeHost, interval: float = TICK_SECONDS) -> None:
        super().__init__("knowledge-timer", interval, self.tick)
        self.platform = platform

    def tick(self) -> list[int]:
        """One pass: publish due revisions, flush the query log. Returns the revisions published."""
        kb = self.platform.knowledge
        published = kb.publish_due()
        if published:
            log.info("published scheduled revisions %s", published)
        kb.queries.flush()
        return published

    async def start(self) -> None:
        await asyncio.to_thread(lambda: self.platform.knowledge.index.searcher)  # build the index now
        await super().start()

    async def stop(self) -> None:
        await super().stop()
        await asyncio.to_thread(self.platform.knowledge.queries.flush)


def services(platform: KnowledgeHost) -> list[KnowledgeTimer]:
    return [KnowledgeTimer(platform)]
