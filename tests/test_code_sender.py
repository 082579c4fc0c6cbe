"""records' `CodeSender` port is met at the composition root by an adapter over the SMS gateway
(`hotline/adapters.py`): the code and the summary leave through the outbox with the gateway's templates
and categories, and records imports nothing of `sms/`."""

from __future__ import annotations

import pytest

from hotline.adapters import SmsCodeSender


def test_the_platform_sends_records_codes_through_the_outbox(platform) -> None:  # type: ignore[no-untyped-def]
    platform.sms.templates.seed_defaults()
    sender = platform.code_sender
    assert isinstance(sender, SmsCodeSender)
    sender.send_code("13900001234", "246810", minutes=5, session_id="call-1")
    sender.send_summary("13900001234", "个人账户余额52,300元。", session_id="call-1")
    code, summary = (platform.sms.status(m["id"]) for m in reversed(platform.sms.recent(2)))
    assert code["template"] == "verification_code" and code["category"] == "otp" and "246810" in code["text"]
    assert summary["template"] == "record_summary" and summary["category"] == "reply"
    assert "52,300" in summary["text"] and code["to"] == summary["to"] == "139****1234"


def test_a_gateway_failure_reaches_records_as_an_exception(platform) -> None:  # type: ignore[no-untyped-def]
    class Down:
        def send(self, *args: object, **kwargs: object) -> int:
            raise ConnectionError("provider down")

    sender = SmsCodeSender(lambda: Down())  # type: ignore[arg-type,return-value]
    with pytest.raises(ConnectionError):  # records turns it into a speakable outcome
        sender.send_code("13900001234", "1", minutes=5, session_id="s")
