"""Settings of switch/ (hours), read by pydantic-settings; see core/settings.py."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from core.settings import HomeSettings


class SwitchSettings(HomeSettings):
    """SWITCH_HOLIDAY_EXEMPT (settings.extra switch_holiday_exempt), HOTLINE_DEMO_OPEN_24H (demo_open_24h)."""

    model_config = SettingsConfigDict(env_prefix="SWITCH_")

    # centers whose hours ignore the public-holiday calendar, e.g. "00"
    holiday_exempt: str = ""
    # demo mode only: every center takes calls around the clock (`make run` sets it)
    demo_open_24h: bool = Field(False, validation_alias="HOTLINE_DEMO_OPEN_24H")

    def exempt_centers(self) -> frozenset[str]:
        return frozenset(c.strip() for c in self.holiday_exempt.split(",") if c.strip())
