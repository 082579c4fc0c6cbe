"""Webhooks: Twilio SMS callbacks must be signed (unsigned or forged → 403 and a log line); Kannel
get-url and delivery reports reach the SMS pipeline."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from flask import Flask
from twilio.request_validator import RequestValidator

from core.clock import FakeClock
from core.events import InProcessBus
from core.state import MemoryStore
from hotline.platform import Platform
from tests.conftest import make_settings
from tests.sms.helpers import RecordingProvider, dispatcher

TOKEN = "twilio-test-token"
PUBLIC = "https://hotline.example.cn"


def webhook_app(platform: Platform) -> Flask:
    """Only the webhooks blueprint (other blueprints are not needed here)."""
    from web.extensions import csrf
    from web.webhooks import bp

    app = Flask(__name__)
    app.config.update(SECRET_KEY="x", TESTING=True)
    app.extensions["platform"] = platform
    csrf.init_app(app)
    app.register_blueprint(bp)
    return app


@pytest.fixture
def signed_platform(tmp_path: Path, clock: FakeClock) -> Iterator[Platform]:
    p = Platform(make_settings(tmp_path, twilio_auth_token=TOKEN, public_url=PUBLIC), clock=clock,
                 store=MemoryStore(clock), bus=InProcessBus("t", clock))
    p.migrate()
    yield p
    p.close()


def _sign(path: str, form: dict[str, str]) -> str:
    return RequestValidator(TOKEN).compute_signature(PUBLIC + path, form)


def test_twilio_inbound_requires_a_valid_signature(signed_platform, caplog) -> None:  # type: ignore[no-untyped-def]
    client = webhook_app(signed_platform).test_client()
    form = {"From": "+8613800138000", "Body": "TD", "MessageSid": "SM1"}
    caplog.set_level(logging.WARNING, logger="web.webhooks")
    assert client.post("/webhooks/twilio/sms", data=form).status_code == 403
    assert "unsigned" in caplog.text
    forged = {"X-Twilio-Signature": RequestValidator("wrong-token").compute_signature(PUBLIC + "/webhooks/twilio/sms",
                                                                                     form)}
    assert client.post("/webhooks/twilio/sms", data=form, headers=forged).status_code == 403
    assert "bad signature" in caplog.text and "8613800138000" not in caplog.text  # number masked
    tampered = {"X-Twilio-Signature": _sign("/webhooks/twilio/sms", form)}
    assert client.post("/webhooks/twilio/sms", data={**form, "Body": "STOP"}, headers=tampered).status_code == 403
    assert not signed_platform.sms.suppressions.contains("+8613800138000")
    ok = client.post("/webhooks/twilio/sms", data=form, headers={"X-Twilio-Signature": _sign("/webhooks/twilio/sms",
                                                                                            form)})
    assert ok.status_code == 200 and b"<Response>" in ok.data
    assert signed_platform.sms.suppressions.contains("+8613800138000")


def test_twilio_status_callback_updates_the_outbox(signed_platform) -> None:  # type: ignore[no-untyped-def]
    client = webhook_app(signed_platform).test_client()
    prov = RecordingProvider("twilio")
    dispatcher(signed_platform, prov).run_once()
    msg_id = signed_platform.sms.send("13800138000", "card_ready", {"place": "x"}, category="reply")
    signed_platform.sms.dispatcher.run_once()
    sid = signed_platform.sms.status(msg_id)["provider_message_id"]
    form = {"MessageSid": sid, "MessageStatus": "delivered"}
    assert client.post("/webhooks/twilio/sms/status", data=form).status_code == 403
    assert signed_platform.sms.status(msg_id)["status"] == "sent"
    r = client.post("/webhooks/twilio/sms/status", data=form,
                    headers={"X-Twilio-Signature": _sign("/webhooks/twilio/sms/status", form)})
    assert r.status_code == 204 and signed_platform.sms.status(msg_id)["status"] == "delivered"


def test_twilio_refuses_everything_without_an_auth_token(platform) -> None:  # type: ignore[no-untyped-def]
    client = webhook_app(platform).test_client()
    form = {"From": "+8613800138000", "Body": "TD"}
    headers = {"X-Twilio-Signature": RequestValidator("").compute_signature("http://127.0.0.1:8000/webhooks/twilio/sms",
                                                                           form)}
    assert client.post("/webhooks/twilio/sms", data=form, headers=headers).status_code == 403


def test_kannel_inbound_and_dlr(platform, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from core.settings import sms_webhook_token

    client = webhook_app(platform).test_client()
    token = sms_webhook_token(platform.settings.data_dir)  # generated: every Kannel URL carries it
    query = urlencode({"from": "+8613800138000", "to": "12333", "text": "退订", "token": token})
    assert client.get(f"/webhooks/kannel/inbound?{query}").status_code == 200
    assert platform.sms.suppressions.contains("+8613800138000")
    # UCS-2 bytes passed raw (text=%b&coding=%c)
    raw = "STOP".encode("utf-16-be")
    query = urlencode({"from": "13900000000", "coding": "2", "text": raw, "token": token})
    assert client.get(f"/webhooks/kannel/inbound?{query}").status_code == 200
    assert platform.sms.suppressions.contains("+8613900000000")
    dispatcher(platform, RecordingProvider("kannel")).run_once()
    msg_id = platform.sms.send("13800138000", "card_ready", {"place": "x"}, category="reply")
    platform.sms.dispatcher.run_once()
    t = f"&token={token}"
    assert client.get(f"/webhooks/kannel/dlr?id=hl-{msg_id}&type=8&answer=ACK{t}").status_code == 200
    assert platform.sms.status(msg_id)["dlr_status"] == "smsc_accepted"
    assert client.get(f"/webhooks/kannel/dlr?id=hl-{msg_id}&type=1&answer=DELIVRD{t}").status_code == 200
    assert platform.sms.status(msg_id)["status"] == "delivered"
    assert client.get(f"/webhooks/kannel/dlr?id=hl-99999&type=1{t}").status_code == 404
    assert client.get(f"/webhooks/kannel/dlr?id=x&type=1{t}").status_code == 400
    monkeypatch.setenv("HOTLINE_SMS_WEBHOOK_TOKEN", "s3cret")
    assert client.get(f"/webhooks/kannel/dlr?id=hl-{msg_id}&type=1").status_code == 403
    assert client.get(f"/webhooks/kannel/dlr?id=hl-{msg_id}&type=1&token=s3cret").status_code == 200


def test_kannel_refuses_remote_peers_without_a_token(platform) -> None:  # type: ignore[no-untyped-def]
    client = webhook_app(platform).test_client()
    r = client.get("/webhooks/kannel/inbound?from=13800138000&text=TD", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert r.status_code == 403 and not platform.sms.suppressions.contains("+8613800138000")
