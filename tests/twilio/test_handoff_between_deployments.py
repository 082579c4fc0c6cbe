"""Two deployments over Twilio: the national one (HOTLINE_CENTER=00) routes a Guangdong-insured caller
to Guangdong's own deployment (44, its own database, the shared handoff secret). The national IVR posts
the signed handoff, dials the other deployment's SIP address with the reference in `X-Hotline-Handoff`;
Twilio delivers that header to the receiving `/twilio/voice` as `SipHeader_X-Hotline-Handoff`; the
receiving IVR claims it, greets the transferred caller, queues them and its agent sees the context."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from werkzeug.serving import make_server

from core.accounts import hash_password
from core.clock import FakeClock
from core.events import InProcessBus
from core.platform import Platform
from core.state import MemoryStore
from ivr.service import DEFAULT_FLOW
from ivr.twilio.testing import FakeTwilioApi, TwilioCallEmulator
from ivr.twilio.voice import PATH_INCOMING
from records.demo_citizens import BY_ID
from records.models import ServicePassword
from tests.conftest import make_settings
from tests.records.conftest import core_file  # noqa: F401 - fixture
from tests.twilio.conftest import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_URL, flask_post, make_agent

GD_ID = "44010619880315003X"  # insured in Guangzhou, registered mobile a Beijing number
GD_TRUNK = "sip:12333@gd-hotline.example.cn"
TUESDAY_10 = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


class Deployment:
    """One deployment: its own data directory and database, its Flask app served on a loopback port
    (the handoff API), and a Flask test client for Twilio's webhooks."""

    def __init__(self, tmp: Path, clock: FakeClock, name: str, center: str, api: FakeTwilioApi,
                 core: Path) -> None:
        from web.app import create_app

        data = tmp / name
        data.mkdir()
        shutil.copy(core, data / "core-records.db")
        settings = make_settings(data, node_id=name, center_code=center, twilio_account_sid=ACCOUNT_SID,
                                 twilio_auth_token=AUTH_TOKEN, twilio_api_base=api.url, public_url=PUBLIC_URL)
        self.platform = Platform(settings, clock=clock, store=MemoryStore(clock), bus=InProcessBus(name, clock))
        self.platform.migrate()
        self.platform.switch.ensure_directory()
        self.platform.ivr.publish(DEFAULT_FLOW.read_text(encoding="utf-8"), "12333", by="test")
        self.app = create_app(self.platform, {"TESTING": True, "WTF_CSRF_ENABLED": False})
        self.client = self.app.test_client()
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def call(self, api: FakeTwilioApi, **kwargs: Any) -> TwilioCallEmulator:
        return TwilioCallEmulator(flask_post(self.client), public_url=PUBLIC_URL, account_sid=ACCOUNT_SID,
                                  auth_token=AUTH_TOKEN, api=api, **kwargs)

    def close(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)
        self.platform.close()


@pytest.fixture
def two(tmp_path: Path, clock: FakeClock, core_file: Path, twilio_env: dict,  # noqa: F811
        monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Deployment, Deployment, FakeTwilioApi]]:
    monkeypatch.setattr("web.app.BLUEPRINTS", ("web.auth", "web.twilio", "web.handoff"))
    clock.set(TUESDAY_10)
    with FakeTwilioApi(ACCOUNT_SID, AUTH_TOKEN) as api:
        national = Deployment(tmp_path, clock, "national", "00", api, core_file)
        guangdong = Deployment(tmp_path, clock, "guangdong", "44", api, core_file)
        with national.platform.db.session() as s:
            s.add(ServicePassword(id_number=GD_ID, password_hash=hash_password(BY_ID[GD_ID].password or ""),
                                  must_change=False, source="demo", set_at=clock.now()))
        national.platform.switch.update_center("44", mode="remote", base_url=guangdong.url, trunk=GD_TRUNK)
        yield national, guangdong, api
        national.close()
        guangdong.close()


def test_a_call_routed_to_guangdong_arrives_there_with_its_context(two) -> None:  # type: ignore[no-untyped-def]
    national, guangdong, api = two
    gd_agent = make_agent(guangdong.platform, "gd-twilio-01", center="44", endpoint="client:gd-twilio-01")

    decided: list = []
    national.platform.bus.subscribe(decided.append, ("route.decided",))
    # The citizen calls the national deployment: records (7), keeps the guessed Beijing (1), verifies, agent (0).
    call = national.call(api, from_="+8613901001234")
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
    arriving = guangdong.call(api, from_="+8613901001234", to="+862012333")
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
    again = guangdong.call(api, from_="+8613901001234", to="+862012333")
    again.webhook(PUBLIC_URL + PATH_INCOMING, status="ringing", **{"SipHeader_X-Hotline-Handoff": token})
    assert any("欢迎致电12333" in text for text in again.said())
    assert guangdong.platform.agents.call_status(again.sid) is None
