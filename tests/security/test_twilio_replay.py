"""Item 12: a replayed signed Twilio SMS webhook (same MessageSid) is processed once; voice webhooks
repeat the current TwiML for a replayed CallSid+step (ivr/twilio/voice.py) and are covered there."""

from __future__ import annotations

from sqlalchemy import func, select

from hotline.platform import Platform
from sms.models import InboundMessage, OutboxMessage
from tests.sms.test_webhooks import _sign, signed_platform, webhook_app  # noqa: F401


def test_a_replayed_sms_webhook_is_processed_once(signed_platform: Platform) -> None:  # noqa: F811
    platform = signed_platform
    client = webhook_app(platform).test_client()
    form = {"From": "+8613800138000", "Body": "失业金怎么领", "MessageSid": "SM0123456789abcdef"}
    headers = {"X-Twilio-Signature": _sign("/webhooks/twilio/sms", form)}
    for _ in range(4):
        assert client.post("/webhooks/twilio/sms", data=form, headers=headers).status_code == 200
    with platform.db.session() as s:
        assert s.execute(select(func.count()).select_from(InboundMessage)).scalar_one() == 1
        replies = s.execute(select(func.count()).select_from(OutboxMessage)
                            .where(OutboxMessage.recipient == "+8613800138000")).scalar_one()
    assert replies <= 1
    other = {**form, "MessageSid": "SM-other"}
    client.post("/webhooks/twilio/sms", data=other,
                headers={"X-Twilio-Signature": _sign("/webhooks/twilio/sms", other)})
    with platform.db.session() as s:
        assert s.execute(select(func.count()).select_from(InboundMessage)).scalar_one() == 2
