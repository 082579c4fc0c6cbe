"""Node services of the Asterisk front end: the FastAGI server on settings.agi_host:agi_port always,
the AMI client (and what the platform does with it) when settings.ami_host is set.

Adapter options come from `settings.extra` or `HOTLINE_ASTERISK_<NAME>` environment variables
(names of `ChannelConfig` / `ControlConfig` fields, e.g. HOTLINE_ASTERISK_TTS_APP)."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
from typing import Any

from ivr.api import IvrHost
from ivr.asterisk.agi import FastAGIServer
from ivr.asterisk.ami import AMIClient
from ivr.asterisk.channel import CallRunner, ChannelConfig
from ivr.asterisk.control import AsteriskControl, ControlConfig
from ivr.asterisk.recording import RecordingControl

log = logging.getLogger(__name__)


def _options(settings: Any, cls: type) -> Any:
    extra = getattr(settings, "extra", {}) or {}
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        raw = extra.get(f"asterisk_{f.name}") or os.environ.get(f"HOTLINE_ASTERISK_{f.name.upper()}")
        if raw is None:
            continue
        if f.default is dataclasses.MISSING:
            raise TypeError(f"{cls.__name__}.{f.name} needs a default to be read from the environment")
        kind = type(f.default)
        values[f.name] = raw.lower() in ("1", "true", "yes", "on") if kind is bool else kind(raw)
    return cls(**values)


def _speech(platform: IvrHost) -> Any:
    """The node's speech layer (HOTLINE_SPEECH_DELIVERY=off keeps the old recorded-sounds behaviour)."""
    if (os.environ.get("HOTLINE_SPEECH_DELIVERY") or "").lower() == "off":
        return None
    from ivr.speech import speech_of

    return speech_of(platform)


def static_prompts() -> list[tuple[str, str]]:
    """(text, language) of every catalog prompt without placeholders: rendered before the first call."""
    from ivr.prompts import PromptCatalog, placeholders
    from ivr.speech.service import PLEASE_HOLD

    catalog = PromptCatalog.load()
    found = [(text, lang) for entry in catalog.entries.values() for lang, text in entry.text.items()
             if not placeholders(text)]
    return found + [(text, lang) for lang, text in PLEASE_HOLD.items()]


class AGIService:
    """The FastAGI listener plus the call runner behind it."""

    name = "asterisk.fastagi"

    def __init__(self, platform: IvrHost, host: str, port: int, config: ChannelConfig | None = None,
                 speech: Any = None) -> None:
        self.runner = CallRunner(platform, config, speech=speech)
        self.server = FastAGIServer(self.runner.handle, host, port)
        self._warm: asyncio.Future[Any] | None = None

    async def start(self) -> None:
        await self.server.start()
        speech = self.runner.speech
        if speech is not None:  # render the static prompts in the background: no manual step
            self._warm = asyncio.get_running_loop().run_in_executor(None, _warm, speech)

    async def stop(self) -> None:
        await self.server.stop()
        self.runner.close()


class AMIService:
    name = "asterisk.ami"

    def __init__(self, platform: IvrHost, client: AMIClient, waker: Any, config: ControlConfig | None = None) -> None:
        self.client = client
        self.control = AsteriskControl(platform, client, waker, config)
        self.recording = RecordingControl(platform, client)  # console pause/resume → MixMonitorMute

    async def start(self) -> None:
        self.control.bind(asyncio.get_running_loop())
        self.recording.bind(asyncio.get_running_loop())
        await self.client.start()

    async def stop(self) -> None:
        self.recording.close()
        self.control.close()
        await self.client.stop()


def _warm(speech: Any) -> None:
    prompts = static_prompts()
    failed = speech.warm(prompts)
    if failed:
        log.warning("speech: %d of %d static prompts could not be rendered", failed, len(prompts))
    else:
        log.info("speech: %d static prompts ready", len(prompts))


def services(platform: IvrHost) -> list[Any]:
    settings = platform.settings
    agi = AGIService(platform, settings.agi_host, settings.agi_port, _options(settings, ChannelConfig),
                     speech=_speech(platform))
    found: list[Any] = [agi]
    if settings.ami_host:
        client = AMIClient(settings.ami_host, settings.ami_port, settings.ami_username or "",
                           settings.ami_secret or "",
                           auth=(getattr(settings, "extra", {}) or {}).get("asterisk_ami_auth")
                           or os.environ.get("HOTLINE_ASTERISK_AMI_AUTH", "md5"),
                           events="call,agent,system,dtmf")
        found.append(AMIService(platform, client, agi.runner.waker, _options(settings, ControlConfig)))
    return found
