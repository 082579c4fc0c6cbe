"""Twilio's <Play> of the platform's speech layer (TWILIO_TTS=platform): a prompt -> a public signed URL."""

from __future__ import annotations

import logging
from collections.abc import Callable

from ivr.actions import Prompt
from ivr.api import IvrHost
from ivr.speech.service import SpeechUnavailable

log = logging.getLogger(__name__)


def player(platform: IvrHost) -> Callable[[Prompt], str | None]:
    """None when nothing could render the prompt: the TwiML then falls back to Twilio's <Say>."""
    from ivr.speech import speech_of

    speech = speech_of(platform)

    def play(prompt: Prompt) -> str | None:
        try:
            return speech.public_url(speech.render_prompt(prompt))
        except SpeechUnavailable as exc:
            log.warning("speech: prompt %s falls back to Twilio <Say>: %s", prompt.id, exc)
            return None

    return play
