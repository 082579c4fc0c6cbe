"""Emulators of Twilio for tests and local trials; never on the code path of a real call.

- `FakeTwilioApi`: the part of Twilio's REST API the platform uses (update a live call, send an
  SMS, create and fetch calls, add conference participants and tell who hears whom), served by
  werkzeug on 127.0.0.1 in a thread, with Twilio's Basic auth, resource JSON and error bodies
  (20003, 20404, 21220, 21604).
- `voice_params(...)`: the form fields Twilio posts to a voice webhook.
- `TwilioCallEmulator`: a caller on Twilio. It reads each TwiML document the way Twilio does,
  posts signed webhooks to the URLs the document names, and picks up TwiML pushed through the
  fake REST API.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from ivr.twilio.signature import HEADER, sign
from ivr.twilio.voice import PATH_INCOMING, PATH_STATUS

API_VERSION = "2010-04-01"
LIVE = ("queued", "ringing", "in-progress")


def new_sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


# ---------------------------------------------------------------------------- webhook form fields


def voice_params(call_sid: str, account_sid: str, *, from_: str = "+8613812345678", to: str = "+861012333",
                 status: str = "in-progress", direction: str = "inbound", **extra: str) -> dict[str, str]:
    """Every field Twilio sends with a voice webhook (geographic fields are empty outside the US/CA,
    as Twilio sends them for Chinese numbers)."""
    params = {
        "AccountSid": account_sid, "ApiVersion": API_VERSION, "CallSid": call_sid, "CallStatus": status,
        "Direction": direction, "CallToken": "", "StirVerstat": "",
        "Called": to, "CalledCity": "", "CalledCountry": "CN", "CalledState": "", "CalledZip": "",
        "Caller": from_, "CallerCity": "", "CallerCountry": "CN", "CallerState": "", "CallerZip": "",
        "From": from_, "FromCity": "", "FromCountry": "CN", "FromState": "", "FromZip": "",
        "To": to, "ToCity": "", "ToCountry": "CN", "ToState": "", "ToZip": "",
    }
    params.update(extra)
    return params


# ---------------------------------------------------------------------------- REST API fake


@dataclass
class ApiRequest:
    method: str
    path: str
    form: dict[str, str]
    user: str | None


@dataclass
class FakeCall:
    sid: str
    to: str
    from_: str
    status: str = "in-progress"
    direction: str = "inbound"
    twiml: list[str] = field(default_factory=list)  # documents pushed with Twiml=...
    urls: list[str] = field(default_factory=list)  # Url=... redirects


@dataclass
class FakeParticipant:
    call_sid: str
    label: str
    muted: bool = False
    coaching: bool = False
    call_sid_to_coach: str | None = None
    end_conference_on_exit: bool = False
    hold: bool = False


class FakeTwilioApi:
    """A local stand-in for api.twilio.com (set `TWILIO_API_BASE` / settings.twilio_api_base to `.url`)."""

    def __init__(self, account_sid: str, auth_token: str) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.calls: dict[str, FakeCall] = {}
        self.messages: list[dict[str, Any]] = []
        self.conferences: dict[str, dict[str, FakeParticipant]] = {}  # friendly name -> CallSid -> participant
        self.conference_sids: dict[str, str] = {}  # CF... -> friendly name
        self.requests: list[ApiRequest] = []
        self.on_update: list[Callable[[FakeCall], None]] = []
        self._lock = threading.Lock()
        self._server: Any = None
        self._thread: threading.Thread | None = None

    # -- lifecycle
    def start(self) -> FakeTwilioApi:
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True, request_handler=_QuietHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-twilio", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeTwilioApi:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def add_call(self, sid: str, *, to: str = "+861012333", from_: str = "+8613812345678",
                 status: str = "in-progress") -> FakeCall:
        with self._lock:
            call = self.calls[sid] = FakeCall(sid=sid, to=to, from_=from_, status=status)
            return call

    # -- HTTP
    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        return self._handle(request)(environ, start_response)

    def _handle(self, request: Request) -> Response:
        user = self._authenticated_user(request)
        with self._lock:
            self.requests.append(ApiRequest(request.method, request.path, request.form.to_dict(), user))
        if user is None:
            return _error(401, 20003, "Authenticate")
        parts = request.path.strip("/").split("/")
        if len(parts) < 4 or parts[0] != API_VERSION or parts[1] != "Accounts" or parts[2] != self.account_sid:
            return _error(404, 20404, f"The requested resource {request.path} was not found")
        rest = parts[3:]
        if rest == ["Messages.json"] and request.method == "POST":
            return self._send_message(request.form.to_dict())
        if rest == ["Calls.json"] and request.method == "POST":
            return self._create_call(request.form.to_dict())
        if len(rest) == 3 and rest[0] == "Conferences" and rest[2] == "Participants.json" and request.method == "POST":
            return self._add_participant(rest[1], request.form.to_dict())
        if (len(rest) == 4 and rest[0] == "Conferences" and rest[2] == "Participants" and rest[3].endswith(".json")
                and request.method == "POST"):
            return self._update_participant(rest[1], rest[3][:-5], request.form.to_dict())
        if len(rest) == 2 and rest[0] == "Calls" and rest[1].endswith(".json"):
            sid = rest[1][:-5]
            if request.method == "POST":
                return self._update_call(sid, request.form.to_dict())
            if request.method == "GET":
                call = self.calls.get(sid)
                return _json(200, self._call_json(call)) if call else _not_found(request.path)
        return _not_found(request.path)

    def _authenticated_user(self, request: Request) -> str | None:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return None
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        if user == self.account_sid and secrets.compare_digest(password, self.auth_token):
            return user
        return None

    def _update_call(self, sid: str, form: dict[str, str]) -> Response:
        with self._lock:
            call = self.calls.get(sid)
            if call is None:
                return _not_found(f"/{API_VERSION}/Accounts/{self.account_sid}/Calls/{sid}.json")
            if ("Twiml" in form or "Url" in form) and call.status not in LIVE:
                return _error(400, 21220, "Call is not in-progress. Cannot redirect.")
            if "Twiml" in form:
                call.twiml.append(form["Twiml"])
            if "Url" in form:
                call.urls.append(form["Url"])
            if form.get("Status") in ("completed", "canceled"):
                call.status = form["Status"]
            listeners = list(self.on_update)
        for listener in listeners:
            listener(call)
        return _json(200, self._call_json(call))

    def _create_call(self, form: dict[str, str]) -> Response:
        if not form.get("To"):
            return _error(400, 21201, "No 'To' number is specified")
        if not (form.get("Url") or form.get("Twiml") or form.get("ApplicationSid")):
            return _error(400, 21205, "Url parameter is required.")
        call = self.add_call(new_sid("CA"), to=form["To"], from_=form.get("From", ""), status="queued")
        call.direction = "outbound-api"
        if form.get("Twiml"):
            call.twiml.append(form["Twiml"])
        return _json(201, self._call_json(call))

    # -- conferences (Twilio creates one on the first participant of a friendly name)
    def join(self, conference: str, call_sid: str, label: str, **flags: Any) -> FakeParticipant:
        with self._lock:
            member = self.conferences.setdefault(conference, {})[call_sid] = FakeParticipant(call_sid, label, **flags)
            return member

    def leave(self, call_sid: str) -> None:
        """The call left every conference it was in; one with end-conference-on-exit ends the conference."""
        with self._lock:
            for name, members in list(self.conferences.items()):
                member = members.pop(call_sid, None)
                if member is not None and member.end_conference_on_exit:
                    del self.conferences[name]

    def conference_sid(self, conference: str) -> str:
        with self._lock:
            for sid, name in self.conference_sids.items():
                if name == conference:
                    return sid
            sid = new_sid("CF")
            self.conference_sids[sid] = conference
            return sid

    def participant(self, conference: str, label: str) -> FakeParticipant | None:
        return next((p for p in self.conferences.get(conference, {}).values() if p.label == label), None)

    def heard_by(self, conference: str, label: str) -> set[str]:
        """The labels of the participants whose voice reaches `label`'s ear, as Twilio mixes a
        conference: nobody hears a muted participant; a coaching one is heard only by the coached call."""
        members = self.conferences.get(conference, {})
        listener = self.participant(conference, label)
        if listener is None:
            return set()
        if listener.hold:  # hears the hold music only
            return set()
        return {p.label for p in members.values() if p.call_sid != listener.call_sid and not p.muted and not p.hold
                and (not p.coaching or p.call_sid_to_coach == listener.call_sid)}

    def _add_participant(self, conference: str, form: dict[str, str]) -> Response:
        if not form.get("To") or not form.get("From"):
            return _error(400, 21201, "'From' and 'To' are required")
        coaching = form.get("Coaching") == "true"
        if coaching and not form.get("CallSidToCoach"):
            return _error(400, 16025, "CallSidToCoach is required when Coaching is true")
        call = self.add_call(new_sid("CA"), to=form["To"], from_=form["From"], status="in-progress")
        call.direction = "outbound-api"
        member = self.join(conference, call.sid, form.get("Label") or call.sid, muted=form.get("Muted") == "true",
                           coaching=coaching, call_sid_to_coach=form.get("CallSidToCoach") or None,
                           end_conference_on_exit=form.get("EndConferenceOnExit") == "true")
        return _json(201, {"account_sid": self.account_sid, "call_sid": call.sid,
                           "conference_sid": self.conference_sid(conference),
                           "label": member.label, "muted": member.muted, "coaching": member.coaching,
                           "call_sid_to_coach": member.call_sid_to_coach, "hold": False, "status": "queued",
                           "end_conference_on_exit": member.end_conference_on_exit})

    def _update_participant(self, conference_sid: str, call_sid: str, form: dict[str, str]) -> Response:
        """Participant update needs the conference's SID (CF...), not its friendly name, as on Twilio."""
        name = self.conference_sids.get(conference_sid)
        member = self.conferences.get(name or "", {}).get(call_sid)
        if member is None:
            return _not_found(f"/{API_VERSION}/Accounts/{self.account_sid}/Conferences/{conference_sid}"
                              f"/Participants/{call_sid}.json")
        with self._lock:
            if "Hold" in form:
                member.hold = form["Hold"] == "true"
            if "Muted" in form:
                member.muted = form["Muted"] == "true"
        return _json(200, {"account_sid": self.account_sid, "call_sid": call_sid, "conference_sid": conference_sid,
                           "label": member.label, "hold": member.hold, "muted": member.muted})

    def _send_message(self, form: dict[str, str]) -> Response:
        if not form.get("To"):
            return _error(400, 21604, "A 'To' phone number is required.")
        if not (form.get("From") or form.get("MessagingServiceSid")):
            return _error(400, 21603, "A 'From' phone number is required.")
        if not form.get("Body") and not form.get("MediaUrl"):
            return _error(400, 21602, "Message body is required.")
        message = {
            "sid": new_sid("SM"), "account_sid": self.account_sid, "api_version": API_VERSION,
            "to": form["To"], "from": form.get("From"), "messaging_service_sid": form.get("MessagingServiceSid"),
            "body": form.get("Body", ""), "status": "queued", "direction": "outbound-api",
            "num_segments": "1", "num_media": "0", "status_callback": form.get("StatusCallback"),
            "error_code": None, "error_message": None, "price": None, "price_unit": "USD",
        }
        with self._lock:
            self.messages.append(message)
        return _json(201, message)

    def _call_json(self, call: FakeCall) -> dict[str, Any]:
        return {
            "sid": call.sid, "account_sid": self.account_sid, "api_version": API_VERSION,
            "to": call.to, "from": call.from_, "status": call.status, "direction": call.direction,
            "uri": f"/{API_VERSION}/Accounts/{self.account_sid}/Calls/{call.sid}.json",
        }


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:  # tests read `requests` instead
        pass


def _json(status: int, body: dict[str, Any]) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")


def _error(status: int, code: int, message: str) -> Response:
    return _json(status, {"code": code, "message": message, "status": status,
                          "more_info": f"https://www.twilio.com/docs/errors/{code}"})


def _not_found(path: str) -> Response:
    return _error(404, 20404, f"The requested resource {path} was not found")


# ---------------------------------------------------------------------------- a caller on Twilio

Post = Callable[[str, dict[str, str], dict[str, str]], tuple[int, str]]


class TwilioCallEmulator:
    """One inbound call, driven the way Twilio drives a call through TwiML.

    `post(path_and_query, form, headers) -> (status, body)` delivers a webhook (e.g. a Flask test
    client); every webhook is signed for `public_url` + path with the auth token.
    """

    def __init__(self, post: Post, *, public_url: str, account_sid: str, auth_token: str,
                 api: FakeTwilioApi | None = None, from_: str = "+8613812345678", to: str = "+861012333",
                 call_sid: str | None = None) -> None:
        self._post = post
        self.public_url = public_url.rstrip("/")
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.sid = call_sid or new_sid("CA")
        self.from_, self.to = from_, to
        self.document: ET.Element | None = None
        self.history: list[str] = []  # every TwiML document received, in order
        self.pushed = 0
        self.api = api
        if api is not None:
            api.add_call(self.sid, to=to, from_=from_, status="ringing")
            api.on_update.append(self._on_rest_update)

    # -- sending webhooks
    def webhook(self, url: str, status: str = "in-progress", **fields: str) -> tuple[int, str]:
        """POST a signed webhook to an absolute URL of the platform; returns (status, body)."""
        params = voice_params(self.sid, self.account_sid, from_=self.from_, to=self.to, status=status, **fields)
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        headers = {HEADER: sign(self.auth_token, self.public_url + path, params)}
        code, body = self._post(path, params, headers)
        if code == 200 and body.lstrip().startswith("<?xml"):
            self._receive(body)
        return code, body

    def start(self) -> ET.Element:
        code, body = self.webhook(self.public_url + PATH_INCOMING, status="ringing")
        if code != 200:
            raise AssertionError(f"incoming call webhook answered {code}: {body}")
        if self.api is not None:
            self.api.calls[self.sid].status = "in-progress"
        return self._doc

    def _receive(self, body: str) -> None:
        self.history.append(body)
        self.document = ET.fromstring(body.encode())
        if self.api is not None:  # a new document takes the call out of any conference, <Conference> into one
            self.api.leave(self.sid)
            conference = self.document.find("Dial/Conference")
            if conference is not None and conference.text:
                self.api.join(conference.text.strip(), self.sid, "caller",
                              end_conference_on_exit=conference.get("endConferenceOnExit") == "true")

    def _on_rest_update(self, call: Any) -> None:
        if call.sid == self.sid and call.twiml:
            self.pushed += 1
            self._receive(call.twiml[-1])

    # -- reading the current document
    @property
    def _doc(self) -> ET.Element:
        if self.document is None:
            raise AssertionError("the call has no TwiML yet")
        return self.document

    def verbs(self) -> list[str]:
        return [el.tag for el in self._doc]

    def said(self) -> list[str]:
        """Texts of every <Say> (including those inside <Gather>) in the current document."""
        return [el.text or "" for el in self._doc.iter("Say")]

    def find(self, tag: str) -> ET.Element | None:
        return next(iter(self._doc.iter(tag)), None)

    def _gather(self, kind: str) -> ET.Element:
        gather = self.find("Gather")
        if gather is None:
            raise AssertionError(f"no <Gather> in {self.verbs()}")
        if kind not in (gather.get("input") or "dtmf").split():
            raise AssertionError(f"<Gather input={gather.get('input')!r}> does not take {kind}")
        return gather

    # -- what the caller does
    def press(self, keys: str) -> tuple[int, str]:
        """Key presses into the current <Gather>, cut as Twilio cuts them (numDigits, finishOnKey)."""
        gather = self._gather("dtmf")
        finish = gather.get("finishOnKey", "#")
        limit = int(gather.get("numDigits") or 0) or None
        digits, finished_on = "", ""
        for key in keys:
            if finish and key in finish:
                finished_on = key
                break
            digits += key
            if limit and len(digits) >= limit:
                break
        return self.webhook(gather.get("action", ""), Digits=digits, FinishedOnKey=finished_on, msg="Gather End")

    def say(self, text: str, confidence: float = 0.9) -> tuple[int, str]:
        gather = self._gather("speech")
        return self.webhook(gather.get("action", ""), SpeechResult=text, Confidence=f"{confidence:.8f}",
                            Language=gather.get("language", ""), msg="Gather End")

    def wait(self) -> tuple[int, str]:
        """Say nothing until the document runs out: the empty Gather result, or the Redirect."""
        gather = self.find("Gather")
        if gather is not None and gather.get("actionOnEmptyResult") == "true":
            return self.webhook(gather.get("action", ""), msg="Gather End")
        redirect = self.find("Redirect")
        if redirect is None or not redirect.text:
            raise AssertionError(f"nothing to wait for in {self.verbs()}")
        return self.webhook(redirect.text)

    def dial_target(self) -> tuple[str, str]:
        """(noun, target) of the current <Dial>: ("Client", "agent-3"), ("Number", "+86..."), ("Sip", ...)."""
        dial = self.find("Dial")
        if dial is None:
            raise AssertionError(f"no <Dial> in {self.verbs()}")
        noun = dial[0]
        if noun.tag == "Client":
            identity = noun.find("Identity")
            return "Client", (identity.text if identity is not None else noun.text) or ""
        return noun.tag, (noun.text or "").strip()

    def dial_ends(self, dial_status: str = "completed", duration: int = 60) -> tuple[int, str]:
        """The dialled leg ended (agent hung up, no answer, busy ...): Twilio requests the Dial action."""
        dial = self.find("Dial")
        if dial is None or not dial.get("action"):
            raise AssertionError(f"no <Dial action> in {self.verbs()}")
        bridged = "true" if dial_status == "completed" else "false"
        return self.webhook(dial.get("action", ""), DialCallStatus=dial_status, DialCallSid=new_sid("CA"),
                            DialCallDuration=str(duration), DialBridged=bridged)

    def hang_up(self, status: str = "completed", duration: int = 120) -> tuple[int, str]:
        """The call ended: Twilio's status callback."""
        if self.api is not None:
            self.api.calls[self.sid].status = status
        return self.webhook(self.public_url + PATH_STATUS, status=status, CallDuration=str(duration),
                            Duration=str(max(1, (duration + 59) // 60)), CallbackSource="call-progress-events",
                            SequenceNumber="0", Timestamp="Tue, 24 Nov 2026 02:00:00 +0000")

    def close(self) -> None:
        if self.api is not None and self._on_rest_update in self.api.on_update:
            self.api.on_update.remove(self._on_rest_update)
