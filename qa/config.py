"""Settings of qa/ (QA sampling defaults), read by pydantic-settings; see core/settings.py."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from core.settings import HomeSettings


class QaSettings(HomeSettings):
    """HOTLINE_QA_<FIELD>."""

    model_config = SettingsConfigDict(env_prefix="HOTLINE_QA_")

    sample_rate: float = Field(0.02, ge=0, le=1)
    sample_min: int = Field(2, ge=0)
    long_handle_s: float = Field(900, gt=0)
