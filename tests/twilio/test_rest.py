"""Twilio's REST client pointed at the local fake: call updates and SMS, with Twilio's auth and errors."""

from __future__ import annotations

import pytest
from twilio.base.exceptions import TwilioRestException

from ivr.twilio.config import TwilioConfig
from ivr.twilio.rest import CallControl, make_client
from tests.support.emulators.twilio import FakeTwilioApi, new_sid
from tests.twilio.conftest import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_URL

TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response><Dial><Client>agent-1</Client></Dial></Response>'


def config_for(api: FakeTwilioApi, token: str = AUTH_TOKEN) -> TwilioConfig:
    return TwilioConfig(account_sid=ACCOUNT_SID, auth_token=token, public_url=PUBLIC_URL, api_base=api.url)


def test_update_twiml_reaches_the_call_resource_with_basic_auth(fake_api: FakeTwilioApi) -> None:
    sid = new_sid("CA")
    fake_api.add_call(sid)
    assert CallControl(config_for(fake_api)).update_twiml(sid, TWIML)
    request = fake_api.requests[-1]
    assert (request.method, request.path) == ("POST", f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls/{sid}.json")
    assert request.user == ACCOUNT_SID and request.form == {"Twiml": TWIML}
    assert fake_api.calls[sid].twiml == [TWIML]


def test_wrong_credentials_unknown_and_finished_calls_are_reported_not_raised(fake_api: FakeTwilioApi,
                                                                              caplog) -> None:  # type: ignore[no-untyped-def]
    sid = new_sid("CA")
    fake_api.add_call(sid)
    assert not CallControl(config_for(fake_api, token="wrong")).update_twiml(sid, TWIML)
    assert fake_api.requests[-1].user is None and fake_api.calls[sid].twiml == []
    assert not CallControl(config_for(fake_api)).update_twiml(new_sid("CA"), TWIML)
    fake_api.calls[sid].status = "completed"
    assert not CallControl(config_for(fake_api)).update_twiml(sid, TWIML)
    codes = [r.getMessage() for r in caplog.records if "update failed" in r.getMessage()]
    assert ["code=20003" in codes[0], "code=20404" in codes[1], "code=21220" in codes[2]] == [True] * 3


def test_hangup_completes_the_call(fake_api: FakeTwilioApi) -> None:
    sid = new_sid("CA")
    fake_api.add_call(sid)
    assert CallControl(config_for(fake_api)).hangup(sid)
    assert fake_api.calls[sid].status == "completed"


def test_unreachable_api_is_reported_not_raised() -> None:
    with FakeTwilioApi(ACCOUNT_SID, AUTH_TOKEN) as api:
        config = config_for(api)
    assert not CallControl(config).update_twiml("CA" + "0" * 32, TWIML)  # server is gone


def test_sms_through_the_same_client_reaches_the_fake(fake_api: FakeTwilioApi) -> None:
    client = make_client(config_for(fake_api))
    message = client.messages.create(to="+8613812345678", from_="+861012333", body="您的验证码是123456。")
    assert message.sid.startswith("SM") and message.status == "queued"
    assert fake_api.messages[-1]["body"] == "您的验证码是123456。"
    with pytest.raises(TwilioRestException) as err:
        client.messages.create(to="+8613812345678", from_="+861012333", body="")
    assert err.value.code == 21602


def test_unconfigured_client_is_a_clear_error() -> None:
    with pytest.raises(RuntimeError, match="TWILIO_ACCOUNT_SID"):
        make_client(TwilioConfig(account_sid=None, auth_token=None, public_url=PUBLIC_URL))
