"""Holds and retention: a stored recording is deleted when `expires_at` (end + the province's
retention period) has passed, unless a hold (complaint, ticket) is active. Every deletion, hold and
release writes an audit entry."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from recordings.events import RecordingsPurged
from recordings.models import Recording, RecordingHold

log = logging.getLogger(__name__)

HOLD_REASONS = ("complaint", "ticket", "legal", "other")


@dataclass
class PurgeReport:
    purged: list[int] = field(default_factory=list)
    held: list[int] = field(default_factory=list)  # expired but kept by a hold
    failed: list[int] = field(default_factory=list)
    dry_run: bool = False

    def line(self) -> str:
        verb = "would delete" if self.dry_run else "deleted"
        return (f"{verb} {len(self.purged)} recording(s); {len(self.held)} expired but held; "
                f"{len(self.failed)} failed")


def _active(s: Any) -> Any:
    return select(RecordingHold.recording_id).where(RecordingHold.released_at.is_(None))


def is_held(s: Any, recording_id: int) -> bool:
    return s.execute(_active(s).where(RecordingHold.recording_id == recording_id).limit(1)).first() is not None


def held_ids(s: Any, ids: Iterable[int]) -> set[int]:
    ids = list(ids)
    if not ids:
        return set()
    return set(s.execute(_active(s).where(RecordingHold.recording_id.in_(ids))).scalars())


def hold(svc: Any, recording_id: int, *, reason: str, reference: str, actor: str) -> int:
    if reason not in HOLD_REASONS:
        raise ValueError(f"reason must be one of {', '.join(HOLD_REASONS)}")
    with svc.db.session() as s:
        rec = s.get(Recording, recording_id)
        if rec is None:
            raise KeyError(recording_id)
        if rec.status == "purged":
            raise ValueError(f"recording {recording_id} was already deleted")
        row = RecordingHold(recording_id=recording_id, reason=reason, reference=reference[:64], placed_by=actor,
                            placed_at=svc.clock.now())
        s.add(row)
        s.flush()
        svc.audit.record(actor=actor, channel="console", action="recording.hold", subject=f"recording:{recording_id}",
                         session_id=rec.call_id, outcome="ok",
                         detail={"hold_id": row.id, "reason": reason, "reference": reference}, session=s)
        return row.id


def release(svc: Any, recording_id: int, *, actor: str, hold_id: int | None = None) -> int:
    """Release the active holds of a recording (or just `hold_id`); returns how many were released."""
    with svc.db.session() as s:
        q = select(RecordingHold).where(RecordingHold.recording_id == recording_id,
                                        RecordingHold.released_at.is_(None))
        if hold_id is not None:
            q = q.where(RecordingHold.id == hold_id)
        rows = list(s.execute(q).scalars())
        now = svc.clock.now()
        for row in rows:
            row.released_at, row.released_by = now, actor
        if rows:
            svc.audit.record(actor=actor, channel="console", action="recording.release",
                             subject=f"recording:{recording_id}", outcome="ok",
                             detail={"holds": [r.id for r in rows]}, session=s)
        return len(rows)


def purge(svc: Any, *, dry_run: bool = False, actor: str = "system:recording-retention") -> PurgeReport:
    now = svc.clock.now()
    report = PurgeReport(dry_run=dry_run)
    with svc.db.session() as s:
        due = list(s.execute(select(Recording.id, Recording.storage_key).where(
            Recording.status == "stored", Recording.expires_at < now).order_by(Recording.id)).all())
        held = held_ids(s, [rid for rid, _ in due])
    for rec_id, key in due:
        if rec_id in held:
            report.held.append(rec_id)
            continue
        if dry_run:
            report.purged.append(rec_id)
            continue
        try:
            if key:
                svc.storage.delete(key)
        except Exception:
            log.exception("recording %s: could not delete %s", rec_id, key)
            report.failed.append(rec_id)
            continue
        with svc.db.session() as s:
            rec = s.get(Recording, rec_id)
            if rec is None or rec.status != "stored" or is_held(s, rec_id):
                continue
            rec.status, rec.purged_at, rec.storage_key, rec.transcript = "purged", now, None, None
            svc.audit.record(actor=actor, channel="system", action="recording.purge", subject=f"recording:{rec_id}",
                             session_id=rec.call_id, outcome="deleted",
                             detail={"province": rec.province, "expired_at": rec.expires_at.isoformat(),
                                     "checksum": rec.checksum}, session=s)
        report.purged.append(rec_id)
    if report.purged and not dry_run:
        svc.platform.bus.emit(RecordingsPurged(count=len(report.purged)))
    return report
