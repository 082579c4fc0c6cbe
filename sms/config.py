"""SMS configuration: `SmsSettings` reads the HOTLINE_SMS_* environment variables (pydantic-settings;
in tests `settings.extra["sms_<name>"]` overrides them), `SmsConfig` is what the service uses.

Providers are tried in the order of HOTLINE_SMS_PROVIDERS (failover goes down the list). In demo
mode with nothing configured the only provider is `log`, which appends to <data_dir>/sms-outbox.log.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from core.settings import HomeSettings


class SmsSettings(HomeSettings):
    """HOTLINE_SMS_<FIELD> (see docs/sms.md)."""

    model_config = SettingsConfigDict(env_prefix="HOTLINE_SMS_")

    providers: str = ""  # comma-separated; "": the configured gateways, else `log`
    rates: str = ""  # per provider, e.g. "kannel=100,smpp=200"
    rate: int = Field(50, ge=1)
    batch: int = Field(100, ge=1)
    workers: int = Field(8, ge=1)
    lease_seconds: float = Field(60.0, gt=0)
    max_attempts: int = Field(6, ge=1)
    backoff_seconds: float = Field(30.0, ge=0)
    expiry_hours: float = Field(24.0, gt=0)
    poll_seconds: float = Field(0.5, gt=0)
    retention_days: float = Field(90.0, ge=0)
    retention_interval: float = Field(3600.0, gt=0)
    quiet_start: int = Field(21, ge=0, le=24)
    quiet_end: int = Field(8, ge=0, le=24)
    daily_cap: int = Field(5, ge=0)
    daily_cap_reply: int = Field(30, ge=0)
    daily_cap_otp: int = Field(10, ge=0)
    sender: str = "12333"
    signature: str = "【12333】"  # counted in the length
    kannel_url: str | None = None
    kannel_username: str = "hotline"
    kannel_password: str = ""
    kannel_smsc: str | None = None
    kannel_allow: str = ""  # hosts Kannel's webhooks may come from (web/webhooks.py)
    smpp_host: str | None = None
    smpp_port: int = Field(2775, ge=1, le=65535)
    smpp_system_id: str = ""
    smpp_password: str = ""
    smpp_system_type: str = ""
    smpp_enquire_link: float = Field(30.0, gt=0)
    twilio_from: str | None = None
    twilio_messaging_service: str | None = None

    @field_validator("rates")
    @classmethod
    def _rates(cls, value: str) -> str:
        parse_rates(value)
        return value

    def config(self, data_dir: Path) -> SmsConfig:
        if self.providers.strip():
            providers = tuple(p.strip() for p in self.providers.split(",") if p.strip())
        else:
            providers = tuple(p for p, on in (("kannel", self.kannel_url), ("smpp", self.smpp_host),
                                               ("twilio", self.twilio_from)) if on) or ("log",)
        return SmsConfig(
            providers=providers, rate_per_second=parse_rates(self.rates), default_rate=self.rate,
            batch_size=self.batch, workers=self.workers, lease_seconds=self.lease_seconds,
            max_attempts=self.max_attempts, backoff_base=self.backoff_seconds, expiry_hours=self.expiry_hours,
            poll_interval=self.poll_seconds, retention_days=self.retention_days,
            retention_interval=self.retention_interval, quiet_start=self.quiet_start, quiet_end=self.quiet_end,
            daily_cap_notice=self.daily_cap, daily_cap_reply=self.daily_cap_reply,
            daily_cap_otp=self.daily_cap_otp, sender_id=self.sender, signature=self.signature,
            kannel_url=self.kannel_url, kannel_username=self.kannel_username,
            kannel_password=self.kannel_password, kannel_smsc=self.kannel_smsc, smpp_host=self.smpp_host,
            smpp_port=self.smpp_port, smpp_system_id=self.smpp_system_id, smpp_password=self.smpp_password,
            smpp_system_type=self.smpp_system_type, smpp_enquire_link=self.smpp_enquire_link,
            twilio_from=self.twilio_from, twilio_messaging_service_sid=self.twilio_messaging_service,
            log_path=Path(data_dir) / "sms-outbox.log",
        )


def parse_rates(text: str) -> dict[str, int]:
    """"kannel=100,smpp=200" -> {"kannel": 100, "smpp": 200}; a bad item raises ValueError."""
    rates: dict[str, int] = {}
    for item in (text or "").split(","):
        if "=" in item:
            name, value = item.split("=", 1)
            rates[name.strip()] = int(value)
        elif item.strip():
            raise ValueError(f"{item.strip()!r} is not provider=rate")
    return rates


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
    retention_days: float = 90.0  # message texts are blanked after this; 0 = keep them (no timer)
    retention_interval: float = 3600.0  # seconds between retention passes on a node
    sender_id: str = "12333"
    signature: str = "【12333】"  # HOTLINE_SMS_SIGNATURE, counted in the length
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
    # Twilio (account, token and API base come from core settings: shared with the voice front end)
    twilio_from: str | None = None
    twilio_messaging_service_sid: str | None = None
    log_path: Path | None = None

    def rate_for(self, provider: str) -> int:
        return self.rate_per_second.get(provider, self.default_rate)

    def with_(self, **changes: Any) -> SmsConfig:
        return replace(self, **changes)


def from_env(settings: Any) -> SmsConfig:
    """The SMS configuration of a node (environment, then `settings.extra` overrides)."""
    return SmsSettings.of(settings).config(settings.data_dir)
