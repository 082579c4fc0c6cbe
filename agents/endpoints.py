"""Which agent endpoints can carry which calls. An Asterisk call can only be bridged to a softphone
Asterisk can dial (`PJSIP/agent-7`, not a Twilio `client:agent-7`). A Twilio call reaches every agent:
Twilio dials `client:`/`sip:`/number endpoints as they are and anything else on the agent's browser
identity (ivr/twilio/twiml.py `endpoint_target`). Calls of other channels (simulator, CLI) take any agent."""

from __future__ import annotations

import json
from collections.abc import Mapping

ASTERISK_TECHS = ("PJSIP/", "SIP/", "IAX2/", "DAHDI/", "Local/", "WebRTC/")


#: the voice channels an agent may have an endpoint of its own for (others use the default endpoint)
CHANNELS = ("asterisk", "twilio")


def for_channel(channel: str | None, default: str | None, per_channel: Mapping[str, str] | str | None) -> str:
    """The endpoint that carries `channel`'s calls to an agent: the one set for that channel, else the
    default. `per_channel` is the profile's map or its JSON form (as kept in the real-time state)."""
    table = json.loads(per_channel or "{}") if isinstance(per_channel, str) else per_channel
    return str((table or {}).get(channel or "") or default or "")


def all_of(default: str | None, per_channel: Mapping[str, str] | None) -> set[str]:
    """Every endpoint of an agent (to recognise a device whichever channel it serves)."""
    return {e for e in (default, *(per_channel or {}).values()) if e}


def fits(channel: str | None, endpoint: str | None) -> bool:
    if channel == "asterisk":
        endpoint = endpoint or ""
        return endpoint.startswith(ASTERISK_TECHS) and len(endpoint.split("/", 1)[1]) > 0
    return True
