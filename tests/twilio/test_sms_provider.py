"""The SMS pipeline's Twilio provider against the same fake REST API the voice tests use."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.support.emulators.twilio import FakeTwilioApi
from tests.twilio.conftest import ACCOUNT_SID, PUBLIC_URL

providers = pytest.importorskip("sms.providers")
twilio_provider = pytest.importorskip("sms.providers.twilio")


def make_provider(platform):  # type: ignore[no-untyped-def]
    config = SimpleNamespace(twilio_from="+861012333", twilio_messaging_service_sid=None)
    return twilio_provider.TwilioProvider(platform=platform, config=config, name="twilio")


def outgoing(text: str, msg_id: int = 7):  # type: ignore[no-untyped-def]
    return providers.Outgoing(id=msg_id, to="+8613812345678", text=text, encoding="UCS-2", dedup_id=f"m{msg_id}")


def test_sms_reaches_the_fake_with_the_status_callback(platform, fake_api: FakeTwilioApi) -> None:  # type: ignore[no-untyped-def]
    sid = make_provider(platform).send(outgoing("【12333】您的验证码是246810，5分钟内有效。"))
    assert sid.startswith("SM") and fake_api.messages[-1]["sid"] == sid
    request = fake_api.requests[-1]
    assert request.path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json" and request.user == ACCOUNT_SID
    assert request.form["To"] == "+8613812345678" and request.form["From"] == "+861012333"
    assert request.form["Body"] == "【12333】您的验证码是246810，5分钟内有效。"
    assert request.form["StatusCallback"] == PUBLIC_URL + "/webhooks/twilio/sms/status"


def test_sms_errors_are_permanent_or_transient_as_twilio_says(platform, fake_api, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    provider = make_provider(platform)
    with pytest.raises(providers.ProviderError) as err:
        provider.send(outgoing(""))  # Twilio 21602: no body -> a resend cannot help
    assert err.value.permanent and "21602" in str(err.value)
    fake_api.auth_token = "rotated-token"  # Twilio 20003 until the configuration is fixed -> retry later
    with pytest.raises(providers.ProviderError) as err:
        make_provider(platform).send(outgoing("【12333】测试", msg_id=8))
    assert not err.value.permanent and "20003" in str(err.value)
