"""Settings of tickets/ (work orders), read by pydantic-settings; see core/settings.py."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from core.settings import HomeSettings
from tickets.service import DEFAULT_DUE_WORKING_DAYS


class TicketsSettings(HomeSettings):
    """TICKETS_<FIELD>."""

    model_config = SettingsConfigDict(env_prefix="TICKETS_")

    due_working_days: int = Field(DEFAULT_DUE_WORKING_DAYS, ge=1)
