"""`platform.service("ivr.speech")` -> the node's SpeechService."""

from __future__ import annotations

from ivr.api import IvrHost
from ivr.speech.config import SpeechConfig
from ivr.speech.service import SpeechService


def build(platform: IvrHost) -> SpeechService:
    return SpeechService(SpeechConfig.from_settings(platform.settings))
