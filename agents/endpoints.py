"""Which agent endpoints can carry which calls. An Asterisk call can only be bridged to a softphone
Asterisk can dial (`PJSIP/agent-7`, not a Twilio `client:agent-7`). A Twilio call reaches every agent:
Twilio dials `client:`/`sip:`/number endpoints as they are and anything else on the agent's browser
identity (ivr/twilio/twiml.py `endpoint_target`). Calls of other channels (simulator, CLI) take any agent."""

from __future__ import annotations

ASTERISK_TECHS = ("PJSIP/", "SIP/", "IAX2/", "DAHDI/", "Local/", "WebRTC/")


def fits(channel: str | None, endpoint: str | None) -> bool:
    if channel == "asterisk":
        endpoint = endpoint or ""
        return endpoint.startswith(ASTERISK_TECHS) and len(endpoint.split("/", 1)[1]) > 0
    return True
