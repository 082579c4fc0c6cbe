"""Item 6: the audit chain is keyed (HMAC with a secret outside the database); rewriting a row and
recomputing the chain with SHA-256 (or even with the key, from an anchored point on) is caught;
`hotline audit anchor` exports the head; a legacy unkeyed chain is re-keyed once; the key rotates."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from core.audit import GENESIS, AuditLog, entry_hash
from core.db import Database
from core.models import AuditEntry, AuditHead, Setting
from hotline.platform import Platform


def _forge(db: Database, key: bytes | None, seq: int, actor: str) -> None:
    """What an attacker with write access does: edit a row, recompute every hash after it."""
    with db.session() as s:
        prev = GENESIS
        for entry in s.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars():
            if entry.seq == seq:
                entry.actor = actor
            entry.prev_hash = prev
            entry.hash = entry_hash(entry, key)
            prev = entry.hash
        s.get(AuditHead, 1).hash = prev


def test_a_rewritten_and_recomputed_chain_fails_verify(platform: Platform) -> None:
    for i in range(4):
        platform.audit.record(actor=f"agent:{i}", channel="console", action="record.lookup", outcome="ok")
    assert platform.audit.verify().ok
    _forge(platform.db, None, 2, "agent:99")  # plain SHA-256, as the old chain was
    result = platform.audit.verify()
    assert not result.ok and result.broken_seq == 1


def test_anchors_catch_a_rewrite_by_someone_holding_the_key(platform: Platform) -> None:
    audit = platform.audit
    for i in range(3):
        audit.record(actor=f"agent:{i}", channel="console", action="record.lookup", outcome="ok")
    line = audit.anchor()
    assert line["seq"] == 3 and line["key_id"] == audit.key_id
    stored = (platform.settings.data_dir / "audit-anchors.log").read_text().splitlines()
    assert json.loads(stored[-1]) == line
    assert audit.key.decode() not in "".join(stored)  # the anchor names the key, never reveals it
    audit.record(actor="agent:4", channel="console", action="record.lookup", outcome="ok")
    result = audit.verify()
    assert result.ok and result.anchors_checked == 1
    _forge(platform.db, audit.key, 2, "agent:99")
    result = audit.verify()
    assert not result.ok and result.broken_seq == 3 and "anchor" in result.reason  # the anchored entry
    # an anchor kept elsewhere works the same
    other = platform.settings.data_dir / "elsewhere.log"
    other.write_text(json.dumps(line) + "\n")
    assert not audit.verify(other).ok


def test_a_cut_chain_is_caught_by_the_anchor(platform: Platform) -> None:
    audit = platform.audit
    for i in range(3):
        audit.record(actor=f"agent:{i}", channel="console", action="x", outcome="ok")
    audit.anchor()
    with platform.db.session() as s:  # delete the newest entry and move the head back, consistently
        last = s.execute(select(AuditEntry).where(AuditEntry.seq == 3)).scalar_one()
        prev = last.prev_hash
        s.delete(last)
        head = s.get(AuditHead, 1)
        head.seq, head.hash = 2, prev
    result = audit.verify()
    assert not result.ok and "removed" in result.reason


def test_a_legacy_chain_is_rekeyed_once_and_marked(platform: Platform) -> None:
    db = platform.db
    legacy = AuditLog(db, platform.clock)
    with db.session() as s:
        s.execute(Setting.__table__.delete().where(Setting.key == "core.audit_chain"))
    for i in range(3):
        legacy.record(actor=f"agent:{i}", channel="console", action="x", outcome="ok")
    _forge(db, None, 0, "")  # hashes as the old code wrote them: unkeyed SHA-256 (seq 0: nothing edited)
    assert "not keyed" in platform.audit.verify().reason
    assert platform.audit.ensure_keyed() == "rekeyed"
    result = platform.audit.verify()
    assert result.ok and result.checked == 4
    assert platform.audit.entries(limit=1)[0].action == "audit.rekeyed"
    assert platform.audit.ensure_keyed() == "keyed"  # once


def test_cli_anchor_verify_and_key_rotation(tmp_path: Path) -> None:
    env = {"HOTLINE_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}

    def hotline(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "hotline.cli", *args], env=env, capture_output=True,
                              text=True, timeout=120, cwd=Path(__file__).resolve().parents[2])

    assert hotline("db", "upgrade").returncode == 0
    key_file = tmp_path / "secrets" / "audit_key"
    assert key_file.exists() and oct(key_file.stat().st_mode & 0o777) == "0o600"
    from core.audit import key_id

    audit = AuditLog(Database(f"sqlite:///{tmp_path / 'hotline.db'}"), key=key_file.read_text().strip())
    for i in range(3):
        audit.record(actor=f"agent:{i}", channel="console", action="x", outcome="ok")
    anchored = hotline("audit", "anchor")
    assert anchored.returncode == 0 and json.loads(anchored.stdout)["seq"] == 3
    assert "1 anchors match" in hotline("audit", "verify").stdout
    old_id = key_id(key_file.read_text().strip().encode())
    env["HOTLINE_AUDIT_KEY"] = key_file.read_text().strip() + "-elsewhere"  # a key kept outside the data dir
    refused = hotline("audit", "rekey", "--yes")
    assert refused.returncode != 0 and "set from the environment" in refused.stderr
    del env["HOTLINE_AUDIT_KEY"]
    rotated = hotline("audit", "rekey", "--yes")
    assert rotated.returncode == 0, rotated.stderr
    assert (tmp_path / "secrets" / "audit_key.old").exists()
    assert key_id(key_file.read_text().strip().encode()) != old_id
    ok = hotline("audit", "verify")
    assert ok.returncode == 0 and "intact: 4 entries" in ok.stdout, ok.stderr
