"""Twilio: the agent leg's <Dial> records dual-channel; the signed recording-status webhook fetches
the file from the (emulated) REST API and stores it; pause/resume from the console reaches Twilio;
an unsigned webhook is refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from core.platform import Platform
from ivr.actions import Connect, Hangup
from ivr.twilio.signature import HEADER, sign
from ivr.twilio.testing import TwilioCallEmulator, voice_params
from tests.conftest import make_settings
from tests.recordings.fake_twilio import FakeTwilioRecordingsApi
from tests.recordings.helpers import stereo_wav
from tests.scripted_engine import ScriptedEngine

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "f3a1c0de" * 4
PUBLIC_URL = "https://hotline.example.cn"


class _Acd:
    """Just enough ACD for the test: the call is connected to agent 7 of Guangdong."""

    class _Profile:
        id, user_id, center_code = 7, 0, "44"

    class _Status:
        state, agent_id, queue_id = "connected", 7, "44-pension"

    def call_status(self, call_id: str) -> object:
        return self._Status()

    def profile(self, agent_id: int) -> object:
        return self._Profile()

    def agent_for_user(self, user_id: int) -> object:
        return self._Profile()

    def abandon(self, *a: object) -> None: ...

    def end_call(self, *a: object) -> None: ...


@pytest.fixture
def fake_api() -> Iterator[FakeTwilioRecordingsApi]:
    with FakeTwilioRecordingsApi(ACCOUNT_SID, AUTH_TOKEN) as api:
        yield api


@pytest.fixture
def settings(tmp_path: Path, fake_api: FakeTwilioRecordingsApi):  # type: ignore[no-untyped-def]
    return make_settings(tmp_path, twilio_account_sid=ACCOUNT_SID, twilio_auth_token=AUTH_TOKEN,
                         twilio_api_base=fake_api.url, public_url=PUBLIC_URL)


@pytest.fixture
def client(platform: Platform, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr("web.app.BLUEPRINTS", ("web.auth", "web.twilio"))
    monkeypatch.setitem(platform.__dict__, "agents", _Acd())
    from web.app import create_app

    return create_app(platform, {"TESTING": True, "WTF_CSRF_ENABLED": False}).test_client()


def _post(client):  # type: ignore[no-untyped-def]
    def post(path: str, form: dict[str, str], headers: dict[str, str]) -> tuple[int, str]:
        r = client.post(path, data=form, headers=headers)
        return r.status_code, r.get_data(as_text=True)

    return post


def test_signed_recording_webhook_stores_the_file(platform: Platform, client, fake_api, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    call = TwilioCallEmulator(_post(client), public_url=PUBLIC_URL, account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN,
                              api=fake_api)
    engine = ScriptedEngine(Connect(agent_id=7, endpoint="client:agent-7", call_id=call.sid),
                            Hangup(reason="completed"))
    monkeypatch.setitem(platform.__dict__, "ivr", engine)
    call.start()
    dial = call.find("Dial")
    assert dial is not None and dial.get("record") == "record-from-answer-dual"
    callback = dial.get("recordingStatusCallback") or ""
    assert callback.startswith(PUBLIC_URL + "/twilio/recording?")

    # the agent pauses while the citizen reads out a bank card number, then resumes
    svc = platform.recordings
    assert svc.pause(call.sid, actor="agent:5").paused
    svc.resume(call.sid, actor="agent:5")
    assert fake_api.recording_updates == [(call.sid, "paused"), (call.sid, "in-progress")]
    assert [e.action for e in platform.audit.entries(action="recording.pause")] == ["recording.pause"]

    wav = stereo_wav(tmp_path / "twilio.wav", 3.0).read_bytes()
    rsid = fake_api.add_recording(wav)
    fields = {"RecordingSid": rsid, "RecordingUrl": fake_api.recording_url(rsid), "RecordingStatus": "completed",
              "RecordingDuration": "3", "RecordingChannels": "2", "RecordingSource": "DialVerb",
              "RecordingStartTime": "Tue, 24 Nov 2026 02:00:00 +0000"}

    # unsigned (or forged) callbacks are refused and store nothing
    path = callback.removeprefix(PUBLIC_URL)
    params = voice_params(call.sid, ACCOUNT_SID, **fields)
    assert client.post(path, data=params, headers={HEADER: "forged"}).status_code == 403
    assert [r.status for r in svc.list()] == ["recording"]

    code, _ = call.webhook(callback, **fields)
    assert code == 201
    rec = svc.list()[0]
    assert rec.status == "stored" and rec.channel == "twilio" and rec.agent_id == 7 and rec.province == "44"
    assert rec.queue_id == "44-pension" and rec.duration_s == pytest.approx(3.0, abs=0.05)
    assert len(rec.gaps) == 1 and rec.gaps[0]["by"] == "agent:5"
    media_gets = [r for r in fake_api.requests if r.path.endswith(f"/Recordings/{rsid}.wav")]
    assert len(media_gets) == 1 and media_gets[0].user == ACCOUNT_SID
    stored = b"".join(svc.open(rec))
    assert stored[:4] == b"OggS" and len(stored) == rec.size_bytes

    # Twilio retries a callback: still one recording, no second download
    headers = {HEADER: sign(AUTH_TOKEN, callback, params)}
    assert client.post(path, data=params, headers=headers).status_code == 201
    assert len(svc.list()) == 1
