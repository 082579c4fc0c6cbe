"""Privacy retention: after `retention_days`, blank what citizens' messages said and keep the facts.

A CX reply carries a record summary and an inbound text may hold an ID number, so message texts are
personal data. The pass blanks `text` and `variables` of outbox messages in a final state
(delivered, failed, expired) and the `text` of inbound messages once they are older than the
retention period (by `created_at` / `received_at`). Ids, recipients, status, timestamps, part counts,
templates and errors stay, so statistics and delivery reports keep working. Blanked rows have an
empty text, which is also how a second pass skips them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update

from sms.models import InboundMessage, OutboxMessage

FINAL_STATUSES = ("delivered", "failed", "expired")
BATCH = 500  # rows per transaction: short locks on a busy outbox


@dataclass(frozen=True)
class PurgeReport:
    cutoff: datetime
    outbox: int
    inbound: int
    dry_run: bool

    def line(self) -> str:
        verb = "would blank" if self.dry_run else "blanked"
        return (f"{verb} {self.outbox} outbox and {self.inbound} inbound message text(s) "
                f"older than {self.cutoff.isoformat(timespec='seconds')}")


def _outbox_due(cutoff: datetime) -> Any:
    return (OutboxMessage.status.in_(FINAL_STATUSES), OutboxMessage.created_at < cutoff, OutboxMessage.text != "")


def _inbound_due(cutoff: datetime) -> Any:
    return InboundMessage.received_at < cutoff, InboundMessage.text != ""


def purge(db: Any, now: datetime, days: float, *, dry_run: bool = False, batch: int = BATCH) -> PurgeReport:
    """Blank message texts older than `days` (see the module docstring); `dry_run` only counts."""
    if days <= 0:
        raise ValueError("the retention period must be more than 0 days")
    cutoff = now - timedelta(days=days)
    counts = {}
    for model, due, values in ((OutboxMessage, _outbox_due(cutoff), {"text": "", "variables": {}}),
                               (InboundMessage, _inbound_due(cutoff), {"text": ""})):
        if dry_run:
            with db.session() as s:
                counts[model] = s.execute(select(func.count()).select_from(model).where(*due)).scalar_one()
            continue
        done = 0
        while True:
            with db.session() as s:
                ids = list(s.execute(select(model.id).where(*due).order_by(model.id).limit(batch)).scalars())
                if ids:
                    s.execute(update(model).where(model.id.in_(ids)).values(**values)
                              .execution_options(synchronize_session=False))
            done += len(ids)
            if len(ids) < batch:
                break
        counts[model] = done
    return PurgeReport(cutoff=cutoff, outbox=counts[OutboxMessage], inbound=counts[InboundMessage], dry_run=dry_run)
