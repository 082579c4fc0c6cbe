"""Settings of the web console, read by pydantic-settings (see core/settings.py)."""

from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from core.settings import HomeSettings


class WebSettings(HomeSettings):
    """HOTLINE_PROXY_FIX, HOTLINE_SSE_HEARTBEAT (the web address and threads are core settings)."""

    model_config = SettingsConfigDict(env_prefix="HOTLINE_")

    # behind a reverse proxy: trusted hops per header, e.g. "x_for=1,x_proto=1,x_host=1,x_prefix=1"
    proxy_fix: str = ""
    sse_heartbeat: float = Field(15.0, gt=0)  # seconds between keep-alive comments on an event stream

    @field_validator("proxy_fix")
    @classmethod
    def _proxy_fix(cls, value: str) -> str:
        from web.app import proxy_fix_options

        proxy_fix_options(value)
        return value
