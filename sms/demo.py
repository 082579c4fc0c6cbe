"""Demo data for SMS: the templates other homes use and the inbound keyword commands (idempotent).
The demo node's provider is `log` unless HOTLINE_SMS_PROVIDERS says otherwise, so nothing is sent."""

from __future__ import annotations

from sms.api import SmsHost
from sms.inbound import default_commands
from sms.models import Keyword


def seed_keywords(platform: SmsHost) -> int:
    created = 0
    with platform.db.session() as s:
        for cmd in default_commands():
            if s.get(Keyword, cmd.keyword) is None:
                s.add(Keyword(keyword=cmd.keyword, action=cmd.action, reply=cmd.reply,
                              description=cmd.description, enabled=True))
                created += 1
    return created


def load_demo(platform: SmsHost) -> str:
    sms = platform.sms
    templates = sms.templates.seed_defaults()
    keywords = seed_keywords(platform)
    providers = ",".join(sms.config.providers)
    return (f"sms: {len(sms.templates.all())} templates ({templates} new), {keywords} new keyword commands, "
            f"providers {providers}")
