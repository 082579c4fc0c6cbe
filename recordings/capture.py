"""Turning a channel's recording into a stored one.

A leg starts when the agent answers (`start_leg`: a row in state `recording`, and for Asterisk the
spool path MixMonitor writes to), ends on hang-up or transfer (`end_leg`: state `closing`), and is
ingested (`ingest`: compressed, checksummed, written atomically to storage, state `stored`). The
node's timer retries ingestion of any leg left `closing` (e.g. Asterisk still flushing the file, or
a node that crashed mid-way), so a crash loses at most the call in progress."""

from __future__ import annotations

import hashlib
import logging
import shutil
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update

from recordings import audio
from recordings.events import RecordingStored
from recordings.models import Recording

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 20
SETTLE_S = 2.0  # a spool file unchanged this long is complete


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(65536), b""):
            digest.update(chunk)
    return digest.hexdigest()


def storage_key(rec: Recording, codec: str) -> str:
    day = rec.started_at.strftime("%Y/%m/%d")
    safe_call = "".join(c if c.isalnum() or c in "-_." else "_" for c in rec.call_id)[:60]
    return f"{rec.province}/{day}/{safe_call}-{rec.leg}-{rec.id}{audio.SUFFIX[codec]}"


def next_leg(s: Any, call_id: str) -> int:
    return int(s.execute(select(func.coalesce(func.max(Recording.leg), 0))
                         .where(Recording.call_id == call_id)).scalar_one()) + 1


def adopt_agent_leg(s: Any, rec: Recording) -> None:
    """A whole-call recording belongs to the province, queue and agent of the call's first agent leg
    (at the start of the IVR only the entry number's center is known); without one it keeps its own."""
    if rec.kind != "whole_call":
        return
    first = s.execute(select(Recording).where(Recording.call_id == rec.call_id, Recording.kind == "agent_leg",
                                              Recording.agent_id.is_not(None))
                      .order_by(Recording.leg)).scalars().first()
    if first is not None:
        rec.province, rec.queue_id = first.province, first.queue_id
        rec.agent_id, rec.agent_user_id = first.agent_id, first.agent_user_id


def claim(db: Any, rec_id: int) -> bool:
    """Take a closing leg for ingestion (one node at a time): `closing` → `ingesting`."""
    with db.session() as s:
        done = s.execute(update(Recording).where(Recording.id == rec_id, Recording.status == "closing")
                         .values(status="ingesting", error=None)
                         .execution_options(synchronize_session=False))
        return bool(done.rowcount)


def ingest_file(svc: Any, rec_id: int, source: Path, *, channels: int | None = None,
                keep_source: bool = False) -> bool:
    """Compress `source`, store it, fill in the metadata. True when stored."""
    cfg = svc.config
    now = svc.clock.now()
    with svc.db.session() as s:
        rec = s.get(Recording, rec_id)
        if rec is None:
            return False
        snapshot = Recording(id=rec.id, call_id=rec.call_id, leg=rec.leg, province=rec.province,
                             started_at=rec.started_at)
    try:
        encoded = audio.encode(source, cfg.codec, bitrate_kbps=cfg.bitrate_kbps, channels=channels,
                               complexity=cfg.opus_complexity,
                               workdir=cfg.spool_dir if cfg.spool_dir.is_dir() else None)
    except audio.AudioError as exc:
        _failed(svc, rec_id, str(exc))
        return False
    try:
        key = storage_key(snapshot, encoded.codec)
        size = encoded.path.stat().st_size
        checksum = sha256_of(encoded.path)
        svc.storage.put(key, encoded.path, audio.MIME[encoded.codec])
    except Exception as exc:  # noqa: BLE001 - storage down: stays closing, the timer retries
        _failed(svc, rec_id, f"storage: {exc}")
        return False
    finally:
        shutil.rmtree(encoded.path.parent, ignore_errors=True)
    with svc.db.session() as s:
        rec = s.get(Recording, rec_id)
        rec.storage_key, rec.size_bytes, rec.checksum, rec.codec = key, size, checksum, encoded.codec
        rec.duration_s = encoded.duration_s
        rec.ended_at = rec.ended_at or now
        rec.status, rec.error = "stored", None
        rec.expires_at = rec.ended_at + timedelta(days=cfg.retention_for(rec.province))
        rec.source = None if not keep_source else rec.source
    if not keep_source:
        source.unlink(missing_ok=True)
    svc.platform.bus.emit(RecordingStored(recording_id=rec_id, call_id=snapshot.call_id, province=snapshot.province,
                                          duration_s=encoded.duration_s, size=size))
    svc.after_store(rec_id)
    return True


def _failed(svc: Any, rec_id: int, error: str) -> None:
    with svc.db.session() as s:
        rec = s.get(Recording, rec_id)
        previous = (rec.error or "").partition("#")[0]
        attempts = int(previous) + 1 if previous.isdigit() else 1
        rec.error = f"{attempts}# {error[:400]}"
        rec.status = "failed" if attempts >= MAX_ATTEMPTS else "closing"
    log.warning("recording %s not stored yet: %s", rec_id, error)


def spool_ready(path: Path, now_ts: float) -> bool:
    try:
        return now_ts - path.stat().st_mtime >= SETTLE_S
    except FileNotFoundError:
        return False


def ingest_spooled(svc: Any, rec_id: int, *, force: bool = False) -> bool:
    """Ingest a leg whose file Asterisk wrote into the spool, once the file has settled.

    A file still missing a minute after the leg ended counts as a failed attempt (a wrong spool
    mount shows up as `failed` after MAX_ATTEMPTS timer passes instead of waiting forever)."""
    with svc.db.session() as s:
        rec = s.get(Recording, rec_id)
        if rec is None or rec.status != "closing" or not rec.source:
            return False
        path = svc.config.spool_dir / Path(rec.source).name
        ended = rec.ended_at
    if not path.exists():
        if ended is not None and (svc.clock.now() - ended).total_seconds() > 60:
            _failed(svc, rec_id, f"spool file {path.name} missing in {svc.config.spool_dir}")
        return False
    # file times are wall-clock times, so this one check uses the wall clock, not platform.clock
    if not force and not spool_ready(path, time.time()):
        return False
    if path.stat().st_size == 0:  # MixMonitor `b`: never bridged, nothing was said
        svc.discard_leg(rec_id, "empty")
        return False
    if not claim(svc.db, rec_id):
        return False
    return ingest_file(svc, rec_id, path)
