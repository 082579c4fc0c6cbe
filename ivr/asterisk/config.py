"""Settings of the Asterisk front end, read by pydantic-settings (see core/settings.py): the AMI
connection (HOTLINE_AMI_HOST / _PORT / _USERNAME / _SECRET, HOTLINE_ASTERISK_AMI_AUTH) and the
adapter options, HOTLINE_ASTERISK_<NAME> for every field of `ChannelConfig` and `ControlConfig`
(e.g. HOTLINE_ASTERISK_TTS_APP). In tests `settings.extra` keys override them: `ami_host`,
`asterisk_ami_auth`, `asterisk_<name>`."""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

from pydantic import Field, create_model
from pydantic_settings import SettingsConfigDict

from core.settings import HomeSettings
from ivr.asterisk.channel import ChannelConfig
from ivr.asterisk.control import ControlConfig


class AmiSettings(HomeSettings):
    """The AMI client; no host: this node does not use AMI."""

    model_config = SettingsConfigDict(env_prefix="HOTLINE_AMI_")

    host: str | None = None
    port: int = Field(5038, ge=1, le=65535)
    username: str | None = None
    secret: str | None = None
    auth: Literal["md5", "plain"] = Field("md5", validation_alias="HOTLINE_ASTERISK_AMI_AUTH")


class _AdapterOptions(HomeSettings):
    model_config = SettingsConfigDict(env_prefix="HOTLINE_ASTERISK_")


def _options(cls: type, name: str) -> type[HomeSettings]:
    """A settings class with a field per field of the dataclass `cls` (same type and default)."""
    fields: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.default is dataclasses.MISSING:
            raise TypeError(f"{cls.__name__}.{f.name} needs a default to be read from the environment")
        fields[f.name] = (type(f.default), f.default)
    model: type[HomeSettings] = create_model(  # type: ignore[call-overload]
        name, __base__=_AdapterOptions, __doc__=f"HOTLINE_ASTERISK_<FIELD> of {cls.__name__}", **fields)
    return model


ChannelSettings = _options(ChannelConfig, "ChannelSettings")
ControlSettings = _options(ControlConfig, "ControlSettings")


def channel_config(settings: Any) -> ChannelConfig:
    return ChannelConfig(**ChannelSettings.of(settings).model_dump())


def control_config(settings: Any) -> ControlConfig:
    return ControlConfig(**ControlSettings.of(settings).model_dump())
