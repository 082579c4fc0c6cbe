"""SMS configuration from environment variables (core/settings.py stays untouched).

Providers are tried in the order of HOTLINE_SMS_PROVIDERS (failover goes down the list). In demo
mode with nothing configured the only provider is `log`, which appends to <data_dir>/sms-outbox.log.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _int(name: str, default: int) -> int:
    return int(_env(name, str(default)) or default)


def _float(name: str, default: float) -> float:
    return float(_env(name, str(default)) or default)


@dataclass(frozen=True)
class SmsConfig:
    providers: tuple[str, ...] = ("log",)
    rate_per_second: dict[str, int] = field(default_factory=dict)  # per provider; default below
    default_rate: int = 50
    batch_size: int = 100
    workers: int = 8
    lease_seconds: float = 60.0
    max_attempts: int = 6
    backoff_base: float = 30.0
    backoff_max: float = 3600.0
    expiry_hours: float = 24.0
    poll_interval: float = 0.5
    quiet_start: int = 21  # Beijing hour
    quiet_end: int = 8
    daily_cap_notice: int = 5
    daily_cap_reply: int = 30
    daily_cap_otp: int = 10
    max_parts_per_message: int = 6
    session_ttl: float = 600.0
    retention_days: float = 90.0  # message texts are blanked after this; 0 = keep them (no timer)
    retention_interval: float = 3600.0  # seconds between retention passes on a node
    sender_id: str = "12333"
    # Kannel sendsms
    kannel_url: str | None = None
    kannel_username: str = "hotline"
    kannel_password: str = ""
    kannel_smsc: str | None = None
    # SMPP 3.4
    smpp_host: str | None = None
    smpp_port: int = 2775
    smpp_system_id: str = ""
    smpp_password: str = ""
    smpp_system_type: str = ""
    smpp_enquire_link: float = 30.0
    # Twilio (account, token and API base come from core settings)
    twilio_from: str | None = None
    twilio_messaging_service_sid: str | None = None
    log_path: Path | None = None

    def rate_for(self, provider: str) -> int:
        return self.rate_per_second.get(provider, self.default_rate)

    def with_(self, **changes: Any) -> SmsConfig:
        return replace(self, **changes)


def from_env(settings: Any) -> SmsConfig:
    names = _env("HOTLINE_SMS_PROVIDERS")
    if names:
        providers = tuple(p.strip() for p in names.split(",") if p.strip())
    else:
        providers = tuple(p for p, on in (("kannel", _env("HOTLINE_SMS_KANNEL_URL")),
                                           ("smpp", _env("HOTLINE_SMS_SMPP_HOST")),
                                           ("twilio", _env("HOTLINE_SMS_TWILIO_FROM"))) if on) or ("log",)
    rates: dict[str, int] = {}
    for item in (_env("HOTLINE_SMS_RATES") or "").split(","):  # e.g. "kannel=100,smpp=200"
        if "=" in item:
            name, value = item.split("=", 1)
            rates[name.strip()] = int(value)
    return SmsConfig(
        providers=providers,
        rate_per_second=rates,
        default_rate=_int("HOTLINE_SMS_RATE", 50),
        batch_size=_int("HOTLINE_SMS_BATCH", 100),
        workers=_int("HOTLINE_SMS_WORKERS", 8),
        lease_seconds=_float("HOTLINE_SMS_LEASE_SECONDS", 60.0),
        max_attempts=_int("HOTLINE_SMS_MAX_ATTEMPTS", 6),
        backoff_base=_float("HOTLINE_SMS_BACKOFF_SECONDS", 30.0),
        expiry_hours=_float("HOTLINE_SMS_EXPIRY_HOURS", 24.0),
        poll_interval=_float("HOTLINE_SMS_POLL_SECONDS", 0.5),
        retention_days=_float("HOTLINE_SMS_RETENTION_DAYS", 90.0),
        retention_interval=_float("HOTLINE_SMS_RETENTION_INTERVAL", 3600.0),
        quiet_start=_int("HOTLINE_SMS_QUIET_START", 21),
        quiet_end=_int("HOTLINE_SMS_QUIET_END", 8),
        daily_cap_notice=_int("HOTLINE_SMS_DAILY_CAP", 5),
        daily_cap_reply=_int("HOTLINE_SMS_DAILY_CAP_REPLY", 30),
        daily_cap_otp=_int("HOTLINE_SMS_DAILY_CAP_OTP", 10),
        sender_id=_env("HOTLINE_SMS_SENDER", "12333") or "12333",
        kannel_url=_env("HOTLINE_SMS_KANNEL_URL"),
        kannel_username=_env("HOTLINE_SMS_KANNEL_USERNAME", "hotline") or "hotline",
        kannel_password=_env("HOTLINE_SMS_KANNEL_PASSWORD", "") or "",
        kannel_smsc=_env("HOTLINE_SMS_KANNEL_SMSC"),
        smpp_host=_env("HOTLINE_SMS_SMPP_HOST"),
        smpp_port=_int("HOTLINE_SMS_SMPP_PORT", 2775),
        smpp_system_id=_env("HOTLINE_SMS_SMPP_SYSTEM_ID", "") or "",
        smpp_password=_env("HOTLINE_SMS_SMPP_PASSWORD", "") or "",
        smpp_system_type=_env("HOTLINE_SMS_SMPP_SYSTEM_TYPE", "") or "",
        smpp_enquire_link=_float("HOTLINE_SMS_SMPP_ENQUIRE_LINK", 30.0),
        twilio_from=_env("HOTLINE_SMS_TWILIO_FROM"),
        twilio_messaging_service_sid=_env("HOTLINE_SMS_TWILIO_MESSAGING_SERVICE"),
        log_path=Path(settings.data_dir) / "sms-outbox.log",
    )
