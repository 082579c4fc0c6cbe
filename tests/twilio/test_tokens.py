"""The console hands a logged-in agent a Twilio Voice access token for the browser."""

from __future__ import annotations

import jwt
import pytest

from ivr.twilio.config import TwilioConfig
from ivr.twilio.tokens import TokensNotConfigured, voice_token
from tests.twilio.conftest import ACCOUNT_SID, PUBLIC_URL

PASSWORD = "a-long-password-1"


def login(client, platform, username: str, roles: list[str], endpoint: str | None = "") -> int:  # type: ignore[no-untyped-def]
    """Log a new console user in; with `endpoint` not None the user also gets an ACD agent profile."""
    user = platform.accounts.create_user(username, PASSWORD, roles)
    if endpoint is not None and "agent" in roles:
        platform.switch.ensure_directory()
        platform.agents.create_agent(user.id, name=username, center_code="11", skills=["pension"],
                                     endpoint=endpoint or None)
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return int(user.id)


def test_agent_gets_a_voice_token_for_their_client_identity(client, platform, twilio_env) -> None:  # type: ignore[no-untyped-def]
    user_id = login(client, platform, "agent7", ["agent"], endpoint="client:bj-agent-07")
    response = client.get("/twilio/token")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    claims = jwt.decode(body["token"], twilio_env["TWILIO_API_KEY_SECRET"], algorithms=["HS256"])
    assert claims["iss"] == twilio_env["TWILIO_API_KEY_SID"] and claims["sub"] == ACCOUNT_SID
    assert claims["exp"] - claims["nbf"] == body["ttl"] == 3600
    grants = claims["grants"]
    assert grants["identity"] == body["identity"] == "bj-agent-07"
    assert grants["voice"]["incoming"] == {"allow": True}
    assert grants["voice"]["outgoing"]["application_sid"] == twilio_env["TWILIO_TWIML_APP_SID"]
    entries = platform.audit.entries(action="twilio.token")
    assert entries and entries[0].actor == f"user:{user_id}"


def test_token_is_signed_with_the_api_key_secret(client, platform) -> None:  # type: ignore[no-untyped-def]
    login(client, platform, "agent8", ["agent"])
    token = client.get("/twilio/token").get_json()["token"]
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, "some-other-secret-of-32-bytes-or-more", algorithms=["HS256"])


def test_desk_phone_agent_gets_the_identity_the_fallback_dial_rings(client, platform) -> None:  # type: ignore[no-untyped-def]
    user_id = login(client, platform, "agent10", ["agent"])  # endpoint defaults to PJSIP/agent-<id>
    agent = platform.agents.agent_for_user(user_id)
    assert agent.endpoint == f"PJSIP/agent-{agent.id}"
    assert client.get("/twilio/token").get_json()["identity"] == f"agent-{agent.id}"


def test_only_agents_get_tokens(client, platform) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/twilio/token").status_code in (302, 401)
    login(client, platform, "editor1", ["editor"])
    assert client.get("/twilio/token").status_code == 403


def test_agent_role_without_acd_profile_is_refused(client, platform) -> None:  # type: ignore[no-untyped-def]
    login(client, platform, "agent11", ["agent"], endpoint=None)
    response = client.get("/twilio/token")
    assert response.status_code == 403 and "agent profile" in response.get_json()["error"]


def test_without_api_key_the_endpoint_says_what_is_missing(client, platform, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("TWILIO_API_KEY_SECRET")
    monkeypatch.setattr(platform, "settings", platform.settings.model_copy())  # the homes' read once per Settings
    from web.app import create_app

    client = create_app(platform, {"TESTING": True, "WTF_CSRF_ENABLED": False}).test_client()
    login(client, platform, "agent9", ["agent"])
    response = client.get("/twilio/token")
    assert response.status_code == 503 and "TWILIO_API_KEY_SECRET" in response.get_json()["error"]


def test_voice_token_refuses_without_configuration() -> None:
    with pytest.raises(TokensNotConfigured):
        voice_token(TwilioConfig(account_sid=ACCOUNT_SID, auth_token="t", public_url=PUBLIC_URL), "agent-1")
