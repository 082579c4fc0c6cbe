"""Demo data for SMS: the templates other homes use (idempotent). The demo node's provider is `log`
unless HOTLINE_SMS_PROVIDERS says otherwise, so nothing is sent."""

from __future__ import annotations

from sms.api import SmsHost


def load_demo(platform: SmsHost) -> str:
    sms = platform.sms
    templates = sms.templates.seed_defaults()
    providers = ",".join(sms.config.providers)
    return f"sms: {len(sms.templates.all())} templates ({templates} new), providers {providers}"
