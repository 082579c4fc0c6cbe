"""Every voice webhook checks X-Twilio-Signature against the public URL; forgeries get 403 and a log line."""

from __future__ import annotations

import logging

import pytest

from ivr.twilio.signature import HEADER, is_valid, public_request_url, sign
from tests.support.emulators.twilio import new_sid, voice_params
from tests.twilio.conftest import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_URL

WEBHOOKS = ["/twilio/voice", "/twilio/voice/step?n=1", "/twilio/voice/dial?n=2", "/twilio/voice/status",
            "/twilio/voice/outbound"]
CALLER = "+8613812345678"


def _params(**extra: str) -> dict[str, str]:
    return voice_params(new_sid("CA"), ACCOUNT_SID, from_=CALLER, status="completed", CallDuration="35", **extra)


def test_public_url_keeps_the_raw_query_string() -> None:
    assert public_request_url("https://h.example/", "/twilio/voice/step", b"n=3&x=%E4%B8%AD") == \
        "https://h.example/twilio/voice/step?n=3&x=%E4%B8%AD"
    assert public_request_url("https://h.example", "/twilio/voice", "") == "https://h.example/twilio/voice"


def test_signature_covers_url_and_every_field() -> None:
    params = _params(Digits="1234")
    url = PUBLIC_URL + "/twilio/voice/step?n=1"
    good = sign(AUTH_TOKEN, url, params)
    assert is_valid(AUTH_TOKEN, url, params, good)
    assert not is_valid(AUTH_TOKEN, url, {**params, "Digits": "1235"}, good)
    assert not is_valid(AUTH_TOKEN, url.replace("n=1", "n=2"), params, good)
    assert not is_valid("another-token", url, params, good)
    assert not is_valid(None, url, params, good)  # no token configured: nothing passes
    assert not is_valid(AUTH_TOKEN, url, params, "")


def test_signed_status_callback_is_accepted(client) -> None:  # type: ignore[no-untyped-def]
    params = _params()
    headers = {HEADER: sign(AUTH_TOKEN, PUBLIC_URL + "/twilio/voice/status", params)}
    response = client.post("/twilio/voice/status", data=params, headers=headers)
    assert response.status_code == 204


def test_signature_with_the_explicit_default_port_is_accepted(client) -> None:  # type: ignore[no-untyped-def]
    params = _params()
    headers = {HEADER: sign(AUTH_TOKEN, "https://hotline.example.cn:443/twilio/voice/status", params)}
    assert client.post("/twilio/voice/status", data=params, headers=headers).status_code == 204


@pytest.mark.parametrize("path", WEBHOOKS)
def test_unsigned_request_gets_403_and_a_masked_log_line(client, caplog, path: str) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.WARNING, logger="web.twilio")
    response = client.post(path, data=_params())
    assert response.status_code == 403
    lines = [r.getMessage() for r in caplog.records if r.name == "web.twilio"]
    assert len(lines) == 1 and "unsigned" in lines[0] and path.split("?")[0] in lines[0]
    assert "138****5678" in lines[0] and CALLER not in lines[0] and "13812345678" not in lines[0]


@pytest.mark.parametrize("path", WEBHOOKS)
def test_forged_request_gets_403(client, caplog, path: str) -> None:  # type: ignore[no-untyped-def]
    params = _params()
    forged = sign("not-our-auth-token", PUBLIC_URL + path, params)
    response = client.post(path, data=params, headers={HEADER: forged})
    assert response.status_code == 403
    assert any("bad signature" in r.getMessage() for r in caplog.records)


def test_signature_for_another_host_is_refused(client) -> None:  # type: ignore[no-untyped-def]
    """The URL is rebuilt from public_url, not from the Host header an attacker controls."""
    params = _params()
    evil = sign(AUTH_TOKEN, "http://evil.example/twilio/voice/status", params)
    response = client.post("/twilio/voice/status", data=params, headers={HEADER: evil, "Host": "evil.example"})
    assert response.status_code == 403


def test_replayed_signature_with_changed_fields_is_refused(client) -> None:  # type: ignore[no-untyped-def]
    params = _params()
    headers = {HEADER: sign(AUTH_TOKEN, PUBLIC_URL + "/twilio/voice/status", params)}
    tampered = {**params, "CallStatus": "busy"}
    assert client.post("/twilio/voice/status", data=tampered, headers=headers).status_code == 403


def test_without_a_configured_auth_token_everything_is_refused(tmp_path, clock) -> None:  # type: ignore[no-untyped-def]
    from core.events import InProcessBus
    from core.state import MemoryStore
    from hotline.platform import Platform
    from tests.conftest import make_settings
    from web.app import create_app

    platform = Platform(make_settings(tmp_path, public_url=PUBLIC_URL), clock=clock, store=MemoryStore(clock),
                        bus=InProcessBus("n", clock))
    platform.migrate()
    try:
        client = create_app(platform, {"TESTING": True}).test_client()
        params = _params()
        headers = {HEADER: sign(AUTH_TOKEN, PUBLIC_URL + "/twilio/voice/status", params)}
        assert client.post("/twilio/voice/status", data=params, headers=headers).status_code == 403
    finally:
        platform.close()


def test_webhooks_are_exempt_from_csrf(platform, twilio_env) -> None:  # type: ignore[no-untyped-def]
    """With CSRF protection on (as in production) a signed webhook still gets through."""
    from web.app import create_app

    client = create_app(platform, {"TESTING": True, "WTF_CSRF_ENABLED": True}).test_client()
    params = _params()
    headers = {HEADER: sign(AUTH_TOKEN, PUBLIC_URL + "/twilio/voice/status", params)}
    assert client.post("/twilio/voice/status", data=params, headers=headers).status_code == 204
