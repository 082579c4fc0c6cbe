"""The fake Twilio REST API of tests.support.emulators.twilio plus what recording needs: the media of a
recording (`GET /2010-04-01/Accounts/AC…/Recordings/RE….wav`, Basic auth, as Twilio serves it with
HTTP auth for media on), the update of a call's recording (pause / resume) by RecordingSid or
`Twilio.CURRENT` (404 for a recording it does not know), and the recording-status callback fields
of a recording that started (`started`) or completed (`completed`)."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response

from tests.support.emulators.twilio import API_VERSION, ApiRequest, FakeTwilioApi, _error, _json, new_sid


class FakeTwilioRecordingsApi(FakeTwilioApi):
    def __init__(self, account_sid: str, auth_token: str) -> None:
        super().__init__(account_sid, auth_token)
        self.media: dict[str, bytes] = {}  # RecordingSid -> WAV bytes
        self.live_recordings: dict[str, str] = {}  # RecordingSid -> CallSid, from start to completion
        self.recording_updates: list[tuple[str, str, str]] = []  # (CallSid, RecordingSid | Twilio.CURRENT, Status)

    def add_recording(self, wav: bytes) -> str:
        sid = new_sid("RE")
        self.media[sid] = wav
        return sid

    def recording_url(self, sid: str) -> str:
        """The RecordingUrl Twilio would send (api.twilio.com; the platform maps it to api_base)."""
        return f"https://api.twilio.com/{API_VERSION}/Accounts/{self.account_sid}/Recordings/{sid}"

    def started(self, call_sid: str, *, source: str, start_time: str, channels: int = 2) -> dict[str, str]:
        """Twilio started recording the call: the in-progress callback's fields (`source`: DialVerb
        for `<Dial record>`, StartCallRecordingTwiML for `<Start><Recording>`)."""
        sid = new_sid("RE")
        with self._lock:
            self.live_recordings[sid] = call_sid
        return {"RecordingSid": sid, "RecordingUrl": self.recording_url(sid), "RecordingStatus": "in-progress",
                "RecordingChannels": str(channels), "RecordingSource": source, "RecordingStartTime": start_time,
                "RecordingTrack": "both", "RecordingDuration": "-1"}

    def completed(self, wav: bytes, *, source: str, duration_s: int, start_time: str, channels: int = 2,
                  sid: str | None = None) -> dict[str, str]:
        """Twilio finished a recording (the one `started` named, or a new one): keep its media and return
        the completed callback's fields."""
        if sid is None:
            sid = self.add_recording(wav)
        else:
            with self._lock:
                self.live_recordings.pop(sid, None)
                self.media[sid] = wav
        return {"RecordingSid": sid, "RecordingUrl": self.recording_url(sid), "RecordingStatus": "completed",
                "RecordingDuration": str(duration_s), "RecordingChannels": str(channels),
                "RecordingSource": source, "RecordingStartTime": start_time, "RecordingTrack": "both"}

    def media_gets(self, sid: str) -> list[ApiRequest]:
        return [r for r in self.requests if r.method == "GET" and r.path.endswith(f"/Recordings/{sid}.wav")]

    def _handle(self, request: Request) -> Response:
        parts = request.path.strip("/").split("/")
        ours = (len(parts) == 5 and parts[3] == "Recordings") or (len(parts) == 7 and parts[5] == "Recordings")
        if ours:
            with self._lock:
                self.requests.append(ApiRequest(request.method, request.path, request.form.to_dict(),
                                                self._authenticated_user(request)))
        if len(parts) == 5 and parts[3] == "Recordings" and parts[4].endswith(".wav"):
            if self._authenticated_user(request) is None:
                return _error(401, 20003, "Authenticate")
            body = self.media.get(parts[4][:-4])
            if body is None or parts[2] != self.account_sid:
                return _error(404, 20404, f"The requested resource {request.path} was not found")
            return Response(body, mimetype="audio/x-wav")
        if len(parts) == 7 and parts[3] == "Calls" and parts[5] == "Recordings" and request.method == "POST":
            if self._authenticated_user(request) is None:
                return _error(401, 20003, "Authenticate")
            status, target = request.form.get("Status", ""), parts[6].removesuffix(".json")
            if target != "Twilio.CURRENT" and self.live_recordings.get(target) != parts[4]:
                return _error(404, 20404, f"The requested resource {request.path} was not found")
            self.recording_updates.append((parts[4], target, status))
            body: dict[str, Any] = {"sid": new_sid("RE"), "call_sid": parts[4], "status": status,
                                    "account_sid": self.account_sid, "api_version": API_VERSION}
            return _json(200, body)
        return super()._handle(request)
