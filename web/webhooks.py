"""SMS webhooks: Kannel smsbox get-url (inbound) and delivery reports, Twilio SMS inbound and status
callbacks. Thin views: each authenticates the caller and hands a received message to the conversation
channel (`platform.smschat`), a delivery report to the gateway (`platform.sms`).

Twilio requests must carry a valid `X-Twilio-Signature` (RequestValidator, our auth token, our public
URL); anything else gets 403 and a log line. Kannel cannot sign: its URLs always carry a shared token
(HOTLINE_SMS_WEBHOOK_TOKEN, or the one generated into the secrets dir); HOTLINE_SMS_KANNEL_ALLOW
may further restrict the peers. A receipt applies only to a message handed to that provider.
"""

from __future__ import annotations

import functools
import hmac
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from flask import Blueprint, Response, abort, request
from twilio.request_validator import RequestValidator

from core.masking import mask_phone
from core.settings import sms_webhook_token
from sms.config import SmsSettings
from web.extensions import csrf, platform_of
from web.permissions import public

log = logging.getLogger(__name__)

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
csrf.exempt(bp)  # gateways cannot send CSRF tokens; signatures / tokens stand in for them

LOOPBACK = ("127.0.0.1", "::1")
TWILIO_REPLAY_SECONDS = 7 * 24 * 3600.0  # how long a MessageSid is remembered
TWILIO_STATES = {"delivered": "delivered", "undelivered": "failed", "failed": "failed", "sent": "smsc_accepted"}


def _kannel_allowed() -> bool:
    token = sms_webhook_token(platform_of().settings.data_dir)
    if not hmac.compare_digest(request.args.get("token", "").encode(), token.encode()):
        return False
    allowed = SmsSettings.of(platform_of().settings).kannel_allow
    return not allowed or (request.remote_addr or "") in [a.strip() for a in allowed.split(",")]


def kannel_only(view: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not _kannel_allowed():
            log.warning("kannel webhook refused: %s from %s", request.path, request.remote_addr)
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def twilio_signed(view: Callable[..., Any]) -> Callable[..., Any]:
    """403 for any request not signed by Twilio with our auth token for our public URL."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        settings = platform_of().settings
        url = settings.public_url.rstrip("/") + request.path
        if request.query_string:
            url += "?" + request.query_string.decode("latin-1")
        given = request.headers.get("X-Twilio-Signature", "")
        token = settings.twilio_auth_token
        if not token or not given or not RequestValidator(token).validate(url, request.form.to_dict(), given):
            reason = "no auth token configured" if not token else "unsigned" if not given else "bad signature"
            log.warning("twilio sms webhook refused (%s): %s from=%s remote=%s", reason, request.path,
                        mask_phone(request.form.get("From")) or "-", request.remote_addr)
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def _kannel_text() -> str:
    """The message text from get-url: `text=%a` arrives as UTF-8; with `coding=%c&charset=%C` and
    `text=%b` the raw bytes are decoded here (UCS-2 messages come as UTF-16BE)."""
    raw = dict(parse_qsl(request.query_string.decode("latin-1"), keep_blank_values=True, encoding="latin-1"))
    data = raw.get("text", "").encode("latin-1")
    coding, charset = raw.get("coding", ""), raw.get("charset", "").upper()
    if coding == "2" or charset in ("UTF-16BE", "UCS-2", "UCS-2BE"):
        return data.decode("utf-16-be", errors="replace")
    return data.decode("utf-8", errors="replace")


def _kannel_time() -> datetime | None:
    ts = request.args.get("ts", "")
    try:
        return datetime.fromtimestamp(int(ts), UTC) if ts.isdigit() and len(ts) <= 12 else None
    except (OverflowError, OSError, ValueError):  # a huge or odd SMSC time is not ours to trust
        return None


@bp.route("/kannel/inbound", methods=["GET", "POST"])
@public
@kannel_only
def kannel_inbound() -> Response:
    """Kannel smsbox get-url: an inbound SMS (the reply goes through the outbox)."""
    sender = request.args.get("from", "")
    if not sender:
        return Response("missing from", status=400, mimetype="text/plain")
    received = _kannel_time()
    now = platform_of().clock.now()
    if received is None or abs((now - received).total_seconds()) > 3600:
        received = now  # an SMSC clock far off is not our reply time
    platform_of().smschat.handle_inbound(sender, _kannel_text(), provider="kannel", received_at=received)
    return Response("", status=200, mimetype="text/plain")


@bp.route("/kannel/dlr", methods=["GET", "POST"])
@public
@kannel_only
def kannel_dlr() -> Response:
    """Kannel delivery report: `id` is ours (hl-<outbox id>), `type` the DLR bit."""
    from sms.outbox import DLR_STATUS

    ident = request.args.get("id", "")
    kind = request.args.get("type", "")
    if not ident.startswith("hl-") or not ident[3:].isdigit() or not kind.isdigit():
        return Response("bad report", status=400, mimetype="text/plain")
    state = DLR_STATUS.get(int(kind), f"type_{kind}")
    applied = platform_of().sms.receipt(state=state, message_id=int(ident[3:]), detail=request.args.get("answer", ""),
                                        provider="kannel")
    return Response("ok" if applied else "unknown message", status=200 if applied else 404, mimetype="text/plain")


@bp.route("/twilio/sms", methods=["POST"])
@public
@twilio_signed
def twilio_inbound() -> Response:
    """Twilio inbound SMS webhook (signed); answers with empty TwiML, the reply goes via the outbox."""
    sender = request.form.get("From", "")
    sid = (request.form.get("MessageSid") or request.form.get("SmsSid") or "").strip()[:64]
    platform = platform_of()
    # A replayed or retried webhook (same MessageSid) is answered but not processed again.
    if sid and not platform.store.set(f"sms:twilio-seen:{sid}", "1", ttl=TWILIO_REPLAY_SECONDS, nx=True):
        log.info("twilio sms webhook replayed: %s", sid)
        sender = ""
    if sender:
        platform.smschat.handle_inbound(sender, request.form.get("Body", ""), provider="twilio")
    return Response('<?xml version="1.0" encoding="UTF-8"?><Response></Response>', mimetype="text/xml")


@bp.route("/twilio/sms/status", methods=["POST"])
@public
@twilio_signed
def twilio_status() -> Response:
    """Twilio message status callback (signed)."""
    sid = request.form.get("MessageSid", "")
    state = TWILIO_STATES.get(request.form.get("MessageStatus", ""))
    if sid and state:
        platform_of().sms.receipt(state=state, provider_message_id=sid, detail=request.form.get("ErrorCode", ""),
                                  provider="twilio")
    return Response("", status=204)
