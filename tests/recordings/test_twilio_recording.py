"""Twilio: the agent leg's <Dial> records dual-channel; the signed recording-status webhook fetches
the file from the (emulated) REST API and stores it; pause/resume from the console reaches Twilio;
an unsigned webhook is refused. An entry number recorded whole gets `<Start><Recording>` in the
call's first document and one `whole_call` recording, stored once however often Twilio retries."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hotline.platform import Platform
from ivr.actions import Action, Connect, Hangup, Play, Prompt
from ivr.twilio.signature import HEADER, sign
from tests.conftest import make_settings
from tests.recordings.fake_twilio import FakeTwilioRecordingsApi
from tests.recordings.helpers import stereo_wav
from tests.scripted_engine import ScriptedEngine
from tests.support.emulators.twilio import TwilioCallEmulator, voice_params

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "f3a1c0de" * 4
PUBLIC_URL = "https://hotline.example.cn"
WHOLE_NUMBER = "+862012366000"  # Guangdong's number for entry 12366, recorded whole (IVR included)
START_TIME = "Tue, 24 Nov 2026 02:00:00 +0000"


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

    def caller_left(self, *a: object) -> None: ...


@pytest.fixture
def fake_api() -> Iterator[FakeTwilioRecordingsApi]:
    with FakeTwilioRecordingsApi(ACCOUNT_SID, AUTH_TOKEN) as api:
        yield api


@pytest.fixture
def settings(tmp_path: Path, fake_api: FakeTwilioRecordingsApi):  # type: ignore[no-untyped-def]
    return make_settings(tmp_path, twilio_account_sid=ACCOUNT_SID, twilio_auth_token=AUTH_TOKEN,
                         twilio_api_base=fake_api.url, public_url=PUBLIC_URL,
                         extra={"recording_whole_call_entries": "12366"})


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
    assert call.find("Start") is None  # entry 12333 records the agent leg only
    dial = call.find("Dial")
    assert dial is not None and dial.get("record") == "record-from-answer-dual"
    callback = dial.get("recordingStatusCallback") or ""
    assert callback.startswith(PUBLIC_URL + "/twilio/recording?")

    # the agent pauses while the citizen reads out a bank card number, then resumes
    svc = platform.recordings
    assert svc.pause(call.sid, actor="agent:5").paused
    svc.resume(call.sid, actor="agent:5")
    # Twilio has not named the recording (no in-progress callback yet): the call's current one
    assert fake_api.recording_updates == [(call.sid, "Twilio.CURRENT", "paused"),
                                          (call.sid, "Twilio.CURRENT", "in-progress")]
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
    assert len(svc.list()) == 1 and len(fake_api.media_gets(rsid)) == 1


class _IvrFirstAcd(_Acd):
    """The ACD knows the call only once it is connected to agent 7 (as in the IVR part of a real call)."""

    def __init__(self) -> None:
        self.connected: set[str] = set()

    def call_status(self, call_id: str) -> object | None:
        return self._Status() if call_id in self.connected else None


def _whole_call_setup(platform: Platform, client, fake_api, monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
                      script: Callable[[str], list[Action]]) -> tuple[TwilioCallEmulator, _IvrFirstAcd]:
    acd = _IvrFirstAcd()
    monkeypatch.setitem(platform.__dict__, "agents", acd)
    voice = client.application.extensions["twilio_voice"]
    voice.config = dataclasses.replace(voice.config, entries={WHOLE_NUMBER: ("12366", "44")})
    call = TwilioCallEmulator(_post(client), public_url=PUBLIC_URL, account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN,
                              api=fake_api, to=WHOLE_NUMBER)
    monkeypatch.setitem(platform.__dict__, "ivr", ScriptedEngine(*script(call.sid)))
    return call, acd


def _welcome() -> Play:
    return Play(prompts=(Prompt(id="welcome", text="欢迎致电12333。"),))


def test_whole_call_entry_records_from_the_first_webhook_once(platform: Platform, client, fake_api,  # type: ignore[no-untyped-def]
                                                              tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    call, acd = _whole_call_setup(platform, client, fake_api, monkeypatch, lambda sid: [
        _welcome(), Connect(agent_id=7, endpoint="client:agent-7", call_id=sid), Hangup(reason="completed")])
    call.start()
    assert call.verbs()[:2] == ["Start", "Say"]
    start = call.find("Recording")
    assert start is not None
    assert (start.get("channels"), start.get("track"), start.get("recordingStatusCallbackEvent")) == \
        ("dual", "both", "in-progress completed")
    whole_cb = start.get("recordingStatusCallback") or ""
    assert whole_cb.startswith(PUBLIC_URL + "/twilio/recording?") and "kind=whole_call" in whole_cb
    svc = platform.recordings
    [opened] = svc.list()
    # before any agent the recording belongs to the entry number's center, not the node's ("00")
    assert (opened.kind, opened.status, opened.province, opened.agent_id) == ("whole_call", "recording", "44", None)

    # Twilio retries the first webhook: the same document, still one whole-call recording
    first = call.history[-1]
    call.webhook(PUBLIC_URL + "/twilio/voice", status="ringing")
    assert call.history[-1] == first and len(svc.list()) == 1

    whole_started = fake_api.started(call.sid, source="StartCallRecordingTwiML", start_time=START_TIME)
    assert call.webhook(whole_cb, **whole_started)[0] == 204  # named, nothing to store yet

    acd.connected.add(call.sid)
    call.wait()  # the welcome played: the agent leg
    assert "Start" not in call.verbs()  # recording is started once, in the first document only
    dial = call.find("Dial")
    assert dial is not None and dial.get("record") == "record-from-answer-dual"
    assert dial.get("recordingStatusCallbackEvent") == "in-progress completed"
    leg_cb = dial.get("recordingStatusCallback") or ""
    leg_started = fake_api.started(call.sid, source="DialVerb", start_time=START_TIME)
    assert call.webhook(leg_cb, **leg_started)[0] == 204

    # the agent pauses while the citizen reads out a card number: both recordings pause, each by its sid
    svc.pause(call.sid, actor="agent:5")
    svc.resume(call.sid, actor="agent:5")
    leg_sid, whole_sid = leg_started["RecordingSid"], whole_started["RecordingSid"]
    assert fake_api.recording_updates == [(call.sid, leg_sid, "paused"), (call.sid, whole_sid, "paused"),
                                          (call.sid, leg_sid, "in-progress"), (call.sid, whole_sid, "in-progress")]
    call.dial_ends(duration=3)
    call.hang_up(duration=6)

    leg_fields = fake_api.completed(stereo_wav(tmp_path / "leg.wav", 3.0).read_bytes(), source="DialVerb",
                                    duration_s=3, start_time=START_TIME, sid=leg_sid)
    assert call.webhook(leg_cb, **leg_fields)[0] == 201
    whole_fields = fake_api.completed(stereo_wav(tmp_path / "whole.wav", 6.0).read_bytes(),
                                      source="StartCallRecordingTwiML", duration_s=6, start_time=START_TIME,
                                      sid=whole_sid)
    assert call.webhook(whole_cb, **whole_fields)[0] == 201

    recs = {r.kind: r for r in svc.list()}
    assert set(recs) == {"agent_leg", "whole_call"} and len(svc.list()) == 2
    whole, leg = recs["whole_call"], recs["agent_leg"]
    assert whole.id == opened.id and whole.status == "stored" and whole.channel == "twilio"
    # the whole call takes the province, queue and agent of its agent leg
    assert (whole.province, whole.queue_id, whole.agent_id) == ("44", "44-pension", 7)
    assert whole.duration_s == pytest.approx(6.0, abs=0.05) and leg.duration_s == pytest.approx(3.0, abs=0.05)
    stored = b"".join(svc.open(whole))
    assert stored[:4] == b"OggS" and len(stored) == whole.size_bytes
    assert len(whole.gaps) == 1 and len(leg.gaps) == 1 and whole.gaps[0]["by"] == "agent:5"
    assert len(fake_api.media_gets(whole_sid)) == 1 and fake_api.media_gets(whole_sid)[0].user == ACCOUNT_SID

    # a retried (or duplicated) whole-call callback stores nothing twice and downloads nothing again
    assert call.webhook(whole_cb, **whole_fields)[0] == 201
    assert len(svc.list()) == 2 and len(fake_api.media_gets(whole_sid)) == 1
    # and a forged one is refused
    path = whole_cb.removeprefix(PUBLIC_URL)
    assert client.post(path, data=voice_params(call.sid, ACCOUNT_SID, **whole_fields),
                       headers={HEADER: "forged"}).status_code == 403


def test_whole_call_without_an_agent_keeps_the_entry_province(platform: Platform, client, fake_api,  # type: ignore[no-untyped-def]
                                                               tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """A caller served by the IVR alone (self-service, or hung up in the menu): one whole-call recording
    of Guangdong, no agent leg; the callback without its row (e.g. purged by the stale-leg timer) still
    stores a `whole_call`."""
    call, _ = _whole_call_setup(platform, client, fake_api, monkeypatch,
                                lambda sid: [_welcome(), Hangup(reason="completed")])
    call.start()
    whole_cb = (call.find("Recording").get("recordingStatusCallback") or "")  # type: ignore[union-attr]
    call.wait()
    assert call.verbs() == ["Hangup"]
    call.hang_up(duration=4)
    fields = fake_api.completed(stereo_wav(tmp_path / "ivr.wav", 4.0).read_bytes(),
                                source="StartCallRecordingTwiML", duration_s=4, start_time=START_TIME)
    assert call.webhook(whole_cb, **fields)[0] == 201
    [rec] = platform.recordings.list()
    assert (rec.kind, rec.status, rec.province, rec.agent_id) == ("whole_call", "stored", "44", None)

    lost = "/twilio/recording?kind=whole_call&rec=999999"
    fields2 = fake_api.completed(stereo_wav(tmp_path / "ivr2.wav", 2.0).read_bytes(),
                                 source="StartCallRecordingTwiML", duration_s=2, start_time=START_TIME)
    assert call.webhook(PUBLIC_URL + lost, **fields2)[0] == 201
    assert sorted(r.kind for r in platform.recordings.list()) == ["whole_call", "whole_call"]
