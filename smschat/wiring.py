"""Builds `platform.smschat`."""

from __future__ import annotations

from smschat.api import SmsChatHost
from smschat.config import ChatConfig
from smschat.service import SmsChatService


def build(platform: SmsChatHost) -> SmsChatService:
    return SmsChatService(platform, ChatConfig())
