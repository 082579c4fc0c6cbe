"""Cross-deployment transfer: two platforms, each with its own Flask app on a loopback port."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from werkzeug.serving import make_server

from core.clock import FakeClock
from core.state import MemoryStore
from hotline.platform import Platform
from switch import handoff as hf
from tests.agents.conftest import Recorder, add_agent, call, make_platform


class Deployment:
    def __init__(self, tmp: Path, clock: FakeClock, name: str) -> None:
        from web.app import create_app

        (tmp / name).mkdir()
        self.platform: Platform = make_platform(tmp / name, clock, MemoryStore(clock), node=name)
        self.server = make_server("127.0.0.1", 0, create_app(self.platform), threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)
        self.platform.close()


@pytest.fixture
def deployments(tmp_path: Path, clock: FakeClock) -> Iterator[tuple[Deployment, Deployment]]:
    national, guangdong = Deployment(tmp_path, clock, "national"), Deployment(tmp_path, clock, "guangdong")
    national.platform.switch.update_center("44", mode="remote", base_url=guangdong.url, trunk="PJSIP/trunk-gd")
    yield national, guangdong
    national.close()
    guangdong.close()


def test_agent_transfers_call_to_remote_deployment(deployments) -> None:  # type: ignore[no-untyped-def]
    national, guangdong = deployments
    a, b = national.platform, guangdong.platform
    rec_a, rec_b = Recorder(a), Recorder(b)
    decision = a.switch.route(caller="18620001234", topic="pension")
    assert decision.remote and decision.trunk == "PJSIP/trunk-gd"

    agent = add_agent(a, "qg", "00", ("pension",), ready=True)
    context = {"ivr_path": ["1", "3"], "verified": True, "verified_id_masked": "440106********1234"}
    a.agents.enqueue(call("A-1", "00-pension", caller="18620001234", context=context))
    a.agents.accept(agent, "A-1")
    result = a.switch.transfer(agent, "A-1", center_code="44", notes="参保地在广州，转广东中心")
    assert result["kind"] == "remote" and result["trunk"] == "PJSIP/trunk-gd"
    ticket = result["ticket"]
    assert ticket["center_code"] == "44" and ticket["queue_id"] == "44-pension"
    assert ticket["sip_header"] == f"X-Hotline-Handoff: {ticket['token']}" and len(ticket["code"]) == 8
    assert a.agents.call_status("A-1").state == "ended"
    assert rec_a.of("acd.call.transferred")[0].data["ticket"]["token"] == ticket["token"]

    # The call arrives at Guangdong over the trunk with the token in a SIP header.
    gd_agent = add_agent(b, "gd", "44", ("pension",), ready=True)
    status = b.switch.arrive("B-7", ticket["token"], caller="18620001234", channel="asterisk")
    assert status.state == "offered" and status.agent_id == gd_agent
    offer = rec_b.of("acd.call.offered")[0]
    assert offer.data["transferred_from"] == "00"
    ctx = b.agents.call_context("B-7")["context"]
    assert ctx["ivr_path"] == ["1", "3"] and ctx["verified"] is True and ctx["transferred_from"] == "00"
    assert ctx["agent_notes"] == [{"agent_id": agent, "text": "参保地在广州，转广东中心"}]
    assert ctx["remote_call_id"] == "A-1" and ctx["topic"] == "pension"
    # A token is good for one call only.
    assert b.switch.arrive("B-8", ticket["token"], caller=None, channel="asterisk") is None


def test_dialled_suffix_code_and_expiry(deployments, clock) -> None:  # type: ignore[no-untyped-def]
    national, guangdong = deployments
    result = national.platform.switch.hand_off("A-2", "44", topic="card", context={"ivr_path": ["6"]})
    code = result.ticket.code
    assert guangdong.platform.switch.claim_handoff(code, "B-2")["context"]["ivr_path"] == ["6"]
    late = national.platform.switch.hand_off("A-3", "44", topic="card", context={})
    clock.advance(11 * 60)
    assert guangdong.platform.switch.claim_handoff(late.ticket.token, "B-3") is None


def _post(url: str, body: bytes, headers: dict) -> requests.Response:
    return requests.post(url + hf.PATH, data=body, headers=headers, timeout=5)


def test_handoff_api_refuses_bad_signature_replay_and_stale(deployments, clock) -> None:  # type: ignore[no-untyped-def]
    _, guangdong = deployments
    body = hf.encode({"call_id": "X", "from_center": "00", "to_center": "44", "context": {"topic": "pension"}})
    headers = hf.signed_headers("test-handoff-secret", clock.time(), "POST", hf.PATH, body)
    assert _post(guangdong.url, body, headers).status_code == 201
    replay = _post(guangdong.url, body, headers)
    assert replay.status_code == 409 and replay.json()["error"] == "replay"
    forged = hf.signed_headers("wrong-secret", clock.time(), "POST", hf.PATH, body)
    assert _post(guangdong.url, body, forged).status_code == 401
    tampered = hf.signed_headers("test-handoff-secret", clock.time(), "POST", hf.PATH, body)
    assert _post(guangdong.url, body.replace(b"pension", b"medical"), tampered).status_code == 401
    stale = hf.signed_headers("test-handoff-secret", clock.time() - 400, "POST", hf.PATH, body)
    resp = _post(guangdong.url, body, stale)
    assert resp.status_code == 401 and resp.json()["error"] == "stale"
    wrong_center = hf.encode({"call_id": "Y", "from_center": "00", "to_center": "51"})
    guangdong.platform.switch.update_center("51", mode="remote", base_url="http://elsewhere", trunk="t")
    resp = _post(guangdong.url, wrong_center,
                 hf.signed_headers("test-handoff-secret", clock.time(), "POST", hf.PATH, wrong_center))
    assert resp.status_code == 400 and resp.json()["error"] == "invalid"
    missing = hf.encode({"call_id": "Z"})
    resp = _post(guangdong.url, missing, hf.signed_headers("test-handoff-secret", clock.time(), "POST", hf.PATH,
                                                           missing))
    assert resp.status_code == 400


def test_unreachable_remote_raises_clear_error(platform) -> None:
    platform.switch.update_center("51", mode="remote", base_url="http://127.0.0.1:9", trunk="PJSIP/trunk-sc")
    with pytest.raises(hf.HandoffError) as err:
        platform.switch.hand_off("c1", "51", topic="pension", context={})
    assert err.value.code == "remote"


def test_arrival_credits_the_earlier_wait_and_carries_the_notes(deployments, clock) -> None:  # type: ignore[no-untyped-def]
    national, guangdong = deployments
    b = guangdong.platform
    b.agents.enqueue(call("B-local", "44-pension", priority=1))  # a transfer that has waited 30 s here
    clock.advance(30)
    result = national.platform.switch.hand_off("A-9", "44", topic="pension", context={
        "waited_seconds": 120, "agent_notes": [{"agent_id": 5, "text": "已核实身份"}]})
    status = b.switch.arrive("B-9", result.ticket.token, caller=None, channel="asterisk")
    assert status.position == 0  # two minutes waited at the national center beat thirty seconds here
    assert b.agents.call_context("B-9")["notes"] == [{"agent_id": 5, "text": "已核实身份"}]
    fresh = national.platform.switch.hand_off("A-10", "44", topic="pension", context={})
    assert b.switch.arrive("B-10", fresh.ticket.token, caller=None, channel="asterisk").position == 2


def test_unknown_expired_and_used_references_are_refused_and_logged(deployments, clock, caplog) -> None:  # type: ignore[no-untyped-def]
    national, guangdong = deployments
    b = guangdong.platform
    refused = Recorder(b, "route.handoff.")
    assert b.switch.claim_arrival("B-20", "no-such-token", caller=None, channel="twilio") is None
    late = national.platform.switch.hand_off("A-21", "44", topic="card", context={})
    clock.advance(11 * 60)
    assert b.switch.claim_arrival("B-21", late.ticket.code, caller=None, channel="twilio") is None
    assert [e.data["reason"] for e in refused.of("route.handoff.refused")] == ["unknown", "expired"]
    assert "refused: expired" in caplog.text and late.ticket.code not in caplog.text  # never the whole reference
