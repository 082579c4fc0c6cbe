"""Builds `platform.ivr`."""

from __future__ import annotations

from ivr.api import IvrHost
from ivr.service import IvrService


def build(platform: IvrHost) -> IvrService:
    return IvrService(platform)
