"""The conversation channel's configuration (no environment variables: defaults, changed in tests)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any


@dataclass(frozen=True)
class ChatConfig:
    session_ttl: float = 600.0  # seconds a conversation (CX steps, the last answer for "1") is kept
    max_parts_per_message: int = 6  # a long answer is sent as several messages of at most this many parts

    def with_(self, **changes: Any) -> ChatConfig:
        return replace(self, **changes)
