"""Retention per province, holds, and the audit entries they leave."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from hotline.platform import Platform
from recordings.service import RecordingError
from tests.recordings.helpers import stereo_wav


@pytest.fixture
def stored(platform: Platform, tmp_path: Path) -> list[int]:
    wav = stereo_wav(tmp_path / "leg.wav")
    return [platform.recordings.store_file(f"call-{n}", wav, channel="import", source_ref=f"t:{n}")
            for n in range(3)]


def test_stored_file_has_metadata_and_is_compressed(platform: Platform, stored: list[int], tmp_path: Path) -> None:
    rec = platform.recordings.get(stored[0])
    assert rec is not None and rec.status == "stored"
    assert rec.codec == "opus" and rec.duration_s == pytest.approx(2.0, abs=0.05)
    data = b"".join(platform.recordings.open(rec))
    assert len(data) == rec.size_bytes and data[:4] == b"OggS"
    assert len(data) < (tmp_path / "leg.wav").stat().st_size / 3  # compressed, not a copy
    import hashlib

    assert hashlib.sha256(data).hexdigest() == rec.checksum
    assert rec.expires_at - rec.ended_at == timedelta(days=180)


def test_purge_deletes_expired_keeps_held_and_audits(platform: Platform, clock, stored: list[int]) -> None:
    svc = platform.recordings
    keep = stored[1]
    hold_id = svc.hold(keep, reason="complaint", reference="TS-1", actor="user:7")
    clock.advance(timedelta(days=179))
    assert svc.purge().purged == []
    clock.advance(timedelta(days=2))
    report = svc.purge()
    assert sorted(report.purged) == sorted([stored[0], stored[2]]) and report.held == [keep]
    assert svc.get(stored[0]).status == "purged"
    with pytest.raises(RecordingError):
        list(svc.open(svc.get(stored[0])))
    assert list(svc.open(svc.get(keep)))  # still there
    purges = platform.audit.entries(action="recording.purge")
    assert {e.subject for e in purges} == {f"recording:{stored[0]}", f"recording:{stored[2]}"}
    assert platform.audit.entries(action="recording.hold")[0].detail["hold_id"] == hold_id
    # releasing the hold lets the next pass delete it
    assert svc.release(keep, actor="user:7") == 1
    assert svc.purge().purged == [keep]
    assert platform.audit.entries(action="recording.release")
    assert platform.audit.verify().ok


def test_retention_per_province(tmp_path: Path, clock) -> None:
    from core.events import InProcessBus
    from core.state import MemoryStore
    from tests.conftest import make_settings

    settings = make_settings(tmp_path, extra={"recording_retention_days": "30,44=365"})
    p = Platform(settings, clock=clock, store=MemoryStore(clock), bus=InProcessBus("n", clock))
    p.migrate()
    try:
        wav = stereo_wav(tmp_path / "a.wav")
        rid = p.recordings.store_file("c1", wav, channel="import")
        rec = p.recordings.get(rid)
        assert rec.expires_at - rec.ended_at == timedelta(days=30)  # center "00" default
        assert p.recordings.config.retention_for("44") == 365
    finally:
        p.close()


def test_dry_run_deletes_nothing(platform: Platform, clock, stored: list[int]) -> None:
    clock.advance(timedelta(days=200))
    report = platform.recordings.purge(dry_run=True)
    assert len(report.purged) == 3
    assert all(platform.recordings.get(i).status == "stored" for i in stored)


def test_the_timer_closes_legs_a_dead_node_left_open(platform: Platform, clock, tmp_path: Path) -> None:
    """A node died mid-call: its Asterisk leg is ingested from the spool, a Twilio leg dropped."""
    import shutil

    svc = platform.recordings
    ast = svc.start_leg("call-a", channel="asterisk", agent_id=None)
    tw = svc.start_leg("call-t", channel="twilio", agent_id=None)
    raw = tmp_path / "leg.raw"
    import subprocess

    subprocess.run(["sox", str(stereo_wav(tmp_path / "x.wav")), "-t", "raw", "-e", "signed", "-b", "16",
                    str(raw)], check=True)
    shutil.copy(raw, svc.config.spool_dir / Path(ast.mixmonitor_file).name)
    import os

    old = clock.time() - 9 * 3600
    os.utime(svc.config.spool_dir / Path(ast.mixmonitor_file).name, (old, old))
    assert svc.ingest_pending() == 0  # still within any call's length
    clock.advance(timedelta(hours=9))
    assert svc.ingest_pending() == 1
    assert svc.get(ast.recording_id).status == "stored"
    assert svc.get(ast.recording_id).duration_s == pytest.approx(2.0, abs=0.05)
    assert svc.get(tw.recording_id) is None


def test_node_runs_the_recording_timers(platform: Platform) -> None:
    from recordings.runtime import services

    names = [s.name for s in services(platform)]
    assert names == ["recordings-ingest", "recordings-retention"]


def test_a_ticket_for_the_call_holds_its_recordings_until_closed(platform: Platform, clock, stored: list[int]) -> None:
    svc = platform.recordings
    agent = platform.accounts.create_user("tk-agent", "pw-tk-agent", ["agent"], province_scope="00")
    from web.users import SessionUser

    user = SessionUser(agent)
    ticket = platform.tickets.open_ticket(user, caller="13800138000", topic="投诉", description="坐席态度",
                                          province="11", center_code="11", call_id="call-1")
    assert svc.get(stored[1]).held and not svc.get(stored[0]).held
    assert svc.holds(stored[1])[0]["reference"] == f"ticket:{ticket.id}"
    clock.advance(timedelta(days=181))
    assert svc.purge().held == [stored[1]]
    platform.tickets.close(user, ticket.id, "已回复")
    assert not svc.get(stored[1]).held
    assert svc.purge().purged == [stored[1]]
