"""`platform.service("ivr.speech")` -> the node's SpeechService."""

from __future__ import annotations

from typing import Any

from ivr.speech.config import SpeechConfig
from ivr.speech.service import SpeechService


def build(platform: Any) -> SpeechService:
    return SpeechService(SpeechConfig.from_settings(platform.settings))
