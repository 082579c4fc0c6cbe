"""Builds `platform.agents`."""

from __future__ import annotations

from agents.api import AgentsHost
from agents.service import AcdService


def build(platform: AgentsHost) -> AcdService:
    return AcdService(platform)
