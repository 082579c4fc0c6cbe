"""Recording on Twilio: `<Dial record="record-from-answer-dual">` records the agent leg in two
channels from the answer; an entry number recorded whole gets `<Start><Recording>` in the call's
first document (IVR included, kind `whole_call`); the signed recording-status webhook fetches the
file from Twilio's REST API and hands it to the recordings home; the console's pause/resume becomes
a REST update (status paused / in-progress) of each of the call's recordings, by the RecordingSid
the in-progress callback gave (`Twilio.CURRENT` for one not named yet)."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Mapping
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import requests

from ivr.actions import Action, Connect
from ivr.api import IvrHost
from ivr.twilio.config import TwilioConfig
from ivr.twilio.rest import REST_TIMEOUT_S, CallControl
from recordings import enabled_service

log = logging.getLogger(__name__)

PATH_RECORDING = "/twilio/recording"



def recording_callback(platform: IvrHost, config: TwilioConfig, action: Action) -> str | None:
    """The recording-status URL for an agent leg's `<Dial>` (None: recording is off)."""
    svc = enabled_service(platform)
    if not isinstance(action, Connect) or svc is None or not action.call_id:
        return None
    # the leg's row opens now, so the console can pause it while the agent talks
    leg = svc.start_leg(action.call_id, channel="twilio", agent_id=action.agent_id)
    query = urlencode({"agent": action.agent_id or "", "rec": leg.recording_id if leg else ""})
    return config.url(f"{PATH_RECORDING}?{query}")


def whole_call_callback(platform: IvrHost, config: TwilioConfig, call_id: str, entry: str, *,
                        caller: str | None = None, center: str | None = None) -> str | None:
    """The recording-status URL for `<Start><Recording>` when `entry` is recorded whole (None: it is
    not). Opens the call's `whole_call` row now; call it once per call (the first webhook)."""
    svc = enabled_service(platform)
    if svc is None or not svc.whole_call(entry):
        return None
    leg = svc.start_leg(call_id, channel="twilio", kind="whole_call", caller=caller, province=center)
    if leg is None:
        return None
    return config.url(f"{PATH_RECORDING}?{urlencode({'kind': 'whole_call', 'rec': leg.recording_id})}")


def media_url(config: TwilioConfig, recording_url: str) -> str:
    """RecordingUrl + .wav, pointed at `api_base` when one is configured (a proxy, or the test fake)."""
    url = recording_url if recording_url.endswith((".wav", ".mp3")) else recording_url + ".wav"
    if config.api_base:
        parts, base = urlsplit(url), urlsplit(config.api_base.rstrip("/"))
        url = urlunsplit((base.scheme, base.netloc, base.path + parts.path, parts.query, ""))
    return url


def _started(value: str | None) -> datetime | None:
    try:
        return parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError):
        return None


class TwilioRecordings:
    def __init__(self, platform: IvrHost, config: TwilioConfig) -> None:
        self.platform, self.config = platform, config

    def status(self, form: Mapping[str, str], agent: str | None, rec: str | None = None,
               kind: str | None = None) -> int | None:
        """Handle a recording-status callback; returns the stored recording id (None if nothing to store)."""
        svc = enabled_service(self.platform)
        status = form.get("RecordingStatus")
        if svc is None or status not in ("in-progress", "completed"):
            return None
        sid, url, call_sid = form.get("RecordingSid", ""), form.get("RecordingUrl", ""), form.get("CallSid", "")
        if status == "in-progress":  # Twilio names the recording it started: a pause will address it
            if sid and call_sid and rec and rec.isdigit():
                svc.note_source_ref(int(rec), call_sid, sid)
            return None
        if not (sid and url and call_sid):
            raise ValueError("RecordingSid, RecordingUrl and CallSid are required")
        done = svc.by_source_ref(sid, "twilio")
        if done is not None:  # Twilio retried the callback: stored already, nothing to download
            return int(done)
        with tempfile.TemporaryDirectory(prefix="twrec-") as tmp:
            path = Path(tmp) / f"{sid}.wav"
            self._download(media_url(self.config, url), path)
            channels = int(form.get("RecordingChannels") or 2)
            return int(svc.store_file(call_sid, path, channel="twilio",
                                      agent_id=int(agent) if agent and agent.isdigit() else None,
                                      source_ref=sid, started_at=_started(form.get("RecordingStartTime")),
                                      channels=channels,
                                      recording_id=int(rec) if rec and rec.isdigit() else None,
                                      kind="whole_call" if kind == "whole_call" else "agent_leg"))

    def _download(self, url: str, path: Path) -> None:
        auth = (self.config.account_sid or "", self.config.auth_token or "")
        with requests.get(url, auth=auth, timeout=REST_TIMEOUT_S, stream=True) as response:
            response.raise_for_status()
            with open(path, "wb") as out:
                for chunk in response.iter_content(65536):
                    out.write(chunk)


class RecordingControl:
    """Console pause/resume (bus events) → update of each of the call's Twilio recordings.

    A recording Twilio has named (in-progress callback) is addressed by its RecordingSid: with an
    entry recorded whole two recordings run at once, and both must pause. One not named yet falls
    back to `Twilio.CURRENT`."""

    EVENTS = ("recording.paused", "recording.resumed")

    def __init__(self, platform: IvrHost, calls: CallControl) -> None:
        self.calls = calls
        self.svc = enabled_service(platform)
        self._sub = platform.bus.subscribe(self._on_event, self.EVENTS)

    def close(self) -> None:
        self._sub.close()

    def _on_event(self, event: Any) -> None:
        if event.data.get("channel") != "twilio":
            return
        status = "paused" if event.type == "recording.paused" else "in-progress"
        call_sid = str(event.data.get("call_id"))
        try:
            refs = self.svc.open_source_refs(call_sid) if self.svc is not None else []
        except Exception:
            log.exception("twilio: could not read the recordings of %s", call_sid)
            refs = []
        targets = [ref for ref in refs if ref]
        if len(targets) < len(refs) or not targets:
            targets.append("Twilio.CURRENT")
        for target in targets:
            try:
                self.calls.client.calls(call_sid).recordings(target).update(status=status)
            except Exception:
                log.exception("twilio: could not set the recording %s of %s to %s", target, call_sid, status)
