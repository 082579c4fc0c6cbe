"""`X-Twilio-Signature` checks: Twilio signs the full URL it requested plus the sorted POST fields with
HMAC-SHA1 under the account's auth token. We rebuild that URL from `public_url` (the address Twilio
was given), never from the Host header, so a proxy in between cannot make a forged request pass."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from twilio.request_validator import RequestValidator

HEADER = "X-Twilio-Signature"


def public_request_url(public_url: str, path: str, query_string: str | bytes = "") -> str:
    """The URL Twilio requested: public origin (and prefix) + path + the raw query string."""
    if isinstance(query_string, bytes):
        query_string = query_string.decode("latin-1")
    url = public_url.rstrip("/") + path
    return f"{url}?{query_string}" if query_string else url


def is_valid(auth_token: str | None, url: str, params: Mapping[str, Any], signature: str | None) -> bool:
    """True only for a request signed with `auth_token`; unsigned or unconfigured means False."""
    if not auth_token or not signature:
        return False
    return bool(RequestValidator(auth_token).validate(url, params, signature))


def sign(auth_token: str, url: str, params: Mapping[str, Any]) -> str:
    """The signature Twilio would send (used by the emulators and the signing test helpers)."""
    return str(RequestValidator(auth_token).compute_signature(url, params))
