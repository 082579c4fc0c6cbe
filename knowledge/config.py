"""Settings of knowledge/ (pydantic-settings; see core/settings.py): HOTLINE_KB_<FIELD>."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator
from pydantic_settings import SettingsConfigDict

from core.settings import HomeSettings

SemanticMode = Literal["use", "off"]
_ON = ("use", "1", "on", "true", "yes")
_OFF = ("off", "0", "false", "no")


def _semantic(value: object) -> object:
    text = str(value).strip().lower()
    return "use" if text in _ON else "off" if text in _OFF else value


class KnowledgeSettings(HomeSettings):
    """HOTLINE_KB_<FIELD>."""

    model_config = SettingsConfigDict(env_prefix="HOTLINE_KB_")

    # the semantic signal (knowledge/semantic.py): `use` adds USE sentence vectors to the ranking and
    # ships ranking-semantic.json; off by default because of its cost (~3 ms a search)
    semantic: Annotated[SemanticMode, BeforeValidator(_semantic)] = "off"
