"""Short-lived signed links to a recording: `<id>.<user>.<purpose>.<expiry>.<hmac>`.

A link is bound to the console user it was issued to, so a copied link is useless to anyone else,
and it expires after `link_ttl_s` (5 minutes by default)."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

PURPOSES = ("listen", "export")


@dataclass(frozen=True)
class Link:
    recording_id: int
    user_id: int
    purpose: str
    expires: int


def _mac(secret: str, body: str) -> str:
    return hmac.new(secret.encode(), b"recording-link:" + body.encode(), hashlib.sha256).hexdigest()[:32]


def sign(secret: str, recording_id: int, user_id: int, purpose: str, expires: int) -> str:
    if purpose not in PURPOSES:
        raise ValueError(f"purpose must be one of {PURPOSES}")
    body = f"{recording_id}.{user_id}.{purpose}.{expires}"
    return f"{body}.{_mac(secret, body)}"


def verify(secret: str, token: str, now: float) -> Link | None:
    """The link if the token is genuine and unexpired, else None."""
    parts = token.split(".")
    if len(parts) != 5:
        return None
    body, given = ".".join(parts[:4]), parts[4]
    if not hmac.compare_digest(_mac(secret, body), given):
        return None
    try:
        link = Link(int(parts[0]), int(parts[1]), parts[2], int(parts[3]))
    except ValueError:
        return None
    if link.purpose not in PURPOSES or link.expires < now:
        return None
    return link
