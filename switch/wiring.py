"""Builds `platform.switch`."""

from __future__ import annotations

from switch.api import SwitchHost
from switch.service import SwitchService


def build(platform: SwitchHost) -> SwitchService:
    return SwitchService(platform)
