"""The conversation channel's table: the keyword commands (seeded from `keywords.yaml`)."""

from __future__ import annotations

from sqlalchemy import Boolean, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base


class Keyword(Base):
    """An inbound keyword command (`CX`, `TD` ...) and the action it triggers."""

    __tablename__ = "smschat_keywords"

    keyword: Mapped[str] = mapped_column(String(16), primary_key=True)
    action: Mapped[str] = mapped_column(String(32))
    reply: Mapped[str | None] = mapped_column(Text, nullable=True)
    description: Mapped[str] = mapped_column(String(200), default="")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
