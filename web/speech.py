"""Rendered prompts over HTTP for the voice channels.

`GET /speech/<expires>/<signature>/<key>.<fmt>` serves a cached rendering to Asterisk's
res_http_media_cache (or Twilio's <Play>): the signature (HMAC, secret in the data dir) must be valid
and unexpired, and the client must be one of `HOTLINE_SPEECH_ALLOW` (default: loopback) or a logged-in
console user. Anything else gets 403. `POST /speech/preview` renders a text for the console's test
page and the simulator (logged-in users only) and answers with the signed URL.
"""

from __future__ import annotations

import logging

from flask import Blueprint, abort, current_app, jsonify, request, send_file
from flask_login import current_user

from ivr.speech import SpeechService, SpeechUnavailable, speech_of
from web.extensions import platform_of
from web.permissions import public, requires

log = logging.getLogger(__name__)

bp = Blueprint("speech", __name__, url_prefix="/speech")
MIMETYPES = {"wav": "audio/wav", "sln": "audio/x-sln"}
MAX_PREVIEW_CHARS = 2000


def _speech() -> SpeechService:
    return speech_of(platform_of(current_app))


@bp.get("/<int:expires>/<signature>/<key>.<fmt>")
@public
def audio(expires: int, signature: str, key: str, fmt: str):  # type: ignore[no-untyped-def]
    """Rendered prompt audio for Asterisk / Twilio (signed, expiring URL)."""
    speech = _speech()
    if fmt not in MIMETYPES:
        abort(404)
    if not (speech.config.allows(request.remote_addr) or current_user.is_authenticated):
        log.warning("speech: refused audio to %s (not in HOTLINE_SPEECH_ALLOW)", request.remote_addr)
        abort(403)
    if not speech.signer.verify(key, fmt, expires, signature):
        abort(403)
    path = speech.file_for(key, fmt, expires, signature)
    if path is None:
        abort(404)
    response = send_file(path, mimetype=MIMETYPES[fmt], conditional=True, etag=True,
                         max_age=max(0, expires - int(speech.signer.now())))
    return response


@bp.get("/p/<int:expires>/<signature>/<key>.<fmt>")
@public
def public_audio(expires: int, signature: str, key: str, fmt: str):  # type: ignore[no-untyped-def]
    """Rendered prompt audio for Twilio's <Play> (any host; signed apart, expiring)."""
    speech = _speech()
    if fmt not in MIMETYPES or not speech.signer.verify(key, fmt, expires, signature, public=True):
        abort(403)
    path = speech.file_for(key, fmt, expires, signature, public=True)
    if path is None:
        abort(404)
    return send_file(path, mimetype=MIMETYPES[fmt], conditional=True, etag=True,
                     max_age=max(0, expires - int(speech.signer.now())))


@bp.post("/preview")
@requires("agent", "supervisor", "editor", "reviewer", "admin",
          summary="Render a text with the speech layer; returns a signed audio URL")
def preview():  # type: ignore[no-untyped-def]
    payload = request.get_json(silent=True) or request.form
    text = str(payload.get("text") or "").strip()
    language = str(payload.get("language") or "zh")
    if not text or len(text) > MAX_PREVIEW_CHARS or language not in ("zh", "en"):
        return jsonify(error=f"text (1-{MAX_PREVIEW_CHARS} chars) and language zh|en required"), 400
    speech = _speech()
    try:
        rendered = speech.render(text, language)
    except SpeechUnavailable as exc:
        return jsonify(error=f"no TTS engine could render the text: {exc}"), 503
    from ivr.speech.normalize import speakable

    return jsonify(url=speech.signer.path(rendered.key, rendered.fmt), engine=rendered.engine,
                   spoken=speakable(text, rendered.language))
