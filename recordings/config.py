"""Recording configuration from `settings.extra["recording_<name>"]` or `HOTLINE_RECORDING_<NAME>`.

Per-province and per-entry values are written as lists: `HOTLINE_RECORDING_RETENTION_DAYS=180,44=365`
(the default, then province overrides), `HOTLINE_RECORDING_NO_CONSENT_ENTRIES=95533` (entry numbers
whose flow skips the recording notice), `HOTLINE_RECORDING_WHOLE_CALL_ENTRIES=12333` (entries recorded
from the first ring, IVR included), `HOTLINE_RECORDING_AGENT_LISTEN=44,11` (centers whose agents may
hear their own calls; `all` for every center).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def _get(settings: Any, name: str) -> str | None:
    extra = getattr(settings, "extra", {}) or {}
    value = extra.get(f"recording_{name}") or os.environ.get(f"HOTLINE_RECORDING_{name.upper()}")
    return value if value not in (None, "") else None


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


def from_settings(settings: Any) -> RecordingConfig:
    base = Path(settings.data_dir) / "recordings"
    default, per = parse_retention(_get(settings, "retention_days"))
    flag = (_get(settings, "enabled") or "1").lower() in ("1", "true", "yes", "on")
    return RecordingConfig(
        enabled=flag,
        spool_dir=Path(_get(settings, "spool_dir") or base / "spool"),
        asterisk_spool_dir=_get(settings, "asterisk_spool_dir") or "",
        store_dir=Path(_get(settings, "store_dir") or base / "store"),
        storage=(_get(settings, "storage") or "local").lower(),
        s3_endpoint=_get(settings, "s3_endpoint") or "",
        s3_bucket=_get(settings, "s3_bucket") or "hotline-recordings",
        s3_access_key=_get(settings, "s3_access_key") or "",
        s3_secret_key=_get(settings, "s3_secret_key") or "",
        s3_secure=(_get(settings, "s3_secure") or "1").lower() in ("1", "true", "yes", "on"),
        s3_region=_get(settings, "s3_region") or "",
        codec=(_get(settings, "codec") or "opus").lower(),
        bitrate_kbps=int(_get(settings, "bitrate_kbps") or 16),
        opus_complexity=int(_get(settings, "opus_complexity") or 5),
        retention_days=default,
        retention_by_province=per,
        purge_interval_s=float(_get(settings, "purge_interval_s") or 3600),
        ingest_interval_s=float(_get(settings, "ingest_interval_s") or 15),
        no_consent_entries=_set(_get(settings, "no_consent_entries")),
        whole_call_entries=_set(_get(settings, "whole_call_entries")),
        agent_listen=_set(_get(settings, "agent_listen")),
        link_ttl_s=int(_get(settings, "link_ttl_s") or 300),
        mixmonitor_options=_get(settings, "mixmonitor_options") or "bD",
    )
