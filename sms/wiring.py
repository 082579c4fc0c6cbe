"""Builds `platform.sms`."""

from __future__ import annotations

from sms.api import SmsHost
from sms.config import from_env
from sms.service import SmsService


def build(platform: SmsHost) -> SmsService:
    return SmsService(platform, from_env(platform.settings))
