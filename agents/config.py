"""Settings of agents/ (the ACD's timing and callback policy), read by pydantic-settings; see
core/settings.py. Tests override them through `Settings.extra` (`acd_offer_timeout`, ...)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from core.settings import HomeSettings


class AcdSettings(HomeSettings):
    """HOTLINE_ACD_<FIELD>."""

    model_config = SettingsConfigDict(env_prefix="HOTLINE_ACD_")

    offer_timeout: float = Field(15, gt=0)  # s an offered call rings before it returns to the queue
    wrapup_seconds: float = Field(30, ge=0)  # wrap-up timer after a call
    sl_seconds: int = Field(15, gt=0)  # service-level threshold (GB/T 33358: answered within 15 s)
    missed_after: float = Field(20, ge=0)  # s waited before an abandoned call goes to the callback list
    callback_attempts: int = Field(3, ge=1)  # tries of a callback before it is given up
    callback_spacing: float = Field(600, gt=0)  # s between two tries
    callback_unreachable_sms: bool = False  # an SMS to a caller no try reached
