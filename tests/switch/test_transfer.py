"""An agent's transfer goes through the switch (`SwitchApi.transfer`): the switch decides a local queue
or a handoff to another deployment and asks the ACD to re-queue the call or let it go; the outbound
HTTP client is an adapter (`HandoffSender`), faked here."""

from __future__ import annotations

import json

import pytest

from agents.domain import AcdError
from hotline.platform import Platform
from switch import handoff as hf
from switch.api import TransferError
from tests.agents.conftest import Recorder, add_agent, call


class Sender:
    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.sent: list[tuple[str, dict, dict[str, str]]] = []

    def send(self, base_url: str, body: bytes, headers: dict[str, str]) -> dict:
        if self.fail:
            raise hf.HandoffError("remote", "connection refused")
        self.sent.append((base_url, json.loads(body), headers))
        return {"token": "tok-1", "code": "12345678", "center_code": "44", "queue_id": "44-pension",
                "expires_at": "2026-12-06T10:10:00+00:00"}


@pytest.fixture
def on_call(platform: Platform) -> tuple[Platform, int]:
    platform.switch.ensure_directory()
    agent = add_agent(platform, "bj", "11", ("pension",), ready=True)
    platform.agents.enqueue(call("c1", "11-pension", context={"ivr_path": ["1", "2"], "verified": True}))
    platform.agents.accept(agent, "c1")
    return platform, agent


def remote(platform: Platform, sender: Sender) -> None:
    platform.switch.update_center("44", mode="remote", base_url="https://gd.example", trunk="PJSIP/trunk-gd")
    platform.switch.dispatch.handoff_sender = sender  # type: ignore[attr-defined]


def test_local_transfer_requeues_the_call_here(on_call: tuple[Platform, int]) -> None:
    platform, agent = on_call
    result = platform.switch.transfer(agent, "c1", center_code="44", notes="参保地在广东")
    assert result == {"kind": "local", "center_code": "44", "queue_id": "44-pension", "trunk": None, "ticket": None}
    assert platform.agents.call_status("c1").state == "waiting"
    assert platform.agents.call_context("c1")["journey"] == ["11-pension", "44-pension"]
    assert platform.agents.agent_status(agent).state == "wrap_up"


def test_transfer_to_another_deployment_sends_the_signed_context_and_ends_the_call_here(
        on_call: tuple[Platform, int]) -> None:
    platform, agent = on_call
    sender = Sender()
    remote(platform, sender)
    events = Recorder(platform)
    result = platform.switch.transfer(agent, "c1", center_code="44", notes="转广东")
    assert result["kind"] == "remote" and result["trunk"] == "PJSIP/trunk-gd" and result["ticket"]["token"] == "tok-1"
    [(url, body, headers)] = sender.sent
    assert url == "https://gd.example" and body["from_center"] == "11" and body["to_center"] == "44"
    assert body["context"]["agent_notes"] == [{"agent_id": agent, "text": "转广东"}]
    assert body["context"]["ivr_path"] == ["1", "2"] and body["context"]["topic"] == "pension"
    assert headers[hf.HEADER_SIG] == hf.sign("test-handoff-secret", headers[hf.HEADER_TS], headers[hf.HEADER_NONCE],
                                             "POST", hf.PATH, hf.encode(body))
    assert platform.agents.call_status("c1").state == "ended"
    assert platform.agents.agent_status(agent).state == "wrap_up"
    assert events.of("acd.call.transferred")[0].data["ticket"]["code"] == "12345678"


def test_a_failed_handoff_leaves_the_call_connected(on_call: tuple[Platform, int]) -> None:
    platform, agent = on_call
    remote(platform, Sender(fail=True))
    with pytest.raises(TransferError) as err:
        platform.switch.transfer(agent, "c1", center_code="44")
    assert err.value.code == "handoff_failed"
    assert platform.agents.call_status("c1").state == "connected"
    assert platform.agents.agent_status(agent).state == "on_call"


def test_refused_transfers(on_call: tuple[Platform, int]) -> None:
    platform, agent = on_call
    sender = Sender()
    remote(platform, sender)
    with pytest.raises(TransferError) as err:
        platform.switch.transfer(agent, "c1", center_code="98")
    assert err.value.code == "unknown_center"
    with pytest.raises(AcdError) as refused:  # not this agent's call: nothing is sent anywhere
        platform.switch.transfer(agent + 1, "c1", center_code="44")
    assert refused.value.code == "not_on_call" and not sender.sent
    assert platform.agents.call_status("c1").state == "connected"
