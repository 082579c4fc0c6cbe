"""Builds `platform.switch`."""

from __future__ import annotations

from typing import Any

from switch.service import SwitchService


def build(platform: Any) -> SwitchService:
    return SwitchService(platform)
