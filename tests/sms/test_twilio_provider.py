"""The Twilio provider against a local HTTP server standing in for api.twilio.com
(settings.twilio_api_base): form fields, basic auth, status callback URL, error classification."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs

import pytest

from core.clock import FakeClock
from core.events import InProcessBus
from core.state import MemoryStore
from hotline.platform import Platform
from tests.conftest import make_settings


class FakeTwilio(BaseHTTPRequestHandler):
    requests: ClassVar[list[dict[str, Any]]] = []
    answers: ClassVar[list[tuple[int, dict[str, Any]]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        form = {k: v[0] for k, v in parse_qs(body).items()}
        auth = base64.b64decode(self.headers.get("Authorization", "Basic ").split(" ", 1)[1] or b"").decode()
        self.requests.append({"path": self.path, "form": form, "auth": auth})
        status, payload = self.answers.pop(0) if self.answers else (201, {})
        payload = {"sid": f"SM{len(self.requests):032d}", "status": "queued", "to": form.get("To"),
                   "body": form.get("Body"), **payload}
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def twilio_platform(tmp_path: Path, clock: FakeClock) -> Iterator[Platform]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeTwilio)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    FakeTwilio.requests, FakeTwilio.answers = [], []
    settings = make_settings(tmp_path, twilio_account_sid="AC" + "1" * 32, twilio_auth_token="tok",
                             twilio_api_base=f"http://127.0.0.1:{server.server_address[1]}",
                             public_url="https://hotline.example.cn")
    p = Platform(settings, clock=clock, store=MemoryStore(clock), bus=InProcessBus("t", clock))
    p.migrate()
    p.sms.config = p.sms.config.with_(providers=("twilio",), twilio_from="+15005550006", backoff_base=1.0)
    yield p
    p.close()
    server.shutdown()


def test_send_through_twilio_rest(twilio_platform) -> None:  # type: ignore[no-untyped-def]
    sms = twilio_platform.sms
    msg_id = sms.send("13800138000", "card_ready", {"place": "朝阳区"}, category="reply")
    assert sms.dispatcher.run_once().sent == 1
    req = FakeTwilio.requests[0]
    assert req["path"] == f"/2010-04-01/Accounts/AC{'1' * 32}/Messages.json"
    assert req["auth"] == f"AC{'1' * 32}:tok"
    assert req["form"]["To"] == "+8613800138000" and req["form"]["From"] == "+15005550006"
    assert req["form"]["Body"] == sms.status(msg_id)["text"]
    assert req["form"]["StatusCallback"] == "https://hotline.example.cn/webhooks/twilio/sms/status"
    assert sms.status(msg_id)["provider_message_id"] == f"SM{1:032d}"


def test_twilio_errors_permanent_and_transient(twilio_platform, clock) -> None:  # type: ignore[no-untyped-def]
    sms = twilio_platform.sms
    FakeTwilio.answers = [(400, {"code": 21211, "message": "Invalid 'To' Phone Number", "status": 400}),
                          (503, {"code": 20500, "message": "unavailable", "status": 503})]
    bad = sms.send("13800138000", "card_ready", {"place": "A"}, category="reply")
    sms.dispatcher.run_once()
    assert sms.status(bad)["status"] == "failed" and "21211" in sms.status(bad)["error"]
    later = sms.send("13800138001", "card_ready", {"place": "B"}, category="reply")
    sms.dispatcher.run_once()
    assert sms.status(later)["status"] == "queued" and sms.status(later)["attempts"] == 1
    clock.advance(2)
    sms.dispatcher.run_once()
    assert sms.status(later)["status"] == "sent"
