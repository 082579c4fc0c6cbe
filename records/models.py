"""The platform's own records tables: citizens' 6-digit service passwords, stored only as argon2 hashes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime


class ServicePassword(Base):
    __tablename__ = "records_service_passwords"

    id_number: Mapped[str] = mapped_column(String(18), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    must_change: Mapped[bool] = mapped_column(Boolean, default=False)  # initial password issued at a counter
    source: Mapped[str] = mapped_column(String(20))  # demo | counter | phone
    set_at: Mapped[datetime] = mapped_column(UTCDateTime())


__all__ = ["ServicePassword"]
