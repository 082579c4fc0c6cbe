"""Builds `platform.ivr`."""

from __future__ import annotations

from typing import Any

from ivr.service import IvrService


def build(platform: Any) -> IvrService:
    return IvrService(platform)
