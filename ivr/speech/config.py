"""Speech settings from the environment (or `Settings.extra`, lower case without `HOTLINE_`)."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.settings import _load_or_create_secret

DEFAULT_ALLOW = "127.0.0.1/32,::1/128"


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
        env = os.environ if environ is None else environ
        extra = getattr(settings, "extra", {}) or {}

        def get(name: str, default: str | None = None) -> str | None:
            value = extra.get(name.lower().removeprefix("hotline_")) or env.get(name)
            return value if value not in (None, "") else default

        data_dir = Path(settings.data_dir)
        host = settings.web_host if settings.web_host not in ("0.0.0.0", "::", "") else "127.0.0.1"
        voices = {lang: v for lang in ("zh", "en") if (v := get(f"HOTLINE_TTS_VOICE_{lang.upper()}"))}
        delivery = (get("HOTLINE_SPEECH_DELIVERY", "http") or "http").lower()
        if delivery not in ("http", "file"):
            raise ValueError("HOTLINE_SPEECH_DELIVERY must be http or file")
        allow = tuple(a.strip() for a in (get("HOTLINE_SPEECH_ALLOW", DEFAULT_ALLOW) or "").split(",") if a.strip())
        for net in allow:
            if net != "*":
                ipaddress.ip_network(net, strict=False)  # bad input: a clear error at start-up
        return cls(
            engine=(get("HOTLINE_TTS_ENGINE", "espeak") or "espeak"),
            fallback_engine=get("HOTLINE_TTS_FALLBACK", "espeak") or "",
            http_url=get("HOTLINE_TTS_URL"),
            http_token=get("HOTLINE_TTS_TOKEN"),
            timeout_s=float(get("HOTLINE_TTS_TIMEOUT_S", "5") or 5),
            voices=voices,
            cache_dir=Path(get("HOTLINE_TTS_CACHE_DIR") or data_dir / "speech"),
            cache_mb=int(get("HOTLINE_TTS_CACHE_MB", "200") or 200),
            base_url=(get("HOTLINE_SPEECH_URL") or f"http://{host}:{settings.web_port}").rstrip("/"),
            allow=allow,
            url_ttl_s=int(get("HOTLINE_SPEECH_URL_TTL_S", "3600") or 3600),
            delivery=delivery,
            secret=get("HOTLINE_SPEECH_SECRET") or _load_or_create_secret(data_dir, "speech_url_secret"),
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
