"""Verification state in the shared store (works across nodes with Redis): failed-attempt counters
and lockouts per ID number, the verified identity of a call/SMS session, pending SMS codes.

Keys: records:fail:<id>, records:lock:<id>, records:otpsend:<id>, records:session:<sid>,
records:otp:<sid>, records:sessfail:<sid>. All carry TTLs, so a verification expires with its session even if
`end_session` is never called.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass

from core.state import StateStore


@dataclass(frozen=True)
class Limits:
    max_attempts: int = 5
    lockout_seconds: float = 1800.0
    session_ttl_seconds: float = 1800.0
    otp_ttl_seconds: float = 300.0
    otp_sends_per_window: int = 3
    otp_send_window_seconds: float = 600.0
    session_max_failures: int = 10  # across IDs: stops one call from guessing many people's passwords


class VerificationState:
    def __init__(self, store: StateStore, limits: Limits, secret: str) -> None:
        self.store = store
        self.limits = limits
        self._secret = secret.encode()

    # lockout -------------------------------------------------------------------------------
    def locked_minutes(self, id_number: str) -> int | None:
        """Minutes (rounded up) left on a lockout of this ID, or None when not locked."""
        left = self.store.ttl(f"records:lock:{id_number}")
        if left is None and self.store.get(f"records:lock:{id_number}") is None:
            return None
        return max(1, math.ceil((left or self.limits.lockout_seconds) / 60))

    def fail(self, id_number: str) -> int:
        """Count a failed attempt; returns attempts left (0 means the ID is now locked)."""
        count = self.store.incr(f"records:fail:{id_number}", ttl=self.limits.lockout_seconds)
        left = max(self.limits.max_attempts - count, 0)
        if left == 0:
            self.store.set(f"records:lock:{id_number}", "1", ttl=self.limits.lockout_seconds)
            self.store.delete(f"records:fail:{id_number}")
        return left

    def session_fail(self, session_id: str) -> None:
        self.store.incr(f"records:sessfail:{session_id}", ttl=self.limits.session_ttl_seconds)

    def session_blocked(self, session_id: str) -> bool:
        return int(self.store.get(f"records:sessfail:{session_id}") or 0) >= self.limits.session_max_failures

    def attempts_left(self, id_number: str) -> int:
        count = int(self.store.get(f"records:fail:{id_number}") or 0)
        return max(self.limits.max_attempts - count, 0)

    def clear_failures(self, id_number: str) -> None:
        self.store.delete(f"records:fail:{id_number}")

    def unlock(self, id_number: str) -> None:
        self.store.delete(f"records:lock:{id_number}", f"records:fail:{id_number}")

    # sessions ------------------------------------------------------------------------------
    def mark_verified(self, session_id: str, id_number: str, method: str, province: str, at: float) -> None:
        key = f"records:session:{session_id}"
        self.store.hset(key, {"id_number": id_number, "method": method, "province": province, "at": str(at)})
        self.store.expire(key, self.limits.session_ttl_seconds)

    def session(self, session_id: str) -> dict[str, str]:
        return self.store.hgetall(f"records:session:{session_id}")

    def end(self, session_id: str) -> None:
        self.store.delete(f"records:session:{session_id}", f"records:otp:{session_id}")

    # one-time SMS codes --------------------------------------------------------------------
    def _digest(self, session_id: str, id_number: str, code: str) -> str:
        return hmac.new(self._secret, f"{session_id}|{id_number}|{code}".encode(), hashlib.sha256).hexdigest()

    def may_send_otp(self, id_number: str) -> bool:
        sent = self.store.incr(f"records:otpsend:{id_number}", ttl=self.limits.otp_send_window_seconds)
        return sent <= self.limits.otp_sends_per_window

    def new_otp(self, session_id: str, id_number: str, province: str) -> str:
        code = f"{secrets.randbelow(10**6):06d}"
        key = f"records:otp:{session_id}"
        self.store.delete(key)
        self.store.hset(key, {"id_number": id_number, "province": province,
                              "digest": self._digest(session_id, id_number, code)})
        self.store.expire(key, self.limits.otp_ttl_seconds)
        return code

    def check_otp(self, session_id: str, id_number: str, code: str) -> str | bool | None:
        """The insured province when the code is right, False when wrong, None when no code is
        pending for this session and ID (expired or never sent). A right code is used up."""
        pending = self.store.hgetall(f"records:otp:{session_id}")
        if not pending or pending.get("id_number") != id_number:
            return None
        if not hmac.compare_digest(pending["digest"], self._digest(session_id, id_number, code.strip())):
            return False
        self.store.delete(f"records:otp:{session_id}")
        return pending.get("province", "")
