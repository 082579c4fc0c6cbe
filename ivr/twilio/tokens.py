"""Twilio Voice access tokens for agents who answer in the browser (Voice JavaScript SDK)."""

from __future__ import annotations

from twilio.jwt.access_token import AccessToken
from twilio.jwt.access_token.grants import VoiceGrant

from ivr.twilio.config import TwilioConfig
from ivr.twilio.twiml import endpoint_target


class TokensNotConfigured(RuntimeError):
    pass


def voice_token(config: TwilioConfig, identity: str, *, ttl: int | None = None) -> str:
    """A signed JWT letting `identity` receive calls (`<Dial><Client>`) and, when a TwiML App is
    configured, place calls through it."""
    if not config.browser_configured:
        raise TokensNotConfigured(
            "browser agents need TWILIO_ACCOUNT_SID, TWILIO_API_KEY_SID and TWILIO_API_KEY_SECRET")
    token = AccessToken(config.account_sid, config.api_key_sid, config.api_key_secret,
                        identity=identity, ttl=ttl or config.token_ttl)
    token.add_grant(VoiceGrant(incoming_allow=True, outgoing_application_sid=config.twiml_app_sid))
    return str(token.to_jwt())


def agent_identity(config: TwilioConfig, agent_id: int, endpoint: str | None) -> str:
    """The client name `<Dial><Client>` rings for this agent, so the token must carry the same one.
    An agent whose endpoint is a desk phone still gets a browser identity (`agent-<id>`)."""
    kind, target = endpoint_target(endpoint, agent_id, config)
    return target if kind == "client" else config.client_identity(agent_id)
