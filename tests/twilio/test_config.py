"""Configuration read from core settings and the environment."""

from __future__ import annotations

import pytest

from ivr.twilio.config import TwilioConfig, parse_entries
from tests.twilio.conftest import ACCOUNT_SID, PUBLIC_URL


def test_from_settings_reads_the_environment(settings) -> None:  # type: ignore[no-untyped-def]
    env = {"TWILIO_API_KEY_SID": "SK1", "TWILIO_API_KEY_SECRET": "s", "TWILIO_VOICE": "Google.cmn-CN-Standard-A",
           "TWILIO_SPEECH": "0", "TWILIO_ENTRIES": "+862012345678=12333:44, +861012345678=12333",
           "TWILIO_PROMPT_AUDIO_URL": "https://cdn.example/{name}.mp3", "TWILIO_TOKEN_TTL": "600"}
    config = TwilioConfig.from_settings(settings, env)
    assert config.account_sid == ACCOUNT_SID and config.public_url == PUBLIC_URL
    assert config.voice_configured and config.browser_configured
    assert config.voice == "Google.cmn-CN-Standard-A" and config.say_language == "cmn-CN"
    assert config.speech is False and config.token_ttl == 600
    assert config.entry_for("+862012345678") == ("12333", "44")
    assert config.entry_for("+861012345678") == ("12333", None)
    assert config.entry_for("+15005550006") == ("12333", None)
    assert config.url("/twilio/voice") == PUBLIC_URL + "/twilio/voice"


def test_defaults_without_environment(settings) -> None:  # type: ignore[no-untyped-def]
    config = TwilioConfig.from_settings(settings, {})
    assert not config.browser_configured and config.speech is True and config.entries == {}
    assert config.voice == "Polly.Zhiyu" and config.gather_language == "zh-CN"
    assert config.prompt_audio_url == PUBLIC_URL + "/twilio/audio/{name}.wav"


@pytest.mark.parametrize("raw", ["+8620=abc", "no-equals-sign", "=12333"])
def test_bad_entries_are_refused_with_the_item(raw: str) -> None:
    with pytest.raises(ValueError, match="TWILIO_ENTRIES"):
        parse_entries(raw)


def test_agent_leg_is_dial_by_default_and_a_typo_is_refused(settings) -> None:  # type: ignore[no-untyped-def]
    assert not TwilioConfig.from_settings(settings, {}).conference_legs
    assert TwilioConfig.from_settings(settings, {"TWILIO_AGENT_LEG": "Conference"}).conference_legs
    with pytest.raises(ValueError, match="TWILIO_AGENT_LEG"):
        TwilioConfig.from_settings(settings, {"TWILIO_AGENT_LEG": "conferance"})
