"""The signed cross-deployment handoff API (HMAC, timestamp and nonce; see switch/handoff.py).

Another deployment POSTs a call's context before transferring it over a trunk; this answers the
token (and an 8-digit code for a dialled suffix) that the telephony side carries with the call.
Machine-to-machine: no session, no CSRF token; the signature is the authentication.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Flask, jsonify, request

from switch.handoff import PATH, HandoffError
from web.extensions import platform_of

bp = Blueprint("handoff", __name__)

_STATUS = {"bad_signature": 401, "stale": 401, "replay": 409, "invalid": 400}


@bp.post(PATH)
def receive() -> Any:
    platform = platform_of()
    body = request.get_data(cache=False)
    try:
        platform.switch.verify_handoff_request(request.headers, "POST", request.path, body)
        try:
            payload = json.loads(body)
        except (ValueError, RecursionError):
            raise HandoffError("invalid", "body is not JSON (or nested too deeply)") from None
        ticket = platform.switch.receive_handoff(payload)
    except HandoffError as exc:
        return jsonify(error=exc.code, message=exc.message), _STATUS.get(exc.code, 400)
    return jsonify(ticket.to_dict()), 201


def init_app(app: Flask) -> None:
    csrf = app.extensions.get("csrf")
    if csrf is not None:
        csrf.exempt(bp)
