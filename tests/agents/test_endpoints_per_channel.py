"""Issue 19 (admin: endpoint per channel): an agent whose default phone is a Twilio browser client can
also answer Asterisk calls on a softphone set for that channel; each call is offered with the endpoint
of its own channel, and a device of either endpoint is recognised. Both state stores."""

from __future__ import annotations

from typing import Any

import pytest

from agents.domain import AcdError
from tests.agents.conftest import add_agent, call


def test_each_channel_reaches_the_agent_on_its_own_endpoint(acd: Any) -> None:
    agent = add_agent(acd, "dual", "44", ("pension",), login=False)
    acd.agents.update_agent(agent, endpoint="client:dual")
    acd.agents.login(agent)
    acd.agents.set_ready(agent)
    acd.agents.enqueue(call("ast-1", "44-pension", context={"channel": "asterisk"}))
    assert acd.agents.call_status("ast-1").state == "waiting"  # a Twilio client cannot take an Asterisk call

    acd.agents.logout(agent)
    profile = acd.agents.update_agent(agent, endpoints={"asterisk": "PJSIP/dual"})
    assert profile.endpoint == "client:dual" and profile.endpoints == {"asterisk": "PJSIP/dual"}
    acd.agents.login(agent)
    acd.agents.set_ready(agent)
    offered = acd.agents.call_status("ast-1")
    assert offered.state == "offered" and offered.agent_endpoint == "PJSIP/dual"
    acd.agents.accept(agent, "ast-1")
    assert acd.agents.call_status("ast-1").agent_endpoint == "PJSIP/dual"
    acd.agents.end_call("ast-1")
    acd.agents.wrap_up(agent, "resolved")
    acd.agents.enqueue(call("tw-1", "44-pension", context={"channel": "twilio"}))
    assert acd.agents.call_status("tw-1").agent_endpoint == "client:dual"  # Twilio calls: the default

    assert acd.agents.device_state("PJSIP/dual", "in_use").agent_id == agent  # either endpoint names the agent
    assert acd.agents.device_state("client:dual", "in_use").agent_id == agent


def test_only_voice_channels_take_an_endpoint_of_their_own(acd: Any) -> None:
    agent = add_agent(acd, "odd", "44", ("pension",), login=False)
    with pytest.raises(AcdError):
        acd.agents.update_agent(agent, endpoints={"fax": "PJSIP/odd"})
    assert acd.agents.update_agent(agent, endpoints={"asterisk": "PJSIP/odd", "twilio": ""}).endpoints == \
        {"asterisk": "PJSIP/odd"}  # an empty one falls back to the default
