"""Verification state in the shared store (works across nodes with Redis): failed-attempt counters
and lockouts per ID number, the verified identity of a call/SMS session, pending SMS codes.

Keys name an ID number or a requesting phone number only by a keyed hash (`<h>`), never in clear:
records:fail:<h>, records:lock:<h> (service-password failures and the lockout they cause),
records:otpsend:<h>, records:otpsend:foreign:<h>, records:otpsend:req:<h> (code sends per ID, per ID to
strangers, per requester), records:otpfail:req:<h>, records:otplock:req:<h>, records:otpfail:id:<h>,
records:otplock:id:<h> (wrong SMS codes, counted per requester and per ID apart from the password
lockout, so a stranger's wrong codes never lock the citizen's password path), records:session:<sid>,
records:otp:<sid>, records:sessfail:<sid>. All carry TTLs, so a verification expires with its session
even if `end_session` is never called.
"""

from __future__ import annotations

import base64
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
    otp_id_max_failures: int = 10  # wrong codes for one ID from numbers other than its registered mobile
    otp_sends_per_requester: int = 5  # codes one requesting number may trigger per hour, across IDs
    otp_foreign_sends_per_day: int = 3  # codes sent to a citizen because a stranger asked


class VerificationState:
    def __init__(self, store: StateStore, limits: Limits, secret: str) -> None:
        self.store = store
        self.limits = limits
        self._secret = secret.encode()

    # values that must name a person (the verified ID, the requester of a code) are sealed:
    # HMAC-SHA256 in counter mode as the keystream, with a random nonce, and an HMAC tag
    def _stream(self, nonce: bytes, length: int) -> bytes:
        key = hmac.new(self._secret, b"records-seal-enc", hashlib.sha256).digest()
        blocks = (hmac.new(key, nonce + i.to_bytes(4, "big"), hashlib.sha256).digest()
                  for i in range((length + 31) // 32))
        return b"".join(blocks)[:length]

    def _tag(self, data: bytes) -> bytes:
        key = hmac.new(self._secret, b"records-seal-mac", hashlib.sha256).digest()
        return hmac.new(key, data, hashlib.sha256).digest()[:16]

    def seal(self, value: str) -> str:
        plain = value.encode()
        nonce = secrets.token_bytes(12)
        body = nonce + bytes(a ^ b for a, b in zip(plain, self._stream(nonce, len(plain)), strict=True))
        return base64.urlsafe_b64encode(body + self._tag(body)).decode()

    def unseal(self, sealed: str | None) -> str:
        """The sealed value, or "" when missing or tampered with."""
        try:
            raw = base64.urlsafe_b64decode((sealed or "").encode())
        except (ValueError, TypeError):
            return ""
        if len(raw) < 28 or not hmac.compare_digest(raw[-16:], self._tag(raw[:-16])):
            return ""
        nonce, data = raw[:12], raw[12:-16]
        return bytes(a ^ b for a, b in zip(data, self._stream(nonce, len(data)), strict=True)).decode()

    def key(self, value: str) -> str:
        """The keyed hash that stands for an ID or phone number in store keys."""
        return hmac.new(self._secret, b"records-key|" + value.upper().encode(), hashlib.sha256).hexdigest()[:32]

    # lockout -------------------------------------------------------------------------------
    def _minutes_left(self, key: str) -> int | None:
        left = self.store.ttl(key)
        if left is None and self.store.get(key) is None:
            return None
        return max(1, math.ceil((left or self.limits.lockout_seconds) / 60))

    def locked_minutes(self, id_number: str) -> int | None:
        """Minutes (rounded up) left on a lockout of this ID, or None when not locked."""
        return self._minutes_left(f"records:lock:{self.key(id_number)}")

    def fail(self, id_number: str) -> int:
        """Count a failed password attempt; returns attempts left (0 means the ID is now locked)."""
        k = self.key(id_number)
        count = self.store.incr(f"records:fail:{k}", ttl=self.limits.lockout_seconds)
        left = max(self.limits.max_attempts - count, 0)
        if left == 0:
            self.store.set(f"records:lock:{k}", "1", ttl=self.limits.lockout_seconds)
            self.store.delete(f"records:fail:{k}")
        return left

    # wrong SMS codes: per requester and per ID, apart from the password lockout ----------------
    def otp_locked_minutes(self, id_number: str, requester: str | None) -> int | None:
        if requester and (m := self._minutes_left(f"records:otplock:req:{self.key(requester)}")) is not None:
            return m
        return self._minutes_left(f"records:otplock:id:{self.key(id_number)}")

    def otp_fail(self, id_number: str, requester: str, own: bool) -> int:
        """Count a wrong code; returns attempts left for this requester (0: locked out of codes).
        Wrong codes from strangers also count against the ID, under a higher bar, so many numbers
        cannot guess codes for one person; those from the registered mobile do not."""
        r = self.key(requester)
        count = self.store.incr(f"records:otpfail:req:{r}", ttl=self.limits.lockout_seconds)
        left = max(self.limits.max_attempts - count, 0)
        if left == 0:
            self.store.set(f"records:otplock:req:{r}", "1", ttl=self.limits.lockout_seconds)
            self.store.delete(f"records:otpfail:req:{r}")
        if not own:
            k = self.key(id_number)
            if self.store.incr(f"records:otpfail:id:{k}", ttl=self.limits.lockout_seconds) \
                    >= self.limits.otp_id_max_failures:
                self.store.set(f"records:otplock:id:{k}", "1", ttl=self.limits.lockout_seconds)
                self.store.delete(f"records:otpfail:id:{k}")
                left = 0
        return left

    def clear_otp_failures(self, requester: str) -> None:
        self.store.delete(f"records:otpfail:req:{self.key(requester)}")

    def session_fail(self, session_id: str) -> None:
        self.store.incr(f"records:sessfail:{session_id}", ttl=self.limits.session_ttl_seconds)

    def session_blocked(self, session_id: str) -> bool:
        return int(self.store.get(f"records:sessfail:{session_id}") or 0) >= self.limits.session_max_failures

    def attempts_left(self, id_number: str) -> int:
        count = int(self.store.get(f"records:fail:{self.key(id_number)}") or 0)
        return max(self.limits.max_attempts - count, 0)

    def otp_attempts_left(self, requester: str) -> int:
        count = int(self.store.get(f"records:otpfail:req:{self.key(requester)}") or 0)
        return max(self.limits.max_attempts - count, 0)

    def clear_failures(self, id_number: str) -> None:
        self.store.delete(f"records:fail:{self.key(id_number)}")

    def unlock(self, id_number: str) -> None:
        k = self.key(id_number)
        self.store.delete(f"records:lock:{k}", f"records:fail:{k}", f"records:otplock:id:{k}",
                          f"records:otpfail:id:{k}")

    # sessions ------------------------------------------------------------------------------
    def mark_verified(self, session_id: str, id_number: str, method: str, province: str, at: float) -> None:
        key = f"records:session:{session_id}"
        self.store.hset(key, {"id_sealed": self.seal(id_number), "method": method, "province": province,
                              "at": str(at)})
        self.store.expire(key, self.limits.session_ttl_seconds)

    def session(self, session_id: str) -> dict[str, str]:
        """The verified session (the ID number unsealed into `id_number`), or {}."""
        raw = self.store.hgetall(f"records:session:{session_id}")
        if not raw:
            return {}
        out = {k: v for k, v in raw.items() if k != "id_sealed"}
        out["id_number"] = self.unseal(raw.get("id_sealed"))
        return out

    def end(self, session_id: str) -> None:
        self.store.delete(f"records:session:{session_id}", f"records:otp:{session_id}")

    # one-time SMS codes --------------------------------------------------------------------
    def _digest(self, session_id: str, id_number: str, code: str) -> str:
        return hmac.new(self._secret, f"{session_id}|{id_number}|{code}".encode(), hashlib.sha256).hexdigest()

    def may_send_otp(self, id_number: str, requester: str | None = None, own: bool = True) -> bool:
        """Throttle code sends per ID (a few per window), per requesting number (across IDs) and,
        when the requester is not the registered mobile, per ID per day."""
        k = self.key(id_number)
        sent = self.store.incr(f"records:otpsend:{k}", ttl=self.limits.otp_send_window_seconds)
        if sent > self.limits.otp_sends_per_window:
            return False
        if requester:
            by_req = self.store.incr(f"records:otpsend:req:{self.key(requester)}", ttl=3600.0)
            if by_req > self.limits.otp_sends_per_requester:
                return False
        if not own:
            foreign = self.store.incr(f"records:otpsend:foreign:{k}", ttl=86400.0)
            if foreign > self.limits.otp_foreign_sends_per_day:
                return False
        return True

    def new_otp(self, session_id: str, id_number: str, province: str, *, requester: str | None = None,
                own: bool = True) -> str:
        code = f"{secrets.randbelow(10**6):06d}"
        key = f"records:otp:{session_id}"
        self.store.delete(key)
        self.store.hset(key, {"id_key": self.key(id_number), "subject": self.seal(id_number), "province": province,
                              "requester": self.seal(requester or ""), "own": "1" if own else "",
                              "digest": self._digest(session_id, id_number, code)})
        self.store.expire(key, self.limits.otp_ttl_seconds)
        return code

    def pending_otp(self, session_id: str) -> dict[str, str]:
        raw = self.store.hgetall(f"records:otp:{session_id}")
        if raw:
            raw["requester"] = self.unseal(raw.get("requester"))
            raw["subject"] = self.unseal(raw.get("subject"))
        return raw

    def check_otp(self, session_id: str, id_number: str, code: str) -> str | bool | None:
        """The insured province when the code is right, False when wrong, None when no code is
        pending for this session and ID (expired or never sent). A right code is used up."""
        pending = self.store.hgetall(f"records:otp:{session_id}")
        if not pending or not hmac.compare_digest(pending.get("id_key", ""), self.key(id_number)):
            return None
        if not hmac.compare_digest(pending["digest"], self._digest(session_id, id_number, code.strip())):
            return False
        self.store.delete(f"records:otp:{session_id}")
        return pending.get("province", "")
