"""The audit log: append-only, each entry carrying an HMAC-SHA256 over its content and the hash of
the one before, keyed with a secret kept outside the database (`HOTLINE_AUDIT_KEY` or
`$HOTLINE_DATA_DIR/secrets/audit_key`), so someone who can write the database cannot rewrite a row
and recompute the chain.

Every look-up of a person's data writes an entry (who, channel, call or SMS session, whose record,
which fields, outcome, time). `verify()` walks the chain and names the first broken entry: an edited
row no longer matches its hash, a deleted row leaves a gap in `seq` or a broken `prev_hash` link.
`anchor()` appends the head (seq, hash) to a file outside the database (every node does so daily);
`verify()` also checks that every anchor written with the current key still matches its entry, so
a chain rewritten from some point on, or cut short, is caught even by someone who holds the key.

Chains written before the key (unkeyed SHA-256) are re-keyed once on start-up (`ensure_keyed`),
after they verified unkeyed; an `audit.rekeyed` entry marks that epoch.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import Clock, SystemClock
from core.db import Database
from core.models import AuditEntry, AuditHead, Setting

log = logging.getLogger(__name__)

GENESIS = "0" * 64
MARK = "core.audit_chain"  # Setting: "hmac-sha256:<key id>" once the chain is keyed


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


def entry_hash(entry: AuditEntry, key: bytes | None = None) -> str:
    """HMAC-SHA256 of the entry with `key`; plain SHA-256 (the legacy, unkeyed chain) without one."""
    if key is None:
        return hashlib.sha256(_canonical(entry)).hexdigest()
    return hmac.new(key, _canonical(entry), hashlib.sha256).hexdigest()


def key_id(key: bytes) -> str:
    """A public fingerprint of the audit key (names the key in anchors, never reveals it)."""
    return hashlib.sha256(b"hotline-audit-key-id|" + key).hexdigest()[:16]


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    broken_seq: int | None = None
    broken_id: int | None = None
    reason: str = ""
    anchors_checked: int = 0


class AuditLog:
    def __init__(self, db: Database, clock: Clock | None = None, *, key: str | bytes = b"",
                 anchors_path: Path | None = None) -> None:
        self.db = db
        self.clock = clock or SystemClock()
        self.key = key.encode() if isinstance(key, str) else bytes(key)
        self.key_id = key_id(self.key)
        self.anchors_path = anchors_path

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
        entry.hash = entry_hash(entry, self.key)
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

    def _walk(self, s: Session, key: bytes | None) -> VerifyResult:
        prev, expected_seq, checked = GENESIS, 1, 0
        for entry in s.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars():
            if entry.seq != expected_seq:
                return VerifyResult(False, checked, expected_seq, entry.id,
                                    f"entry seq {expected_seq} is missing (next present is {entry.seq})")
            if entry.prev_hash != prev:
                return VerifyResult(False, checked, entry.seq, entry.id,
                                    f"entry seq {entry.seq} does not link to the entry before it")
            if not hmac.compare_digest(entry_hash(entry, key), entry.hash):
                return VerifyResult(False, checked, entry.seq, entry.id,
                                    f"entry seq {entry.seq} (id {entry.id}) was altered")
            prev, expected_seq, checked = entry.hash, expected_seq + 1, checked + 1
        head = s.get(AuditHead, 1)
        if head is not None and (head.seq != checked or head.hash != prev):
            return VerifyResult(False, checked, checked + 1, None,
                                f"the chain ends at seq {checked} but the head says {head.seq}: "
                                "the newest entries were deleted")
        return VerifyResult(True, checked)

    def verify(self, anchors: Path | None = None) -> VerifyResult:
        """Walk the keyed chain, then check the anchors (the default anchor file, or `anchors`)."""
        with self.db.session() as s:
            mark = s.get(Setting, MARK)
            if mark is not None and mark.value != f"hmac-sha256:{self.key_id}":
                return VerifyResult(False, 0, None, None, f"the chain was keyed with another key ({mark.value}); "
                                    f"this node's audit key is {self.key_id}")
            result = self._walk(s, self.key)
            if not result.ok:
                if mark is None and self._walk(s, None).ok:
                    return VerifyResult(False, result.checked, result.broken_seq, result.broken_id,
                                        "the chain is not keyed yet (written before the audit key): "
                                        "run `hotline db upgrade` to re-key it")
                return result
            checked_anchors = 0
            for anchor in self.read_anchors(anchors):
                if anchor.get("key_id") != self.key_id:
                    continue  # written under an earlier key (before a rotation)
                seq, digest = int(anchor["seq"]), str(anchor["hash"])
                checked_anchors += 1
                if seq == 0:
                    continue
                if seq > result.checked:
                    return VerifyResult(False, result.checked, result.checked + 1, None,
                                        f"an anchor from {anchor.get('ts')} names seq {seq}, but the chain ends at "
                                        f"seq {result.checked}: entries were removed")
                row = s.execute(select(AuditEntry).where(AuditEntry.seq == seq)).scalar_one_or_none()
                if row is None or row.hash != digest:
                    return VerifyResult(False, result.checked, seq, row.id if row else None,
                                        f"entry seq {seq} no longer matches the anchor from {anchor.get('ts')}: "
                                        "the chain was rewritten")
        return VerifyResult(True, result.checked, anchors_checked=checked_anchors)

    # anchors ---------------------------------------------------------------------------------
    def head(self) -> tuple[int, str]:
        with self.db.session() as s:
            head = s.get(AuditHead, 1)
            return (head.seq, head.hash) if head is not None else (0, GENESIS)

    def anchor(self, path: Path | None = None) -> dict:
        """Append the current head to the anchor file (0600) and return it. Copy the lines
        somewhere the database's administrators cannot write (a log host, a WORM bucket, paper)."""
        seq, digest = self.head()
        line = {"seq": seq, "hash": digest, "key_id": self.key_id,
                "ts": self.clock.now().isoformat(timespec="seconds")}
        target = path or self.anchors_path
        if target is not None:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            with os.fdopen(fd, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(line, sort_keys=True) + "\n")
        return line

    def read_anchors(self, path: Path | None = None) -> list[dict]:
        target = path or self.anchors_path
        if target is None or not target.exists():
            return []
        out = []
        for text in target.read_text(encoding="utf-8").splitlines():
            with contextlib.suppress(ValueError, TypeError):
                item = json.loads(text)
                if isinstance(item, dict) and "seq" in item and "hash" in item:
                    out.append(item)
        return out

    # keying and key rotation -----------------------------------------------------------------
    def ensure_keyed(self) -> str:
        """On start-up: mark a new chain as keyed, or re-key a legacy unkeyed chain once (after it
        verified unkeyed). Returns what it did: keyed | rekeyed | other_key | broken."""
        with self.db.session() as s:
            mark = s.get(Setting, MARK)
            if mark is not None:
                if mark.value == f"hmac-sha256:{self.key_id}":
                    return "keyed"
                log.error("the audit chain was keyed with another key (%s); this node has %s", mark.value, self.key_id)
                return "other_key"
            if self._walk(s, self.key).ok:  # empty, or written keyed already
                s.add(Setting(key=MARK, value=f"hmac-sha256:{self.key_id}"))
                return "keyed"
            if not self._walk(s, None).ok:
                log.error("the legacy audit chain does not verify: it is left as it is for investigation")
                return "broken"
        count = self._rehash(None, self.key)
        self.record(actor="system", channel="system", action="audit.rekeyed", outcome="ok",
                    detail={"from": "sha256", "to": f"hmac-sha256:{self.key_id}", "entries": count})
        log.warning("audit chain re-keyed with HMAC-SHA256 (%d entries)", count)
        return "rekeyed"

    def _rehash(self, old: bytes | None, new: bytes) -> int:
        with self.db.session() as s:
            check = self._walk(s, old)
            if not check.ok:
                raise ValueError(f"the chain does not verify with the current key: {check.reason}")
            prev, count = GENESIS, 0
            for entry in s.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars():
                entry.prev_hash = prev
                entry.hash = entry_hash(entry, new)
                prev, count = entry.hash, count + 1
            head = s.get(AuditHead, 1)
            if head is not None:
                head.hash = prev
            mark = s.get(Setting, MARK)
            if mark is None:
                s.add(Setting(key=MARK, value=f"hmac-sha256:{key_id(new)}"))
            else:
                mark.value = f"hmac-sha256:{key_id(new)}"
        return count

    def rekey(self, new_key: bytes) -> int:
        """Rotate the audit key: verify with the current key, re-hash every entry with the new one.
        The caller stores the new key (and stops every node first: they hold the old one)."""
        count = self._rehash(self.key, new_key)
        old_id = self.key_id
        self.key, self.key_id = new_key, key_id(new_key)
        self.record(actor="system", channel="cli", action="audit.rekeyed", outcome="ok",
                    detail={"from": f"hmac-sha256:{old_id}", "to": f"hmac-sha256:{self.key_id}", "entries": count})
        return count
