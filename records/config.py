"""Records settings: `RecordsSettings` reads the RECORDS_* environment variables (pydantic-settings; in
tests `Settings.extra` keys of the same name, lower case, override them); `RecordsConfig` is what the
service uses."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from core.settings import HomeSettings, Settings
from records.state import Limits


class RecordsSettings(HomeSettings):
    """RECORDS_<FIELD>."""

    model_config = SettingsConfigDict(env_prefix="RECORDS_")

    max_attempts: int = Field(5, ge=1)
    lockout_minutes: float = Field(30, ge=0)
    session_minutes: float = Field(30, gt=0)
    otp_minutes: float = Field(5, gt=0)
    session_max_failures: int = Field(10, ge=1)
    reveal_roles: str = "supervisor,admin"
    statement_timeout_ms: float = Field(2000, gt=0)
    connect_timeout_s: float = Field(3, gt=0)
    mapping: str = ""  # a YAML mapping of the core system's tables; "": the demo schema


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
        s = RecordsSettings.of(settings)
        limits = Limits(
            max_attempts=s.max_attempts,
            lockout_seconds=s.lockout_minutes * 60,
            session_ttl_seconds=s.session_minutes * 60,
            otp_ttl_seconds=s.otp_minutes * 60,
            session_max_failures=s.session_max_failures,
        )
        roles = tuple(r.strip() for r in s.reveal_roles.split(",") if r.strip())
        return cls(limits=limits, statement_timeout_s=s.statement_timeout_ms / 1000,
                   connect_timeout_s=s.connect_timeout_s, mapping_path=s.mapping or None, reveal_roles=roles)
