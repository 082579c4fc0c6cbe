"""Builds `platform.switch`, with its outbound handoff adapter (HTTP)."""

from __future__ import annotations

from switch.api import SwitchHost
from switch.handoff_http import HttpHandoffSender
from switch.service import SwitchService


def build(platform: SwitchHost) -> SwitchService:
    return SwitchService(platform, handoff_sender=HttpHandoffSender())
