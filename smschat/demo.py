"""Demo data for the SMS conversation channel: the keyword commands of `keywords.yaml` (idempotent)."""

from __future__ import annotations

from smschat.api import SmsChatHost
from smschat.models import Keyword
from smschat.service import default_commands


def seed_keywords(platform: SmsChatHost) -> int:
    created = 0
    with platform.db.session() as s:
        for cmd in default_commands():
            if s.get(Keyword, cmd.keyword) is None:
                s.add(Keyword(keyword=cmd.keyword, action=cmd.action, reply=cmd.reply,
                              description=cmd.description, enabled=True))
                created += 1
    return created


def load_demo(platform: SmsChatHost) -> str:
    return f"smschat: {seed_keywords(platform)} new keyword commands"
