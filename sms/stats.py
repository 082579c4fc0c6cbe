"""Inbound reply-time figures (GB/T 33358 asks for a reply within 3 minutes)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from core.db import Database
from sms.models import InboundMessage

TARGET_SECONDS = 180.0


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[k]


def reply_times(db: Database, limit: int = 10000) -> dict[str, Any]:
    with db.session() as s:
        rows = s.execute(select(InboundMessage.received_at, InboundMessage.replied_at)
                         .order_by(InboundMessage.id.desc()).limit(limit)).all()
    waits = [(r.replied_at - r.received_at).total_seconds() for r in rows if r.replied_at is not None]
    within = sum(1 for w in waits if w <= TARGET_SECONDS)
    return {"received": len(rows), "replied": len(waits), "unanswered": len(rows) - len(waits),
            "p50_seconds": percentile(waits, 0.5), "p95_seconds": percentile(waits, 0.95),
            "max_seconds": max(waits) if waits else None,
            "within_3_minutes": (within / len(waits)) if waits else None}
