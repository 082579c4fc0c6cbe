"""The event quality review emits (`core.events.DomainEvent`): a review was submitted
(`qa.review.completed`, internal: the console never shows it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from core.events import DomainEvent, scope_field


@dataclass(frozen=True, kw_only=True)
class ReviewCompleted(DomainEvent):
    """A review of an agent's recorded call was scored (`total` 0..100; 0 when a critical item failed)."""

    type: ClassVar[str] = "qa.review.completed"
    review_id: int
    agent_id: int | None
    province: str | None = scope_field()
    total: float | None
