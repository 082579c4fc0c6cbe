"""Builds `platform.agents`."""

from __future__ import annotations

from typing import Any

from agents.service import AcdService


def build(platform: Any) -> AcdService:
    return AcdService(platform)
