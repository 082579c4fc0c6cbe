"""Records settings: environment variables (or `Settings.extra` keys of the same name, lower-case)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from core.settings import Settings
from records.state import Limits


@dataclass(frozen=True)
class RecordsConfig:
    limits: Limits = field(default_factory=Limits)
    statement_timeout_s: float = 2.0
    connect_timeout_s: float = 3.0
    mapping_path: str | None = None
    reveal_roles: tuple[str, ...] = ("supervisor", "admin")
    min_reason_length: int = 4

    @classmethod
    def from_settings(cls, settings: Settings) -> RecordsConfig:
        def get(name: str, default: str) -> str:
            return settings.extra.get(name.lower()) or os.environ.get(name) or default

        limits = Limits(
            max_attempts=int(get("RECORDS_MAX_ATTEMPTS", "5")),
            lockout_seconds=float(get("RECORDS_LOCKOUT_MINUTES", "30")) * 60,
            session_ttl_seconds=float(get("RECORDS_SESSION_MINUTES", "30")) * 60,
            otp_ttl_seconds=float(get("RECORDS_OTP_MINUTES", "5")) * 60,
            session_max_failures=int(get("RECORDS_SESSION_MAX_FAILURES", "10")),
        )
        roles = tuple(r.strip() for r in get("RECORDS_REVEAL_ROLES", "supervisor,admin").split(",") if r.strip())
        return cls(limits=limits, statement_timeout_s=float(get("RECORDS_STATEMENT_TIMEOUT_MS", "2000")) / 1000,
                   connect_timeout_s=float(get("RECORDS_CONNECT_TIMEOUT_S", "3")),
                   mapping_path=get("RECORDS_MAPPING", "") or None, reveal_roles=roles)
