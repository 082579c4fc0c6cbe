"""On a real Asterisk 22: a call answered by an agent is recorded with MixMonitor from the answer
to the hang-up, stored compressed with both parties audible (caller left, agent right), listed for
a supervisor of the province, refused to another province's supervisor, and the listen is audited.

The caller and the agent are Local channels playing different tones (300 Hz and 500 Hz) — real
audio through a real Asterisk bridge; the engine is scripted (Connect, then Hangup) so the test is
about the channel adapter and the recordings home, not the flow."""

from __future__ import annotations

import asyncio
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from core.clock import SystemClock
from core.events import InProcessBus
from core.state import MemoryStore
from hotline.platform import Platform
from ivr.actions import Connect, Hangup, Hold
from ivr.asterisk.ami import AMIClient
from ivr.asterisk.channel import CallRunner
from ivr.asterisk.recording import RecordingControl
from recordings import audio
from tests.asterisk.helpers import agi_server
from tests.conftest import make_settings
from tests.recordings.helpers import user
from tests.recordings.real_asterisk import RealAsterisk, require_asterisk, tone
from tests.scripted_engine import ScriptedEngine

pytestmark = pytest.mark.timeout(600)  # a guard, not a measure: starts a real Asterisk


class _NoAcd:
    """The ACD is not part of this test; the recording takes agent and province from the profile."""

    def __init__(self, profile: object) -> None:
        self._profile = profile

    def call_status(self, call_id: str) -> None:
        return None

    def profile(self, agent_id: int) -> object:
        return self._profile

    def agent_for_user(self, user_id: int) -> None:
        return None


class _Profile:
    id, user_id, center_code = 7, 0, "44"


def _extensions(agi_port: int, sounds: Path) -> str:
    return f"""[general]
[rec-in]
exten => 100,1,Answer()
 same => n,AGI(agi://127.0.0.1:{agi_port}/12333)
 same => n,Hangup()
[rec-agents]
exten => 201,1,Answer()
 same => n,Wait(0.5)
 same => n,Playback({sounds}/agent)
 same => n,Hangup()
"""


@pytest.fixture
def recording_platform(tmp_path: Path) -> Platform:
    settings = make_settings(tmp_path, extra={"recording_spool_dir": str(tmp_path / "spool")})
    clock = SystemClock()
    p = Platform(settings, clock=clock, store=MemoryStore(clock), bus=InProcessBus("t", clock))
    p.migrate()
    yield p
    p.close()


def _run_call(platform: Platform, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, caller_s: float,
              agent_s: float, during: Any = None, ivr_s: float = 0.0) -> None:
    """One call through a real Asterisk: the caller plays 300 Hz, the agent answers and plays 500 Hz.
    `during(ami, started_at)` runs while the agent leg is up (with an AMI client on the node's loop)."""
    require_asterisk()
    sounds = tmp_path / "sounds"
    sounds.mkdir(exist_ok=True)
    tone(sounds / "caller.wav", 300, caller_s)
    tone(sounds / "agent.wav", 500, agent_s)
    script = [Connect(agent_id=7, endpoint="Local/201@rec-agents/n", call_id=""), Hangup(reason="completed")]
    if ivr_s:  # the caller waits in the IVR first (a hold without music), then an agent takes the call
        script.insert(0, Hold(prompts=(), music=False, max_seconds=ivr_s))
    engine = ScriptedEngine(*script)
    monkeypatch.setitem(platform.__dict__, "ivr", engine)
    monkeypatch.setitem(platform.__dict__, "agents", _NoAcd(_Profile()))
    runner = CallRunner(platform)
    done: list[str] = []

    async def handle(conn) -> None:  # type: ignore[no-untyped-def]
        try:
            await runner.handle(conn)
        finally:
            done.append(conn.request.uniqueid)

    async def main() -> None:
        async with agi_server(handle) as server:
            ast = RealAsterisk(tmp_path / "ast", agi_port=server.port,
                               extensions=_extensions(server.port, sounds))
            await asyncio.to_thread(ast.start)
            ami = AMIClient("127.0.0.1", ast.ami_port, "hotline", "test-secret", events="call")
            control = RecordingControl(platform, ami)
            control.bind(asyncio.get_running_loop())
            await ami.start()
            try:
                await ami.wait_connected(10)
                await asyncio.to_thread(ast.rx, f"channel originate Local/100@rec-in/n application "
                                        f"Playback {sounds}/caller")
                deadline = time.monotonic() + 240
                if during is not None:
                    while not platform.recordings.list(status="recording") and time.monotonic() < deadline:
                        await asyncio.sleep(0.05)
                    await during(platform.recordings.list(status="recording"))
                while not done and time.monotonic() < deadline:
                    await asyncio.sleep(0.2)
                assert done, "the call never finished on the FastAGI side"
                # ingestion runs after the leg, off the call's path
                while time.monotonic() < deadline:
                    recs = platform.recordings.list()
                    if recs and all(r.status == "stored" for r in recs):
                        break
                    await asyncio.sleep(0.3)
            finally:
                control.close()
                await ami.stop()
                await asyncio.to_thread(ast.stop)
                runner.close()

    asyncio.run(asyncio.wait_for(main(), 480))


def _levels(platform: Platform, rec: Any, tmp_path: Path, name: str) -> tuple[Path, list[float]]:
    stored = tmp_path / f"{name}.opus"
    stored.write_bytes(b"".join(platform.recordings.open(rec)))
    wav = audio.decode(stored, tmp_path / f"{name}.wav")
    return wav, audio.channel_rms(wav)


def test_agent_leg_is_recorded_with_both_parties(recording_platform: Platform, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    platform = recording_platform
    _run_call(platform, tmp_path, monkeypatch, caller_s=8.0, agent_s=3.0)

    recs = platform.recordings.list()
    assert len(recs) == 1, recs
    rec = recs[0]
    assert rec.status == "stored", platform.recordings.get(rec.id)
    assert rec.channel == "asterisk" and rec.kind == "agent_leg" and rec.leg == 1
    assert rec.agent_id == 7 and rec.province == "44" and rec.codec == "opus"
    # from the agent's answer to the hang-up: about the agent's 3.5 s, not the 8 s the caller played
    assert 2.0 < (rec.duration_s or 0) < 6.0, rec.duration_s

    _, levels = _levels(platform, rec, tmp_path, "stored")
    assert len(levels) == 2 and min(levels) > 0.05, levels  # caller (left) and agent (right) both heard
    assert list((tmp_path / "spool").glob("*.raw")) == []  # the spool file went into storage

    # access: the province's supervisor hears it, another province's does not; the listen is audited
    from web.app import create_app

    gd = user(platform, "sup44", ["supervisor"], "44")
    user(platform, "sup11", ["supervisor"], "11")
    app = create_app(platform, {"TESTING": True, "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    client.post("/login", data={"username": "sup11", "password": "pw-sup11"})
    assert client.get(f"/recordings/{rec.id}").status_code == 403
    assert rec.call_id not in client.get("/recordings/").get_data(as_text=True)
    assert platform.audit.entries(action="recording.listen")[0].outcome == "denied"
    client = app.test_client()
    client.post("/login", data={"username": "sup44", "password": "pw-sup44"})
    page = client.get("/recordings/").get_data(as_text=True)
    assert rec.call_id in page
    detail = client.get(f"/recordings/{rec.id}").get_data(as_text=True)
    src = detail.split('<audio', 1)[1].split('src="', 1)[1].split('"', 1)[0]
    head = client.get(src, headers={"Range": "bytes=0-99"})
    assert head.status_code == 206 and len(head.data) == 100 and head.data[:4] == b"OggS"
    entries = platform.audit.entries(action="recording.listen", subject=f"recording:{rec.id}")
    assert entries[0].actor == f"user:{gd.id}" and entries[0].outcome == "ok"
    assert client.get(src.replace("/media/", "/media/x"), headers={"Range": "bytes=0-9"}).status_code == 404


def test_pause_mutes_the_recording_and_whole_call_records_the_ivr_too(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    settings = make_settings(tmp_path, extra={"recording_spool_dir": str(tmp_path / "spool"),
                                              "recording_whole_call_entries": "12333"})
    clock = SystemClock()
    platform = Platform(settings, clock=clock, store=MemoryStore(clock), bus=InProcessBus("t", clock))
    platform.migrate()

    async def pause_then_resume(open_legs: list[Any]) -> None:
        call_id = open_legs[0].call_id
        deadline = time.monotonic() + 30
        while len(platform.recordings.list(status="recording")) < 2:  # the agent leg too, not just the whole call
            assert time.monotonic() < deadline, platform.recordings.list()
            await asyncio.sleep(0.05)
        await asyncio.sleep(1.5)
        await asyncio.to_thread(platform.recordings.pause, call_id, actor="agent:5")
        await asyncio.sleep(2.0)
        await asyncio.to_thread(platform.recordings.resume, call_id, actor="agent:5")

    try:
        _run_call(platform, tmp_path, monkeypatch, caller_s=12.0, agent_s=7.0, during=pause_then_resume, ivr_s=2.0)
        recs = {r.kind: r for r in platform.recordings.list()}
        assert set(recs) == {"agent_leg", "whole_call"}, recs
        leg, whole = recs["agent_leg"], recs["whole_call"]
        assert leg.status == whole.status == "stored"
        assert (whole.duration_s or 0) > (leg.duration_s or 0) + 1.5  # the IVR part is in the whole call only
        assert len(leg.gaps) == 1 and leg.gaps[0]["by"] == "agent:5"
        start, end = leg.gaps[0]["start"], leg.gaps[0]["end"]
        assert 1.5 <= end - start <= 3.0
        wav, levels = _levels(platform, leg, tmp_path, "leg")
        assert min(levels) > 0.05, levels
        # inside the gap both channels are silent; MixMonitorMute kept the timing (silence, not a cut)
        inner = tmp_path / "gap.wav"
        subprocess.run(["sox", str(wav), str(inner), "trim", str(start + 0.5), str(max(0.3, end - start - 1.0))],
                       check=True)
        assert max(audio.channel_rms(inner)) < 0.01, audio.channel_rms(inner)
        # the whole-call recording is paused too (a card number reaches neither), its gap in its own time
        assert len(whole.gaps) == 1 and whole.gaps[0]["by"] == "agent:5", whole.gaps
        w_start, w_end = whole.gaps[0]["start"], whole.gaps[0]["end"]
        assert w_start > start + 1.5 and abs((w_end - w_start) - (end - start)) < 0.2, (whole.gaps, leg.gaps)
        whole_wav, _ = _levels(platform, whole, tmp_path, "whole")
        whole_inner = tmp_path / "whole-gap.wav"
        subprocess.run(["sox", str(whole_wav), str(whole_inner), "trim", str(w_start + 0.5),
                        str(max(0.3, w_end - w_start - 1.0))], check=True)
        assert max(audio.channel_rms(whole_inner)) < 0.01, audio.channel_rms(whole_inner)
        before = tmp_path / "whole-before.wav"  # and not silent for want of audio: the leg was heard just before
        subprocess.run(["sox", str(whole_wav), str(before), "trim", str(max(0.0, w_start - 1.2)), "1.0"], check=True)
        assert max(audio.channel_rms(before)) > 0.05, audio.channel_rms(before)
        [paused] = platform.audit.entries(action="recording.pause")
        assert paused.detail["recordings"] == [leg.id, whole.id]
    finally:
        platform.close()
