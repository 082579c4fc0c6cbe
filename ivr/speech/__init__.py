"""The speech layer: Chinese text normalisation, TTS engines behind one interface, a bounded audio cache,
and signed URLs that Asterisk (res_http_media_cache) or Twilio (<Play>) fetch. See docs/speech.md."""

from __future__ import annotations

from ivr.api import IvrHost
from ivr.speech.engines import EspeakEngine, HttpEngine, TTSEngine, TTSError
from ivr.speech.service import Rendered, SpeechService, SpeechUnavailable


def speech_of(platform: IvrHost) -> SpeechService:
    """The platform's speech service (built once per platform)."""
    service = getattr(platform, "service", None)
    if callable(service):
        return service("ivr.speech")  # type: ignore[no-any-return]
    from ivr.speech.wiring import build

    return build(platform)


__all__ = ["EspeakEngine", "HttpEngine", "Rendered", "SpeechService", "SpeechUnavailable", "TTSEngine", "TTSError",
           "speech_of"]
