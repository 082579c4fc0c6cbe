"""Two deployments over Twilio: the national one (HOTLINE_CENTER=00) routes a Guangdong-insured caller
to Guangdong's own deployment (44, its own database, the shared handoff secret). The national IVR posts
the signed handoff, dials the other deployment's SIP address with the reference in `X-Hotline-Handoff`;
Twilio delivers that header to the receiving `/twilio/voice` as `SipHeader_X-Hotline-Handoff`; the
receiving IVR claims it, greets the transferred caller, queues them and its agent sees the context."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from core.clock import FakeClock
from hotline.platform import Platform
from ivr.twilio.voice import PATH_INCOMING
from tests.deployments import Deployment, national_and_guangdong
from tests.records.conftest import core_file  # noqa: F401 - fixture
from tests.support.emulators.twilio import FakeTwilioApi, TwilioCallEmulator
from tests.twilio.conftest import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_URL, flask_post, make_agent

GD_TRUNK = "sip:12333@gd-hotline.example.cn"
TUESDAY_10 = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


def twilio_call(deployment: Deployment, api: FakeTwilioApi, **kwargs: Any) -> TwilioCallEmulator:
    return TwilioCallEmulator(flask_post(deployment.client), public_url=PUBLIC_URL, account_sid=ACCOUNT_SID,
                              auth_token=AUTH_TOKEN, api=api, **kwargs)


@pytest.fixture
def two(tmp_path: Path, clock: FakeClock, core_file: Path, twilio_env: dict,  # noqa: F811
        monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Deployment, Deployment, FakeTwilioApi]]:
    monkeypatch.setattr("web.app.BLUEPRINTS", ("web.auth", "web.twilio", "web.handoff"))
    clock.set(TUESDAY_10)
    with FakeTwilioApi(ACCOUNT_SID, AUTH_TOKEN) as api:
        national, guangdong = national_and_guangdong(
            tmp_path, clock, core_file, GD_TRUNK, twilio_account_sid=ACCOUNT_SID, twilio_auth_token=AUTH_TOKEN,
            twilio_api_base=api.url, public_url=PUBLIC_URL)
        yield national, guangdong, api
        national.close()
        guangdong.close()


def test_a_call_routed_to_guangdong_arrives_there_with_its_context(two) -> None:  # type: ignore[no-untyped-def]
    national, guangdong, api = two
    gd_agent = make_agent(guangdong.platform, "gd-twilio-01", center="44", endpoint="client:gd-twilio-01")

    decided: list = []
    national.platform.bus.subscribe(decided.append, ("route.decided",))
    # The citizen calls the national deployment: records (7), keeps the guessed Beijing (1), verifies, agent (0).
    call = twilio_call(national, api, from_="+8613901001234")
    call.start()
    for keys in ("7", "1", "44010619880315003*#", "1", "1", "135790#"):
        call.press(keys)
    assert any("身份验证成功" in text for text in call.said())
    call.press("0")
    for _ in range(3):  # "transferring" is played first, then the Dial
        if call.find("Dial") is not None:
            break
        call.wait()
    noun, target = call.dial_target()
    assert noun == "Sip" and target.startswith(GD_TRUNK + "?")
    token = parse_qs(urlsplit(target).query)["X-Hotline-Handoff"][0]
    route = next(e.data for e in decided if e.data.get("call_id") == call.sid)
    assert route["province"] == "44" and route["remote"] is True
    assert route["reasons"][0]["code"] == "insured_province"

    # Twilio delivers the SIP call to Guangdong's number with the custom header.
    arriving = twilio_call(guangdong, api, from_="+8613901001234", to="+862012333")
    code, _ = arriving.webhook(PUBLIC_URL + PATH_INCOMING, status="ringing",
                                  **{"SipHeader_X-Hotline-Handoff": token})
    assert code == 200
    said = "".join(arriving.said())
    assert "已由全国12333转接过来" in said and "请输入" not in said and "主菜单" not in said
    status = guangdong.platform.agents.call_status(arriving.sid)
    assert status.state == "waiting" and status.queue_id == "44-general"

    # Guangdong's agent gets the call; the screen pop shows where it came from and what is known.
    guangdong.platform.agents.login(gd_agent)
    guangdong.platform.agents.set_ready(gd_agent)
    assert guangdong.platform.agents.call_status(arriving.sid).state == "offered"
    ctx = guangdong.platform.agents.call_context(arriving.sid)["context"]
    assert ctx["transferred_from"] == "00" and ctx["remote_call_id"] == call.sid
    assert ctx["verified"] is True and ctx["verified_id_masked"].endswith("003X")
    assert "records_verify_password" in ctx["ivr_path"] and ctx["topic"] == "general"
    assert ctx["routing_reasons"][0]["code"] == "insured_province"

    # The same reference cannot serve a second call: that caller gets the normal IVR.
    again = twilio_call(guangdong, api, from_="+8613901001234", to="+862012333")
    again.webhook(PUBLIC_URL + PATH_INCOMING, status="ringing", **{"SipHeader_X-Hotline-Handoff": token})
    assert any("欢迎致电12333" in text for text in again.said())
    assert guangdong.platform.agents.call_status(again.sid) is None


@contextlib.contextmanager
def twilio_bridge(platform: Platform) -> Iterator[Any]:
    """The node's Twilio bridge (ACD events → REST pushes) on its own loop, as in a running node."""
    from ivr.twilio.runtime import TwilioBridge

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    service = TwilioBridge(platform)
    asyncio.run_coroutine_threadsafe(service.start(), loop).result(timeout=5)
    service.drain_now = lambda: asyncio.run_coroutine_threadsafe(service.drain(), loop).result(timeout=10)
    try:
        yield service
    finally:
        asyncio.run_coroutine_threadsafe(service.stop(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
        loop.close()


def test_an_agents_transfer_to_guangdong_carries_the_note_to_the_receiving_agent(two) -> None:  # type: ignore[no-untyped-def]
    national, guangdong, api = two
    bj_agent = make_agent(national.platform, "bj-twilio-01", center="11", endpoint="client:bj-twilio-01")
    gd_agent = make_agent(guangdong.platform, "gd-twilio-02", center="44", endpoint="client:gd-twilio-02")
    with twilio_bridge(national.platform) as bridge:
        call = twilio_call(national, api, from_="+8613910001234")
        call.start()
        call.press("0")
        call.press("1")  # keep Beijing: queued at the national deployment's 11-general
        national.platform.agents.login(bj_agent)
        national.platform.agents.set_ready(bj_agent)
        national.platform.agents.accept(bj_agent, call.sid)
        bridge.drain_now()
        for _ in range(3):
            if call.find("Dial") is not None:
                break
            call.wait()
        assert call.dial_target() == ("Client", "bj-twilio-01")
        national.platform.switch.transfer(bj_agent, call.sid, center_code="44", notes="来电人在广州参保，咨询退休")
        bridge.drain_now()
    noun, target = call.dial_target()  # pushed over REST: the caller leaves the agent for the trunk
    assert noun == "Sip" and target.startswith(GD_TRUNK)
    token = parse_qs(urlsplit(target).query)["X-Hotline-Handoff"][0]

    arriving = twilio_call(guangdong, api, from_="+8613910001234", to="+862012333")
    arriving.webhook(PUBLIC_URL + PATH_INCOMING, status="ringing", **{"SipHeader_X-Hotline-Handoff": token})
    assert any("转接过来" in text for text in arriving.said())
    guangdong.platform.agents.login(gd_agent)
    guangdong.platform.agents.set_ready(gd_agent)
    pop = guangdong.platform.agents.call_context(arriving.sid)
    assert pop["state"] == "offered"
    assert pop["notes"] == [{"agent_id": bj_agent, "text": "来电人在广州参保，咨询退休"}]
    assert pop["context"]["transferred_from"] == "11"  # the center whose agent transferred it


GD_NUMBER = "+862012333"


@pytest.fixture
def two_by_number(tmp_path: Path, clock: FakeClock, core_file: Path, twilio_env: dict,  # noqa: F811
                  monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Deployment, Deployment, FakeTwilioApi]]:
    """As `two`, but Guangdong is reached at a phone number: the handoff code follows as keys."""
    monkeypatch.setattr("web.app.BLUEPRINTS", ("web.auth", "web.twilio", "web.handoff"))
    monkeypatch.setenv("TWILIO_HANDOFF_NUMBERS", GD_NUMBER)
    clock.set(TUESDAY_10)
    with FakeTwilioApi(ACCOUNT_SID, AUTH_TOKEN) as api:
        national, guangdong = national_and_guangdong(
            tmp_path, clock, core_file, "tel:" + GD_NUMBER, twilio_account_sid=ACCOUNT_SID,
            twilio_auth_token=AUTH_TOKEN, twilio_api_base=api.url, public_url=PUBLIC_URL)
        yield national, guangdong, api
        national.close()
        guangdong.close()


def test_a_call_handed_over_by_phone_number_is_claimed_from_its_keyed_code(two_by_number) -> None:  # type: ignore[no-untyped-def]
    national, guangdong, api = two_by_number
    call = twilio_call(national, api, from_="+8613901001234")
    call.start()
    for keys in ("7", "1", "44010619880315003*#", "1", "1", "135790#"):
        call.press(keys)
    call.press("0")
    for _ in range(3):
        if call.find("Dial") is not None:
            break
        call.wait()
    noun, target = call.dial_target()
    assert (noun, target) == ("Number", GD_NUMBER)
    keyed = call.find("Number").get("sendDigits")
    assert keyed and keyed.startswith("ww") and keyed.endswith("#")
    code = keyed[2:-1]
    assert len(code) == 8 and code.isdigit()

    # Guangdong answers its handoff number silently and listens for the code
    arriving = twilio_call(guangdong, api, from_="+8613901001234", to=GD_NUMBER)
    arriving.start()
    assert arriving.verbs() == ["Gather"] and arriving.said() == []
    assert guangdong.platform.agents.call_status(arriving.sid) is None  # nothing starts before the code
    arriving.press(code + "#")  # what sendDigits keys in
    said = "".join(arriving.said())
    assert "已由全国12333转接过来" in said and "主菜单" not in said
    status = guangdong.platform.agents.call_status(arriving.sid)
    assert status.state == "waiting" and status.queue_id == "44-general"
    ctx = guangdong.platform.agents.call_context(arriving.sid)["context"]
    assert ctx["transferred_from"] == "00" and ctx["verified"] is True and ctx["remote_call_id"] == call.sid

    # a citizen who dials that number directly keys nothing: the normal IVR after the short wait;
    # a wrong or used code the same, never an error
    direct = twilio_call(guangdong, api, from_="+8613800138000", to=GD_NUMBER)
    direct.start()
    direct.wait()
    assert any("欢迎致电12333" in text for text in direct.said())
    reused = twilio_call(guangdong, api, from_="+8613800138000", to=GD_NUMBER)
    reused.start()
    reused.press(code + "#")
    assert any("欢迎致电12333" in text for text in reused.said())
    assert guangdong.platform.agents.call_status(reused.sid) is None
