"""Recording configuration: `RecordingSettings` reads `HOTLINE_RECORDING_<NAME>` (pydantic-settings; in
tests `settings.extra["recording_<name>"]` overrides it), `RecordingConfig` is what the service uses.

Per-province and per-entry values are written as lists: `HOTLINE_RECORDING_RETENTION_DAYS=180,44=365`
(the default, then province overrides), `HOTLINE_RECORDING_NO_CONSENT_ENTRIES=95533` (entry numbers
whose flow skips the recording notice), `HOTLINE_RECORDING_WHOLE_CALL_ENTRIES=12333` (entries recorded
from the first ring, IVR included), `HOTLINE_RECORDING_AGENT_LISTEN=44,11` (centers whose agents may
hear their own calls; `all` for every center).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from core.settings import CASE_FOLDED, HomeSettings


def _set(text: str | None) -> frozenset[str]:
    return frozenset(p.strip() for p in (text or "").split(",") if p.strip())


def parse_retention(text: str | None, default: float = 180.0) -> tuple[float, dict[str, float]]:
    """"180,44=365,11=90" → (180.0, {"44": 365.0, "11": 90.0}); a bad item raises ValueError."""
    per: dict[str, float] = {}
    for item in (text or "").split(","):
        item = item.strip()
        if not item:
            continue
        if "=" in item:
            code, _, days = item.partition("=")
            per[code.strip()] = float(days)
        else:
            default = float(item)
    if default <= 0 or any(v <= 0 for v in per.values()):
        raise ValueError("HOTLINE_RECORDING_RETENTION_DAYS: every period must be more than 0 days")
    return default, per


@dataclass(frozen=True)
class RecordingConfig:
    enabled: bool = True
    spool_dir: Path = Path("var/recordings/spool")  # where the node finds what Asterisk wrote
    asterisk_spool_dir: str = ""  # the same folder as Asterisk sees it (shared mount); "" = spool_dir
    store_dir: Path = Path("var/recordings/store")
    storage: str = "local"  # local | s3
    s3_endpoint: str = ""  # host:port of an S3-compatible service (MinIO, Ceph RGW, ...)
    s3_bucket: str = "hotline-recordings"
    s3_access_key: str = ""
    s3_secret_key: str = ""
    s3_secure: bool = True
    s3_region: str = ""
    codec: str = "opus"  # opus | mp3 | wav
    bitrate_kbps: int = 16
    opus_complexity: int = 5
    retention_days: float = 180.0
    retention_by_province: dict[str, float] = field(default_factory=dict)
    purge_interval_s: float = 3600.0
    ingest_interval_s: float = 15.0
    no_consent_entries: frozenset[str] = frozenset()
    whole_call_entries: frozenset[str] = frozenset()
    agent_listen: frozenset[str] = frozenset()  # center codes, or {"all"}
    link_ttl_s: int = 300
    mixmonitor_options: str = "bD"  # b: only while bridged (from the agent's answer); D: stereo legs

    def retention_for(self, province: str) -> float:
        return self.retention_by_province.get(province, self.retention_days)

    def consent_for(self, entry: str) -> bool:
        return entry not in self.no_consent_entries

    def whole_call_for(self, entry: str) -> bool:
        return entry in self.whole_call_entries or "all" in self.whole_call_entries

    def agent_may_listen(self, center: str) -> bool:
        return "all" in self.agent_listen or center in self.agent_listen

    @property
    def asterisk_dir(self) -> str:
        return self.asterisk_spool_dir or str(self.spool_dir)


class RecordingSettings(HomeSettings):
    """HOTLINE_RECORDING_<FIELD>; the folders default to <data dir>/recordings/..."""

    model_config = SettingsConfigDict(env_prefix="HOTLINE_RECORDING_")

    enabled: bool = True
    spool_dir: str = ""
    asterisk_spool_dir: str = ""
    store_dir: str = ""
    storage: Annotated[Literal["local", "s3"], CASE_FOLDED] = "local"
    s3_endpoint: str = ""
    s3_bucket: str = "hotline-recordings"
    s3_access_key: str = ""
    s3_secret_key: str = ""
    s3_secure: bool = True
    s3_region: str = ""
    codec: Annotated[Literal["opus", "mp3", "wav"], CASE_FOLDED] = "opus"
    bitrate_kbps: int = Field(16, ge=1)
    opus_complexity: int = Field(5, ge=0, le=10)
    retention_days: str = ""  # "180,44=365": the default, then province overrides
    purge_interval_s: float = Field(3600, gt=0)
    ingest_interval_s: float = Field(15, gt=0)
    no_consent_entries: str = ""
    whole_call_entries: str = ""
    agent_listen: str = ""
    link_ttl_s: int = Field(300, ge=1)
    mixmonitor_options: str = "bD"
    asr: str = ""  # "module:callable" of a speech-recognition engine (recordings/transcription.py)

    @field_validator("retention_days")
    @classmethod
    def _retention(cls, value: str) -> str:
        parse_retention(value)
        return value

    @field_validator("asr")
    @classmethod
    def _asr(cls, value: str) -> str:
        if value and ":" not in value:
            raise ValueError("must be module:callable")
        return value


def from_settings(settings: Any) -> RecordingConfig:
    s = RecordingSettings.of(settings)
    base = Path(settings.data_dir) / "recordings"
    default, per = parse_retention(s.retention_days)
    return RecordingConfig(
        enabled=s.enabled,
        spool_dir=Path(s.spool_dir or base / "spool"),
        asterisk_spool_dir=s.asterisk_spool_dir,
        store_dir=Path(s.store_dir or base / "store"),
        storage=s.storage,
        s3_endpoint=s.s3_endpoint,
        s3_bucket=s.s3_bucket,
        s3_access_key=s.s3_access_key,
        s3_secret_key=s.s3_secret_key,
        s3_secure=s.s3_secure,
        s3_region=s.s3_region,
        codec=s.codec,
        bitrate_kbps=s.bitrate_kbps,
        opus_complexity=s.opus_complexity,
        retention_days=default,
        retention_by_province=per,
        purge_interval_s=s.purge_interval_s,
        ingest_interval_s=s.ingest_interval_s,
        no_consent_entries=_set(s.no_consent_entries),
        whole_call_entries=_set(s.whole_call_entries),
        agent_listen=_set(s.agent_listen),
        link_ttl_s=s.link_ttl_s,
        mixmonitor_options=s.mixmonitor_options,
    )
