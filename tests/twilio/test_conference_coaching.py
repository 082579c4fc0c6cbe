"""TWILIO_AGENT_LEG=conference: caller and agent meet in a conference named after the call, and a
supervisor joins it from the console to listen (muted), whisper (coaching: only the agent hears) or
barge (both hear) — the fake API mixes the conference as Twilio does. An agent leg that never answers
sends the caller on; the console's hang-up ends the conference."""

from __future__ import annotations

import pytest

from ivr.twilio.signature import HEADER, sign
from ivr.twilio.twiml import conference_name
from ivr.twilio.voice import PATH_CONFERENCE_AGENT
from tests.support.emulators.twilio import voice_params
from tests.twilio.conftest import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_URL, make_agent
from tests.twilio.test_tokens import PASSWORD
from tests.twilio.test_whole_call import follow_until_dial, queue_caller


@pytest.fixture
def conference_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWILIO_AGENT_LEG", "conference")


@pytest.fixture(autouse=True)
def with_supervisor_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("web.app.BLUEPRINTS", ("web.auth", "web.twilio", "web.agent", "web.supervisor",
                                                   "web.api"))


def _connected(platform, make_call, bridge):  # type: ignore[no-untyped-def]
    agent_id = make_agent(platform, "bj-conf-51", endpoint="client:bj-conf-51")
    call = queue_caller(make_call)
    platform.agents.login(agent_id)
    platform.agents.set_ready(agent_id)
    platform.agents.accept(agent_id, call.sid)
    bridge.drain_now()
    follow_until_dial(call)
    return agent_id, call


def _supervisor(app, platform):  # type: ignore[no-untyped-def]
    """A supervisor whose own profile reaches them on Twilio at client:sup-conf-9 (on Asterisk, PJSIP/sup-9)."""
    user = platform.accounts.create_user("sup-conf", PASSWORD, ["supervisor"], province_scope="11")
    platform.agents.create_agent(user.id, name="sup-conf", center_code="11", skills=["general"],
                                 endpoint="PJSIP/sup-9", endpoints={"twilio": "client:sup-conf-9"})
    client = app.test_client()
    assert client.post("/login", data={"username": "sup-conf", "password": PASSWORD}).status_code in (200, 302)
    return client


def test_supervisor_listens_whispers_and_barges_into_the_calls_conference(  # type: ignore[no-untyped-def]
        conference_env, hotline, make_call, bridge, fake_api, app) -> None:
    platform = hotline
    agent_id, call = _connected(platform, make_call, bridge)
    room = conference_name(call.sid)
    conference = call.find("Conference")
    assert conference is not None and conference.text == room and conference.get("endConferenceOnExit") == "true"
    agent_leg = fake_api.participant(room, "agent")
    assert agent_leg is not None and fake_api.calls[agent_leg.call_sid].to == "client:bj-conf-51"
    assert fake_api.heard_by(room, "caller") == {"agent"} and fake_api.heard_by(room, "agent") == {"caller"}

    sup = _supervisor(app, platform)
    for mode, endpoint in (("listen", None), ("whisper", "client:sup-conf-2"), ("barge", "+8613900001111")):
        form = {"mode": mode} | ({"endpoint": endpoint} if endpoint else {})
        answer = sup.post(f"/api/v1/supervisor/calls/{call.sid}/monitor", json=form)
        assert answer.status_code == 200, answer.json
        bridge.drain_now()
        leg = fake_api.participant(room, f"supervisor-{mode}")
        assert leg is not None and fake_api.calls[leg.call_sid].to == (endpoint or "client:sup-conf-9")

    assert fake_api.heard_by(room, "supervisor-listen") == {"caller", "agent", "supervisor-barge"}
    assert fake_api.heard_by(room, "caller") == {"agent", "supervisor-barge"}  # not the listener, not the coach
    assert fake_api.heard_by(room, "agent") == {"caller", "supervisor-whisper", "supervisor-barge"}
    coach = fake_api.participant(room, "supervisor-whisper")
    assert coach is not None and coach.coaching and coach.call_sid_to_coach == agent_leg.call_sid
    audit = platform.audit.entries(action="acd.monitor.whisper")
    assert len(audit) == 1 and audit[0].detail["via"] == "twilio" and audit[0].subject == f"call:{call.sid}"

    platform.agents.hold(agent_id, call.sid)  # the console's hold: the caller's leg is held in the conference
    bridge.drain_now()
    assert fake_api.participant(room, "caller").hold and fake_api.heard_by(room, "caller") == set()
    assert "caller" not in fake_api.heard_by(room, "agent") and "agent" in fake_api.heard_by(room, "supervisor-listen")
    platform.agents.resume(agent_id, call.sid)
    bridge.drain_now()
    assert fake_api.heard_by(room, "caller") == {"agent", "supervisor-barge"}

    platform.agents.end_call(call.sid, "agent_hangup")  # the console's hang-up
    bridge.drain_now()
    assert call.verbs() == ["Redirect"] and room not in fake_api.conferences  # the caller left: it ended
    call.wait()
    assert call.find("Gather") is not None  # the survey
    assert platform.agents.agent_status(agent_id).state == "wrap_up"


def test_an_agent_leg_that_never_answers_sends_the_caller_back_to_the_queue(  # type: ignore[no-untyped-def]
        conference_env, hotline, make_call, bridge, fake_api, client) -> None:
    platform = hotline
    agent_id, call = _connected(platform, make_call, bridge)
    create = next(r for r in fake_api.requests if r.path.endswith("/Participants.json"))
    status_url = create.form["StatusCallback"]
    assert PATH_CONFERENCE_AGENT in status_url and create.form["Label"] == "agent"
    agent_sid = fake_api.participant(conference_name(call.sid), "agent").call_sid

    def agent_leg_ended(sid: str, status: str) -> int:
        params = voice_params(sid, ACCOUNT_SID, status=status, direction="outbound-api")
        path = status_url.removeprefix(PUBLIC_URL)
        return client.post(path, data=params, headers={HEADER: sign(AUTH_TOKEN, status_url, params)}).status_code

    pushed = call.pushed
    assert agent_leg_ended("CA" + "9" * 32, "no-answer") == 204 and call.pushed == pushed  # not this call's agent
    assert agent_leg_ended(agent_sid, "no-answer") == 204
    assert call.pushed == pushed + 1 and "agent=no-answer" in (call.find("Redirect").text or "")
    call.wait()
    assert "评价" not in "".join(call.said())  # no survey: the caller waits for the next agent
    status = platform.agents.call_status(call.sid)
    assert status.state in ("waiting", "offered") and platform.agents.agent_status(agent_id).state != "on_call"


def test_monitoring_or_holding_a_twilio_call_without_conference_legs_is_refused(  # type: ignore[no-untyped-def]
        hotline, make_call, bridge, fake_api, app) -> None:
    platform = hotline
    _, call = _connected(platform, make_call, bridge)
    assert call.find("Client") is not None  # the default: <Dial><Client>
    agent = app.test_client()
    assert agent.post("/login", data={"username": "bj-conf-51", "password": PASSWORD}).status_code in (200, 302)
    panel = agent.get(f"/api/v1/agent/calls/{call.sid}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'id="hold-unlinked"' in panel and "TWILIO_AGENT_LEG=conference" in panel
    assert 'id="voice-unlinked"' not in panel  # transfer and hang-up do reach a <Dial> leg
    held = agent.post("/api/v1/agent/hold")
    assert held.status_code == 422 and "TWILIO_AGENT_LEG=conference" in held.json["error"]
    assert platform.agents.call_status(call.sid).state == "connected"  # not "held" while the caller hears all
    answer = _supervisor(app, platform).post(f"/api/v1/supervisor/calls/{call.sid}/monitor",
                                             json={"mode": "listen", "endpoint": "client:sup-conf-1"})
    assert answer.status_code == 422 and "TWILIO_AGENT_LEG=conference" in answer.json["error"]
    assert not fake_api.conferences and not platform.audit.entries(action="acd.monitor.listen")
