"""Node services of the Asterisk front end: the FastAGI server on settings.agi_host:agi_port always,
the AMI client (and what the platform does with it) when HOTLINE_AMI_HOST is set.

Adapter options and the AMI connection come from `ivr/asterisk/config.py` (HOTLINE_ASTERISK_<NAME> for
the fields of `ChannelConfig` / `ControlConfig`, e.g. HOTLINE_ASTERISK_TTS_APP; HOTLINE_AMI_*)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from ivr.api import IvrHost
from ivr.asterisk.agi import FastAGIServer
from ivr.asterisk.ami import AMIClient
from ivr.asterisk.channel import CallRunner, ChannelConfig
from ivr.asterisk.config import AmiSettings, channel_config, control_config
from ivr.asterisk.control import AsteriskControl, ControlConfig
from ivr.asterisk.recording import RecordingControl

log = logging.getLogger(__name__)


def _speech(platform: IvrHost) -> Any:
    """The node's speech layer (HOTLINE_SPEECH_DELIVERY=off keeps the old recorded-sounds behaviour)."""
    from ivr.speech import speech_of
    from ivr.speech.config import SpeechSettings

    if SpeechSettings.of(platform.settings).delivery == "off":
        return None

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
    agi = AGIService(platform, settings.agi_host, settings.agi_port, channel_config(settings),
                     speech=_speech(platform))
    found: list[Any] = [agi]
    ami = AmiSettings.of(settings)
    if ami.host:
        client = AMIClient(ami.host, ami.port, ami.username or "", ami.secret or "", auth=ami.auth,
                           events="call,agent,system,dtmf")
        found.append(AMIService(platform, client, agi.runner.waker, control_config(settings)))
    return found
