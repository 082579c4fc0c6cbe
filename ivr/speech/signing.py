"""Signed, expiring URLs for rendered audio: `/speech/<expires>/<signature>/<key>.<fmt>`.

The signature is HMAC-SHA256 over key, format and expiry with a secret generated into the data dir. It
sits in the path, not the query: `Playback`/`STREAM FILE` split their argument at `&` and `,`. Expiry is
rounded up to a window so the same prompt keeps the same URL for a while and Asterisk's media cache
(res_http_media_cache keys on the URL) fetches it once.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable

PREFIX = "/speech"


class UrlSigner:
    def __init__(self, secret: str, ttl_s: int = 3600, now: Callable[[], float] = time.time) -> None:
        if not secret:
            raise ValueError("a signing secret is required")
        self.secret = secret.encode()
        self.ttl_s = max(60, int(ttl_s))
        self.now = now

    def _sig(self, key: str, fmt: str, expires: int, public: bool = False) -> str:
        msg = f"{'public:' if public else ''}{key}.{fmt}:{expires}".encode()
        return hmac.new(self.secret, msg, hashlib.sha256).hexdigest()[:32]

    def expires(self) -> int:
        """Valid for at least one TTL, at most two; constant within a window."""
        return (int(self.now()) // self.ttl_s + 2) * self.ttl_s

    def path(self, key: str, fmt: str, expires: int | None = None, *, public: bool = False) -> str:
        """`public` URLs (`/speech/p/...`) may be fetched from any host (Twilio's media fetchers): they are
        signed apart, so an Asterisk URL cannot be turned into a public one."""
        exp = self.expires() if expires is None else expires
        return f"{PREFIX}{'/p' if public else ''}/{exp}/{self._sig(key, fmt, exp, public)}/{key}.{fmt}"

    def verify(self, key: str, fmt: str, expires: int, signature: str, *, public: bool = False) -> bool:
        if expires < self.now():
            return False
        return hmac.compare_digest(self._sig(key, fmt, expires, public), signature or "")
