"""The audit log: append-only, each entry carrying the SHA-256 of the one before.

Every look-up of a person's data writes an entry (who, channel, call or SMS session, whose record,
which fields, outcome, time). `verify()` walks the chain and names the first broken entry: an edited
row no longer matches its hash, a deleted row leaves a gap in `seq` or a broken `prev_hash` link.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import Clock, SystemClock
from core.db import Database
from core.models import AuditEntry, AuditHead

GENESIS = "0" * 64


def _canonical(entry: AuditEntry) -> bytes:
    body = {
        "seq": entry.seq,
        "ts": entry.ts.isoformat(timespec="microseconds"),
        "actor": entry.actor,
        "channel": entry.channel,
        "session_id": entry.session_id,
        "action": entry.action,
        "subject": entry.subject,
        "fields": list(entry.fields or []),
        "outcome": entry.outcome,
        "detail": entry.detail or {},
        "prev_hash": entry.prev_hash,
    }
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def entry_hash(entry: AuditEntry) -> str:
    return hashlib.sha256(_canonical(entry)).hexdigest()


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    broken_seq: int | None = None
    broken_id: int | None = None
    reason: str = ""


class AuditLog:
    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self.db = db
        self.clock = clock or SystemClock()

    def record(self, *, actor: str, channel: str, action: str, outcome: str,
               subject: str | None = None, session_id: str | None = None,
               fields: list[str] | None = None, detail: dict | None = None,
               session: Session | None = None) -> AuditEntry:
        """Append one entry. Pass `session` to write inside the caller's transaction."""
        if session is not None:
            return self._append(session, actor, channel, action, outcome, subject, session_id, fields, detail)
        with self.db.session() as s:
            return self._append(s, actor, channel, action, outcome, subject, session_id, fields, detail)

    def _append(self, s: Session, actor: str, channel: str, action: str, outcome: str,
                subject: str | None, session_id: str | None, fields: list[str] | None,
                detail: dict | None) -> AuditEntry:
        head = s.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one_or_none()
        if head is None:
            head = AuditHead(id=1, seq=0, hash=GENESIS)
            s.add(head)
            s.flush()
        ts = self.clock.now()
        ts = ts.replace(microsecond=ts.microsecond)  # keep microseconds; both backends store them
        entry = AuditEntry(seq=head.seq + 1, ts=ts, actor=actor, channel=channel, session_id=session_id,
                           action=action, subject=subject, fields=list(fields or []), outcome=outcome,
                           detail=dict(detail or {}), prev_hash=head.hash)
        entry.hash = entry_hash(entry)
        s.add(entry)
        head.seq, head.hash = entry.seq, entry.hash
        s.flush()
        return entry

    def entries(self, *, limit: int = 100, subject: str | None = None, action: str | None = None,
                session_id: str | None = None, since: datetime | None = None) -> list[AuditEntry]:
        with self.db.session() as s:
            q = select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(limit)
            if subject:
                q = q.where(AuditEntry.subject == subject)
            if action:
                q = q.where(AuditEntry.action == action)
            if session_id:
                q = q.where(AuditEntry.session_id == session_id)
            if since:
                q = q.where(AuditEntry.ts >= since)
            return list(s.execute(q).scalars())

    def verify(self) -> VerifyResult:
        prev, expected_seq, checked = GENESIS, 1, 0
        with self.db.session() as s:
            rows = s.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars()
            for entry in rows:
                if entry.seq != expected_seq:
                    return VerifyResult(False, checked, expected_seq, entry.id,
                                        f"entry seq {expected_seq} is missing (next present is {entry.seq})")
                if entry.prev_hash != prev:
                    return VerifyResult(False, checked, entry.seq, entry.id,
                                        f"entry seq {entry.seq} does not link to the entry before it")
                if entry_hash(entry) != entry.hash:
                    return VerifyResult(False, checked, entry.seq, entry.id,
                                        f"entry seq {entry.seq} (id {entry.id}) was altered")
                prev, expected_seq, checked = entry.hash, expected_seq + 1, checked + 1
            head = s.get(AuditHead, 1)
            if head is not None and (head.seq != checked or head.hash != prev):
                return VerifyResult(False, checked, checked + 1, None,
                                    f"the chain ends at seq {checked} but the head says {head.seq}: "
                                    "the newest entries were deleted")
        return VerifyResult(True, checked)
