"""Callbacks over Twilio: an accepted callback is dialled with the REST API; when the citizen answers,
Twilio fetches the callback URL and the agent is bridged, and the callback is done; no answer goes to
the retry policy."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from tests.twilio.conftest import PUBLIC_URL, make_agent


def _accepted_callback(platform, bridge, fake_api, twilio_env):  # type: ignore[no-untyped-def]
    from agents.domain import QueuedCall

    platform.agents.enqueue(QueuedCall(call_id="gone-1", queue_id="11-general", center_code="11", topic="general",
                                       caller="13910001234"))
    platform.clock.advance(30)
    platform.agents.abandon("gone-1")
    missed = platform.agents.callbacks(status="pending")[0]
    call_id = platform.agents.dial_callback(missed["id"]).call_id
    agent = make_agent(platform, "bj-cb-01", endpoint="client:bj-cb-01")
    platform.agents.login(agent)
    platform.agents.set_ready(agent)
    platform.agents.accept(agent, call_id)
    bridge.drain_now()
    created = [r for r in fake_api.requests if r.path.endswith("/Calls.json") and r.method == "POST"]
    assert len(created) == 1
    form = created[0].form
    assert form["To"] == "+8613910001234" and form["From"] == twilio_env["TWILIO_CALLER_ID"]
    assert parse_qs(urlsplit(form["Url"]).query)["call_id"] == [call_id]
    sid = next(c.sid for c in fake_api.calls.values() if c.direction == "outbound-api")
    return call_id, agent, form, sid


def test_an_accepted_callback_rings_the_citizen_and_bridges_the_agent(hotline, make_call, bridge, fake_api,
                                                                     twilio_env) -> None:
    platform = hotline
    _, agent, form, sid = _accepted_callback(platform, bridge, fake_api, twilio_env)
    assert platform.agents.callbacks(status="dialling")  # not done before the citizen answers
    citizen = make_call(call_sid=sid, from_=twilio_env["TWILIO_CALLER_ID"], to="+8613910001234")
    code, _ = citizen.webhook(form["Url"], status="in-progress")  # the citizen picked up
    assert code == 200 and "回电已接通" in "".join(citizen.said())
    assert citizen.dial_target() == ("Client", "bj-cb-01")
    assert [c["outcome"] for c in platform.agents.callbacks(status="done")] == ["reached"]
    citizen.webhook(form["StatusCallback"], status="completed")  # they talked, then hung up
    assert platform.agents.agent_status(agent).state == "wrap_up"


def test_no_answer_goes_to_the_retry_policy(hotline, make_call, bridge, fake_api, twilio_env) -> None:
    platform = hotline
    _, agent, form, sid = _accepted_callback(platform, bridge, fake_api, twilio_env)
    citizen = make_call(call_sid=sid, from_=twilio_env["TWILIO_CALLER_ID"], to="+8613910001234")
    assert form["StatusCallback"].startswith(PUBLIC_URL + "/twilio/voice/callback/status")
    citizen.webhook(form["StatusCallback"], status="no-answer")
    (retry,) = platform.agents.callbacks(status="retry")
    assert retry["outcome"] == "no_answer" and retry["attempts"] == 1
    assert platform.agents.agent_status(agent).state == "not_ready"  # freed, with the reason shown
    citizen.webhook(form["StatusCallback"], status="no-answer")  # a repeated callback changes nothing
    assert len(platform.agents.callbacks(status="retry")) == 1
