"""Which agent endpoints can carry which calls: an Asterisk call can only be bridged to a softphone
Asterisk can dial (`PJSIP/agent-7`), a Twilio call only to a Twilio client (`client:agent-7`) or a
number/SIP URI Twilio dials. Calls of other channels (the simulator, the CLI) take any agent."""

from __future__ import annotations

ASTERISK_TECHS = ("PJSIP/", "SIP/", "IAX2/", "DAHDI/", "Local/", "WebRTC/")


def fits(channel: str | None, endpoint: str | None) -> bool:
    endpoint = endpoint or ""
    if channel == "asterisk":
        return endpoint.startswith(ASTERISK_TECHS) and len(endpoint.split("/", 1)[1]) > 0
    if channel == "twilio":
        return endpoint.startswith(("client:", "sip:", "+"))
    return True
