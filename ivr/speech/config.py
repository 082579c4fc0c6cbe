"""Speech settings: `SpeechSettings` reads HOTLINE_TTS_* / HOTLINE_SPEECH_* (pydantic-settings; in tests
`Settings.extra` keys, lower case without `HOTLINE_`, override them); `SpeechConfig` is what the speech
layer uses."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from core.settings import CASE_FOLDED, HomeSettings, _load_or_create_secret

DEFAULT_ALLOW = "127.0.0.1/32,::1/128"


class SpeechSettings(HomeSettings):
    """HOTLINE_TTS_<FIELD> and HOTLINE_SPEECH_* (see docs/speech.md)."""

    model_config = SettingsConfigDict(env_prefix="HOTLINE_TTS_")

    engine: str = "espeak"
    fallback: str = "espeak"
    url: str | None = None
    token: str | None = None
    timeout_s: float = Field(5.0, gt=0)
    voice_zh: str | None = None
    voice_en: str | None = None
    cache_dir: str | None = None
    cache_mb: int = Field(200, ge=0)
    speech_url: str | None = Field(None, validation_alias="HOTLINE_SPEECH_URL")
    speech_allow: str = Field(DEFAULT_ALLOW, validation_alias="HOTLINE_SPEECH_ALLOW")
    speech_url_ttl_s: int = Field(3600, ge=1, validation_alias="HOTLINE_SPEECH_URL_TTL_S")
    # http (URL) | file (shared host path) | off (Asterisk: recorded sounds + the TTS application)
    delivery: Annotated[Literal["http", "file", "off"], CASE_FOLDED] = Field(
        "http", validation_alias="HOTLINE_SPEECH_DELIVERY")
    speech_secret: str | None = Field(None, validation_alias="HOTLINE_SPEECH_SECRET")

    @field_validator("speech_allow")
    @classmethod
    def _allow(cls, value: str) -> str:
        for net in (a.strip() for a in value.split(",")):
            if net and net != "*":
                ipaddress.ip_network(net, strict=False)  # bad input: a clear error at start-up
        return value


@dataclass(frozen=True)
class SpeechConfig:
    engine: str = "espeak"               # HOTLINE_TTS_ENGINE: espeak | http | module:Class
    fallback_engine: str = "espeak"      # HOTLINE_TTS_FALLBACK: used when the engine fails ('' = none)
    http_url: str | None = None          # HOTLINE_TTS_URL
    http_token: str | None = None        # HOTLINE_TTS_TOKEN (sent as a Bearer token)
    timeout_s: float = 5.0               # HOTLINE_TTS_TIMEOUT_S
    voices: dict[str, str] = field(default_factory=dict)  # HOTLINE_TTS_VOICE_ZH / _EN
    cache_dir: Path = Path("var/speech")
    cache_mb: int = 200                  # HOTLINE_TTS_CACHE_MB
    base_url: str = "http://127.0.0.1:8000"  # HOTLINE_SPEECH_URL: how Asterisk reaches this node's web port
    allow: tuple[str, ...] = ("127.0.0.1/32", "::1/128")  # HOTLINE_SPEECH_ALLOW: who may fetch audio
    url_ttl_s: int = 3600                # HOTLINE_SPEECH_URL_TTL_S
    delivery: str = "http"               # HOTLINE_SPEECH_DELIVERY: http (URL) | file (shared host path)
    secret: str = ""
    prompt_dir: Path | None = None       # recorded prompts (<lang>/<id>.wav), preferred over TTS
    public_base: str = "http://127.0.0.1:8000"  # HOTLINE_PUBLIC_URL: base of public (Twilio) audio URLs

    @classmethod
    def from_settings(cls, settings: Any, environ: Mapping[str, str] | None = None) -> SpeechConfig:
        """The node's speech configuration (`environ`: only these variables, for tests)."""
        s = SpeechSettings.of(settings) if environ is None else SpeechSettings.from_mapping(environ)
        data_dir = Path(settings.data_dir)
        host = settings.web_host if settings.web_host not in ("0.0.0.0", "::", "") else "127.0.0.1"
        voices = {lang: v for lang, v in (("zh", s.voice_zh), ("en", s.voice_en)) if v}
        if s.delivery not in ("http", "file"):
            raise ValueError("HOTLINE_SPEECH_DELIVERY must be http or file")
        return cls(
            engine=s.engine or "espeak",
            fallback_engine=s.fallback,
            http_url=s.url,
            http_token=s.token,
            timeout_s=s.timeout_s,
            voices=voices,
            cache_dir=Path(s.cache_dir or data_dir / "speech"),
            cache_mb=s.cache_mb,
            base_url=(s.speech_url or f"http://{host}:{settings.web_port}").rstrip("/"),
            allow=tuple(a.strip() for a in s.speech_allow.split(",") if a.strip()),
            url_ttl_s=s.speech_url_ttl_s,
            delivery=s.delivery,
            secret=s.speech_secret or _load_or_create_secret(data_dir, "speech_url_secret"),
            prompt_dir=data_dir / "prompts",
            public_base=str(getattr(settings, "public_url", "") or "http://127.0.0.1:8000").rstrip("/"),
        )

    def allows(self, address: str | None) -> bool:
        """May this client address fetch audio? ('*' in the list: any, the signature alone decides.)"""
        if "*" in self.allow:
            return True
        try:
            ip = ipaddress.ip_address((address or "").split("%")[0])
        except ValueError:
            return False
        if ip.version == 6 and ip.ipv4_mapped:
            ip = ip.ipv4_mapped
        return any(ip in ipaddress.ip_network(net, strict=False) for net in self.allow)
