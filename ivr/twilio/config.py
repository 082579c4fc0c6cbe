"""Twilio configuration: account credentials come from core settings (shared with the SMS gateway), the
rest from `TwilioSettings`, the TWILIO_* environment variables (pydantic-settings; in tests
`settings.extra["twilio_<name>"]` overrides them)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from core.settings import CASE_FOLDED, HomeSettings

DEFAULT_ENTRY = "12333"
AUDIO_PATH = "/twilio/audio"
DEFAULT_HOLD_MUSIC = "http://com.twilio.music.classical.s3.amazonaws.com/BusyStrings.mp3"


@dataclass(frozen=True)
class TwilioConfig:
    account_sid: str | None
    auth_token: str | None
    public_url: str
    api_base: str | None = None  # e.g. a local fake of the REST API; None = api.twilio.com
    api_key_sid: str | None = None  # for browser-agent access tokens
    api_key_secret: str | None = None
    twiml_app_sid: str | None = None  # TwiML App whose Voice URL is /twilio/voice/outbound
    caller_id: str | None = None  # number shown to desk phones / outbound calls
    voice: str = "Polly.Zhiyu"  # <Say voice=...> for Mandarin prompts
    voice_en: str = "Polly.Joanna"
    say_language: str = "cmn-CN"
    gather_language: str = "zh-CN"  # speech recognition language of <Gather>
    hold_music_url: str = DEFAULT_HOLD_MUSIC
    # where Twilio fetches recorded prompts; {name} is the catalog's "<language>/<id>". Default: this
    # node's /twilio/audio/ route, which serves <data_dir>/prompts/<language>/<id>.wav
    prompt_audio_url: str | None = None
    client_prefix: str = "agent-"  # browser agent identity = prefix + agent id
    token_ttl: int = 3600
    speech: bool = True  # offer speech input where the flow allows it (menus with `listen: true`)
    # TWILIO_TTS: "say" = Twilio's <Say> (its own voices), "platform" = <Play> of the platform's speech layer
    tts: str = "say"
    player: Callable[[Any], str | None] | None = field(default=None, compare=False, repr=False)
    # Twilio number (E.164) -> (IVR entry, entry center); unlisted numbers enter DEFAULT_ENTRY
    entries: Mapping[str, tuple[str, str | None]] = field(default_factory=dict)
    # numbers other deployments dial to hand a call over by phone number: the 8-digit handoff code
    # follows as keys (sendDigits "ww<code>#"), read silently before the IVR starts
    handoff_numbers: frozenset[str] = frozenset()
    handoff_digits_timeout: int = 5
    # TWILIO_AGENT_LEG: "dial" = the caller's <Dial> rings the agent directly; "conference" = caller
    # and agent meet in a conference named after the call, which supervisors can join to listen,
    # whisper (coach) or barge
    agent_leg: str = "dial"

    @classmethod
    def from_settings(cls, settings: Any, environ: Mapping[str, str] | None = None) -> TwilioConfig:
        """The node's Twilio configuration (`environ`: only these variables, for tests)."""
        s = TwilioSettings.of(settings) if environ is None else TwilioSettings.from_mapping(environ)
        return cls(
            account_sid=settings.twilio_account_sid,
            auth_token=settings.twilio_auth_token,
            public_url=settings.public_url.rstrip("/"),
            api_base=settings.twilio_api_base,
            api_key_sid=s.api_key_sid,
            api_key_secret=s.api_key_secret,
            twiml_app_sid=s.twiml_app_sid,
            caller_id=s.caller_id,
            voice=s.voice,
            voice_en=s.voice_en,
            say_language=s.say_language,
            gather_language=s.gather_language,
            hold_music_url=s.hold_music_url,
            prompt_audio_url=s.prompt_audio_url or settings.public_url.rstrip("/") + AUDIO_PATH + "/{name}.wav",
            client_prefix=s.client_prefix,
            token_ttl=s.token_ttl,
            speech=s.speech,
            tts=s.tts,
            entries=parse_entries(s.entries),
            agent_leg=s.agent_leg,
            handoff_numbers=frozenset(n.strip() for n in s.handoff_numbers.split(",") if n.strip()),
        )

    @property
    def voice_configured(self) -> bool:
        return bool(self.account_sid and self.auth_token)

    @property
    def browser_configured(self) -> bool:
        return bool(self.account_sid and self.api_key_sid and self.api_key_secret)

    @property
    def conference_legs(self) -> bool:
        return self.agent_leg == "conference"

    def url(self, path: str) -> str:
        """An absolute URL on this node as Twilio reaches it."""
        return self.public_url + path

    def client_identity(self, agent_id: int | str) -> str:
        return f"{self.client_prefix}{agent_id}"

    def entry_for(self, called: str | None) -> tuple[str, str | None]:
        """The IVR entry (and entry center, None = the node's) for the Twilio number that was called."""
        return self.entries.get((called or "").strip(), (DEFAULT_ENTRY, None))


AGENT_LEGS = ("dial", "conference")


class TwilioSettings(HomeSettings):
    """TWILIO_<FIELD> (TWILIO_ACCOUNT_SID / _AUTH_TOKEN / _API_BASE are core settings)."""

    model_config = SettingsConfigDict(env_prefix="TWILIO_")

    api_key_sid: str | None = None
    api_key_secret: str | None = None
    twiml_app_sid: str | None = None
    caller_id: str | None = None
    voice: str = TwilioConfig.voice
    voice_en: str = TwilioConfig.voice_en
    say_language: str = TwilioConfig.say_language
    gather_language: str = TwilioConfig.gather_language
    hold_music_url: str = DEFAULT_HOLD_MUSIC
    prompt_audio_url: str | None = None  # default: this node's /twilio/audio/{name}.wav
    client_prefix: str = TwilioConfig.client_prefix
    token_ttl: int = Field(TwilioConfig.token_ttl, ge=1)
    speech: bool = True
    tts: Annotated[Literal["say", "platform"], CASE_FOLDED] = "say"
    entries: str = ""  # "+862012345678=12333:44,...": number=entry[:center]
    agent_leg: str = "dial"
    handoff_numbers: str = ""

    @field_validator("agent_leg")
    @classmethod
    def _leg(cls, value: str) -> str:
        return agent_leg_from(value)

    @field_validator("entries")
    @classmethod
    def _entries(cls, value: str) -> str:
        parse_entries(value)
        return value


def agent_leg_from(raw: str) -> str:
    value = raw.strip().lower()
    if value not in AGENT_LEGS:
        raise ValueError(f"TWILIO_AGENT_LEG must be one of {', '.join(AGENT_LEGS)}, not {raw!r}")
    return value


def parse_entries(raw: str) -> dict[str, tuple[str, str | None]]:
    """`TWILIO_ENTRIES="+862012345678=12333:44,+861012345678=12333"`: number=entry[:center]."""
    entries: dict[str, tuple[str, str | None]] = {}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        number, sep, target = item.partition("=")
        entry, _, center = target.partition(":")
        if not sep or not number.strip() or not entry.strip().isdigit():
            raise ValueError(f"TWILIO_ENTRIES item {item!r} is not number=entry[:center]")
        entries[number.strip()] = (entry.strip(), center.strip() or None)
    return entries
