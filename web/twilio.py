"""Twilio voice webhooks and the browser agents' Voice access token.

The views are thin: each checks `X-Twilio-Signature` against the public URL and hands the form to
`ivr.twilio.voice.TwilioVoice`, which returns TwiML. SMS webhooks and SMS status callbacks are in
`web/webhooks.py` (the SMS pipeline); this blueprint handles voice only.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, jsonify, request, send_from_directory
from flask_login import current_user
from twilio.twiml.voice_response import VoiceResponse

from agents.endpoints import for_channel
from core.masking import mask_phone
from core.phone import try_parse as parse_phone
from ivr.twilio import signature
from ivr.twilio.config import TwilioConfig
from ivr.twilio.recording import RecordingControl, TwilioRecordings
from ivr.twilio.tokens import TokensNotConfigured, agent_identity, voice_token
from ivr.twilio.voice import TwilioVoice, dial_outcome
from web.extensions import csrf, platform_of
from web.permissions import public, requires

log = logging.getLogger(__name__)

bp = Blueprint("twilio", __name__, url_prefix="/twilio")
_SAFE_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
csrf.exempt(bp)  # Twilio cannot send a CSRF token; the signature check stands in for it


def init_app(app: Flask) -> None:
    platform = platform_of(app)
    config = TwilioConfig.from_settings(platform.settings)
    if config.tts == "platform":
        import dataclasses

        from ivr.speech.twilio import player

        config = dataclasses.replace(config, player=player(platform))
    voice = app.extensions["twilio_voice"] = TwilioVoice(platform, config)
    app.extensions["twilio_recordings"] = TwilioRecordings(platform, config)
    if config.voice_configured:
        app.extensions["twilio_recording_control"] = RecordingControl(platform, voice.calls)


def _voice() -> TwilioVoice:
    return current_app.extensions["twilio_voice"]  # type: ignore[no-any-return]


def _twiml(document: str) -> Response:
    return Response(document, mimetype="text/xml")


def signed(view: Callable[..., Any]) -> Callable[..., Any]:
    """Refuse (403) any request not signed by Twilio with our auth token for our public URL."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        config = _voice().config
        url = signature.public_request_url(config.public_url, request.path, request.query_string)
        given = request.headers.get(signature.HEADER)
        if not signature.is_valid(config.auth_token, url, request.form, given):
            reason = ("no auth token configured" if not config.auth_token
                      else "unsigned" if not given else "bad signature")
            log.warning("twilio webhook refused (%s): %s %s call=%s from=%s remote=%s", reason, request.method,
                        request.path, (request.form.get("CallSid") or "-")[:40],
                        mask_phone(request.form.get("From")) or "-", request.remote_addr)
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def _step_number() -> int:
    try:
        return int(request.args.get("n", ""))
    except ValueError:
        abort(400, description="n must be the step number")


def _require_sid() -> None:
    if not request.form.get("CallSid"):
        abort(400, description="CallSid is required")


@bp.post("/voice")
@public
@signed
def voice_incoming():  # type: ignore[no-untyped-def]
    """Twilio voice webhook: a new call enters the IVR."""
    _require_sid()
    return _twiml(_voice().incoming(request.form))


@bp.post("/voice/handoff")
@public
@signed
def voice_handoff_code():  # type: ignore[no-untyped-def]
    """Twilio voice webhook: the keys a call on a handoff number brought (the handoff code), or none."""
    _require_sid()
    return _twiml(_voice().incoming(request.form, keyed_handoff=True))


@bp.post("/voice/step")
@public
@signed
def voice_step():  # type: ignore[no-untyped-def]
    """Twilio voice webhook: the outcome of the previous step (keys, speech, timeout, hold tick)."""
    _require_sid()
    return _twiml(_voice().step(request.form, _step_number()))


@bp.post("/voice/dial")
@public
@signed
def voice_dial():  # type: ignore[no-untyped-def]
    """Twilio voice webhook: the agent leg of a connected call ended."""
    _require_sid()
    return _twiml(_voice().step(dial_outcome(request.form, request.args.get("agent")), _step_number()))


@bp.post("/voice/conference/agent")
@public
@signed
def voice_conference_agent():  # type: ignore[no-untyped-def]
    """Twilio status callback of an agent's conference leg (TWILIO_AGENT_LEG=conference)."""
    _require_sid()
    _voice().agent_leg_status(request.form, request.args.get("call_id", ""), _step_number())
    return Response(status=204)


@bp.post("/voice/status")
@public
@signed
def voice_status():  # type: ignore[no-untyped-def]
    """Twilio call status callback: completed, busy, no-answer, failed, canceled."""
    _require_sid()
    _voice().status(request.form)
    return Response(status=204)


@bp.post("/voice/callback")
@public
@signed
def voice_callback():  # type: ignore[no-untyped-def]
    """Twilio voice webhook: the citizen answered a callback; the agent is bridged."""
    _require_sid()
    return _twiml(_voice().callback_answered(request.form, request.args.get("call_id", "")))


@bp.post("/voice/callback/status")
@public
@signed
def voice_callback_status():  # type: ignore[no-untyped-def]
    """Twilio status callback of a callback: answered and over, or no answer / busy / failed."""
    _require_sid()
    _voice().callback_status(request.form, request.args.get("call_id", ""))
    return Response(status=204)


@bp.post("/recording")
@public
@signed
def recording_status():  # type: ignore[no-untyped-def]
    """Twilio recording-status callback: fetch the agent leg's (or whole call's) recording and store it."""
    _require_sid()
    try:
        rec_id = current_app.extensions["twilio_recordings"].status(request.form, request.args.get("agent"),
                                                                    request.args.get("rec"), request.args.get("kind"))
    except ValueError as exc:
        abort(400, description=str(exc))
    except Exception:
        log.exception("twilio recording %s could not be stored", (request.form.get("RecordingSid") or "-")[:40])
        abort(503)
    return Response(status=204 if rec_id is None else 201)


@bp.post("/voice/outbound")
@public
@signed
def voice_outbound():  # type: ignore[no-untyped-def]
    """TwiML App voice URL: a browser agent calls a citizen back (`To` is a Chinese number)."""
    config = _voice().config
    response = VoiceResponse()
    caller = request.form.get("From") or request.form.get("Caller") or ""
    info = parse_phone(request.form.get("To"))
    if not caller.startswith("client:" + config.client_prefix) or info is None or not config.caller_id:
        log.warning("twilio outbound call refused: from=%s to=%s", caller[:40], mask_phone(request.form.get("To")))
        response.say("无法完成呼叫。", voice=config.voice, language=config.say_language)
        response.hangup()
        return _twiml(str(response))
    response.dial(caller_id=config.caller_id).number(info.e164)
    return _twiml(str(response))


@bp.get("/audio/<lang>/<name>.wav")
@public
def prompt_audio(lang: str, name: str):  # type: ignore[no-untyped-def]
    """Recorded prompts for Twilio's <Play> (the hotline's own announcements, no personal data)."""
    if not (_SAFE_NAME.fullmatch(lang) and _SAFE_NAME.fullmatch(name)):
        abort(404)
    folder = Path(_voice().platform.settings.data_dir) / "prompts" / lang
    response = send_from_directory(folder, f"{name}.wav", mimetype="audio/wav", max_age=3600)
    return response


@bp.get("/token")
@requires("agent", summary="A Twilio Voice access token for answering calls in the browser")
def voice_token_view():  # type: ignore[no-untyped-def]
    """A Twilio Voice access token for answering calls in the browser."""
    voice = _voice()
    try:
        profile = voice.platform.agents.agent_for_user(int(current_user.id))
    except ModuleNotFoundError:  # a node without the ACD
        profile = None
    if profile is None:
        return jsonify(error="this user has no agent profile in the ACD"), 403
    identity = agent_identity(voice.config, profile.id,
                              for_channel("twilio", profile.endpoint, profile.endpoints))
    try:
        token = voice_token(voice.config, identity)
    except TokensNotConfigured as exc:
        return jsonify(error=str(exc)), 503
    voice.platform.audit.record(actor=f"user:{current_user.id}", channel="console", action="twilio.token",
                                outcome="ok", detail={"identity": identity})
    response = jsonify(token=token, identity=identity, ttl=voice.config.token_ttl)
    response.headers["Cache-Control"] = "no-store"
    return response
