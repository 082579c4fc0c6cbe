"""Signed handoff between deployments: HMAC-SHA256 over timestamp, nonce, method, path and body.

The sender signs with the shared `settings.handoff_secret`; the receiver refuses a stale timestamp
(more than `WINDOW` seconds off) and a nonce it has already seen (kept in the state store for twice
the window), so a captured request cannot be replayed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Any

from core.errors import Refusal

WINDOW = 300
HEADER_TS, HEADER_NONCE, HEADER_SIG = "X-Hotline-Timestamp", "X-Hotline-Nonce", "X-Hotline-Signature"
SIP_HEADER = "X-Hotline-Handoff"
PATH = "/handoff/v1/calls"


class HandoffError(Refusal):
    """A handoff refused or failed; `code` is stable (bad_signature, replay, stale, invalid, remote)."""

    kind = "conflict"

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code=code)


def canonical(ts: str, nonce: str, method: str, path: str, body: bytes) -> bytes:
    return "\n".join([ts, nonce, method.upper(), path, hashlib.sha256(body).hexdigest()]).encode()


def sign(secret: str, ts: str, nonce: str, method: str, path: str, body: bytes) -> str:
    return hmac.new(secret.encode(), canonical(ts, nonce, method, path, body), hashlib.sha256).hexdigest()


def signed_headers(secret: str, now: float, method: str, path: str, body: bytes) -> dict[str, str]:
    ts, nonce = str(int(now)), secrets.token_hex(16)
    return {HEADER_TS: ts, HEADER_NONCE: nonce, HEADER_SIG: sign(secret, ts, nonce, method, path, body),
            "Content-Type": "application/json"}


def verify(secret: str, headers: Any, method: str, path: str, body: bytes, now: float,
           remember_nonce: Any) -> None:
    """Raise HandoffError unless the request is signed, fresh and not seen before.
    `remember_nonce(nonce, ttl) -> bool` stores the nonce and says whether it was new."""
    ts, nonce, sig = headers.get(HEADER_TS), headers.get(HEADER_NONCE), headers.get(HEADER_SIG)
    if not (ts and nonce and sig) or not ts.isdigit() or len(nonce) > 64:
        raise HandoffError("bad_signature", "missing or malformed signature headers")
    if not hmac.compare_digest(sign(secret, ts, nonce, method, path, body), sig):
        raise HandoffError("bad_signature", "signature does not match")
    if abs(now - int(ts)) > WINDOW:
        raise HandoffError("stale", "timestamp outside the accepted window")
    if not remember_nonce(nonce, 2 * WINDOW):
        raise HandoffError("replay", "nonce already used")


@dataclass(frozen=True)
class HandoffTicket:
    """What the receiving deployment answers: the token travels with the call."""

    token: str
    code: str  # digits, for a dialled suffix: trunk/12333*<code>
    center_code: str
    queue_id: str | None
    expires_at: str

    @property
    def sip_header(self) -> str:
        return f"{SIP_HEADER}: {self.token}"

    def to_dict(self) -> dict:
        return {"token": self.token, "code": self.code, "center_code": self.center_code,
                "queue_id": self.queue_id, "expires_at": self.expires_at, "sip_header": self.sip_header}


def encode(payload: dict) -> bytes:
    return json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()


REQUIRED = ("call_id", "from_center", "to_center")
ALLOWED_CONTEXT = ("caller_masked", "caller", "ivr_path", "topic", "verified", "verified_id_masked",
                   "agent_notes", "inputs", "routing", "routing_reasons", "language", "kb_answer", "flow_version",
                   "province", "waited_seconds", "entry")


def validate_payload(raw: Any) -> dict:
    if not isinstance(raw, dict):
        raise HandoffError("invalid", "body must be a JSON object")
    for key in REQUIRED:
        if not isinstance(raw.get(key), str) or not raw[key]:
            raise HandoffError("invalid", f"missing field {key}")
    context = raw.get("context") or {}
    if not isinstance(context, dict):
        raise HandoffError("invalid", "context must be an object")
    return {**{k: raw[k] for k in REQUIRED}, "context": {k: context[k] for k in ALLOWED_CONTEXT if k in context}}
