"""Integration against a real Kannel (bearerbox + smsbox + fakesmsc on loopback): an outbound Chinese
multi-part message arrives at the SMSC and reassembles to the text we sent; an inbound message goes
through smsbox get-url to our webhook and is answered; delivery reports update the outbox."""

from __future__ import annotations

import os
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from core.clock import FakeClock
from core.events import InProcessBus
from core.state import MemoryStore
from hotline.platform import Platform
from sms import encoding
from tests.conftest import make_settings
from tests.sms.test_webhooks import webhook_app
from tests.smschat.fakes import FakeKnowledge, install
from tests.support.emulators.sms.kannel import Kannel, binaries, free_port, ucs2_mo

pytestmark = pytest.mark.kannel


def _require_kannel() -> None:
    missing = [name for name, path in binaries().items() if path is None]
    if missing:
        message = f"Kannel binaries missing: {', '.join(missing)} (apt-get install kannel kannel-extras)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def _wait(predicate, timeout: float = 20.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def kannel_platform(tmp_path: Path) -> Iterator[tuple[Platform, Kannel]]:
    _require_kannel()
    web_port = free_port()
    web_url = f"http://127.0.0.1:{web_port}"
    clock = FakeClock()  # 10:00 Beijing: not quiet hours
    platform = Platform(make_settings(tmp_path, public_url=web_url), clock=clock, store=MemoryStore(clock),
                        bus=InProcessBus("t", clock))
    platform.migrate()
    server = make_server("127.0.0.1", web_port, webhook_app(platform), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    workdir = tmp_path / "kannel"
    workdir.mkdir()
    from core.settings import sms_webhook_token

    kannel = Kannel(workdir, web_url, token=sms_webhook_token(platform.settings.data_dir))
    try:
        kannel.start()
        platform.sms.config = platform.sms.config.with_(providers=("kannel",), kannel_url=kannel.sendsms_url,
                                                        kannel_password=kannel.password)
        yield platform, kannel
    finally:
        kannel.stop()
        server.shutdown()
        platform.close()


def _reassemble(parts: list) -> dict[tuple[str, int], bytes]:  # type: ignore[type-arg]
    groups: dict[tuple[str, int], dict[int, bytes]] = defaultdict(dict)
    singles: dict[tuple[str, int], bytes] = {}
    for i, msg in enumerate(parts):
        concat, _ = encoding.parse_udh(msg.udh + msg.payload) if msg.udh else (None, b"")
        if concat is None:
            singles[(msg.receiver, -i - 1)] = msg.payload
        else:
            ref, _total, seq = concat
            groups[(msg.receiver, ref)][seq] = msg.payload
    whole = {key: b"".join(p for _, p in sorted(seqs.items())) for key, seqs in groups.items()}
    return {**whole, **singles}


def test_kannel_outbound_inbound_and_receipts(kannel_platform) -> None:  # type: ignore[no-untyped-def]
    platform, kannel = kannel_platform
    sms = platform.sms
    knowledge = FakeKnowledge({"失业": ("a1", "失业保险金", "参保满一年且非本人意愿中断就业的，可申领失业保险金。")})
    install(platform, knowledge=knowledge)

    long_text = "您本月的养老金已经发放到社会保障卡银行账户，请注意查收。如有疑问请拨打12333咨询。" * 3
    out_id = sms.send("13900139000", "kb_answer", {"title": "养老金发放", "answer": long_text}, category="reply")
    assert sms.status(out_id)["parts"] == 3
    # a character outside the BMP exactly where Kannel would cut (units 67/68): sent as our own parts
    rare = sms.send("13700137000", "free_text", {"text": "你" * 59 + "𠀀" + "好" * 20}, category="reply")
    assert sms.dispatcher.run_once().sent == 2

    kannel.start_fakesmsc(ucs2_mo("13800138000", "12333", "请问失业金怎么领"))
    assert _wait(lambda: any(r["reply_outbox_id"] for r in _inbound(platform))), "inbound did not arrive"
    assert knowledge.queries[0][0] == "请问失业金怎么领"  # UCS-2 from the SMSC decoded intact
    assert sms.dispatcher.run_once().sent == 1  # the answer

    # the outbound message reaches the SMSC in parts that reassemble to exactly what we sent
    expected = {"+8613900139000": sms.status(out_id)["text"], "+8613700137000": sms.status(rare)["text"]}
    reply = _inbound(platform)[0]
    assert reply["reply_outbox_id"] is not None
    expected["+8613800138000"] = sms.status(reply["reply_outbox_id"])["text"]

    def arrived() -> bool:
        got = {to: data for (to, _), data in _reassemble(kannel.received()).items()}
        return all(got.get(to) == text.encode("utf-16-be") for to, text in expected.items())

    assert _wait(arrived), f"SMSC got {kannel.received()}"
    long_parts = [m for m in kannel.received() if m.receiver == "+8613900139000"]
    assert len(long_parts) == 3 and all(m.udh for m in long_parts)
    rare_parts = [m for m in kannel.received() if m.receiver == "+8613700137000"]
    assert len(rare_parts) == 2 and rare_parts[1].payload.decode("utf-16-be").startswith("𠀀")
    assert all(m.payload.decode("utf-16-be") for m in rare_parts)  # each part decodes alone: nothing cut
    assert "回复1获取详细说明" in expected["+8613800138000"]

    # delivery reports (SMSC accepted, then delivered) come back through the dlr-url webhook
    assert _wait(lambda: sms.status(out_id)["status"] == "delivered"), sms.status(out_id)
    assert _wait(lambda: sms.status(rare)["status"] == "delivered"), sms.status(rare)
    assert sms.status(out_id)["dlr_at"] is not None
    assert _wait(lambda: sms.status(reply["reply_outbox_id"])["status"] == "delivered")
    assert _inbound(platform)[0]["replied_at"] is not None


def _inbound(platform: Platform) -> list[dict]:  # type: ignore[type-arg]
    from sms.models import InboundMessage

    with platform.db.session() as s:
        return [{"action": r.action, "reply_outbox_id": r.reply_outbox_id, "replied_at": r.replied_at,
                 "text": r.text} for r in s.query(InboundMessage).order_by(InboundMessage.id)]
