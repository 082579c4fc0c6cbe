"""Builds `platform.sms`."""

from __future__ import annotations

from typing import Any

from sms.config import from_env
from sms.service import SmsService


def build(platform: Any) -> SmsService:
    return SmsService(platform, from_env(platform.settings))
