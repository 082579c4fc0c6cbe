"""SMPP 3.4 through smpplib against the loopback SMPP server: UDH parts reassemble, receipts come back
as deliver_sm, inbound concatenated messages are answered, enquire_link keeps the bind, reconnect."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from sms.providers import Outgoing
from tests.smschat.fakes import FakeKnowledge, install
from tests.support.emulators.sms.smpp_server import SmppServer


def _wait(predicate, timeout: float = 10.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


@pytest.fixture
def smpp(platform) -> Iterator[tuple[object, SmppServer]]:  # type: ignore[no-untyped-def]
    with SmppServer(password="pw") as server:
        cfg = platform.sms.config.with_(providers=("smpp",), smpp_host="127.0.0.1", smpp_port=server.port,
                                        smpp_system_id="hotline", smpp_password="pw", smpp_enquire_link=0.3)
        platform.sms.config = cfg
        yield platform, server
        platform.sms.close()


def test_multipart_submit_receipt_and_enquire_link(smpp) -> None:  # type: ignore[no-untyped-def]
    platform, server = smpp
    sms = platform.sms
    text = "您的社会保障卡已制作完成，" * 12 + "𠀀"
    msg_id = sms.send("13800138000", "kb_answer", {"title": "社保卡", "answer": text}, category="reply")
    assert sms.dispatcher.run_once().sent == 1
    assert server.state.binds == [("hotline", "ok")]
    sent = sms.status(msg_id)
    assert server.state.messages() == [("8613800138000", sent["text"])]
    submits = server.state.submits
    assert len(submits) == sent["parts"] and all(s.esm_class & 0x40 and s.data_coding == 8 for s in submits)
    assert [s.registered_delivery for s in submits][-1] == 1 and sent["provider_message_id"] == submits[-1].message_id
    assert _wait(lambda: sms.status(msg_id)["status"] == "delivered")
    assert _wait(lambda: server.state.enquire_links >= 1, timeout=3)  # idle link is kept alive


def test_gsm7_parts_go_as_unpacked_septets(smpp) -> None:  # type: ignore[no-untyped-def]
    platform, server = smpp
    provider = platform.sms.dispatcher.providers["smpp"]
    text = "Code 4711 [valid 5 min] " * 8  # GSM-7 with extension characters, 2 parts
    provider.send(Outgoing(id=5, to="+8613800138000", text=text, encoding="GSM-7", dedup_id="hl-5"))
    assert [s.data_coding for s in server.state.submits] == [0, 0]
    assert server.state.messages() == [("8613800138000", text)]


def test_inbound_concatenated_mo_is_answered(smpp) -> None:  # type: ignore[no-untyped-def]
    platform, server = smpp
    install(platform, knowledge=FakeKnowledge({"养老": ("a9", "养老金", "养老金每月按时发放。")}))
    platform.sms.dispatcher.providers["smpp"]._connect()  # bind before the SMSC has anything to say
    assert _wait(lambda: server.bound_session() is not None)
    question = "请问" + "我退休以后的养老金什么时候发放，" * 6
    server.bound_session().deliver("8613900139000", "12333", question)
    from sms.models import InboundMessage

    def answered() -> bool:
        with platform.db.session() as s:
            return s.query(InboundMessage).filter(InboundMessage.reply_outbox_id.isnot(None)).count() == 1

    assert _wait(answered)
    platform.sms.dispatcher.run_once()
    assert any(dest == "8613900139000" and "养老金每月按时发放" in text for dest, text in server.state.messages())


def test_reconnect_after_the_smsc_drops_the_link(smpp) -> None:  # type: ignore[no-untyped-def]
    platform, server = smpp
    sms = platform.sms
    sms.send("13800138000", "card_ready", {"place": "A"}, category="reply")
    sms.dispatcher.run_once()
    provider = sms.dispatcher.providers["smpp"]
    server.drop_connections()
    assert _wait(lambda: provider.reconnects >= 1 and provider.client is not None)
    second = sms.send("13800138000", "card_ready", {"place": "B"}, category="reply")
    sms.dispatcher.run_once()
    assert sms.status(second)["status"] in ("sent", "delivered") and len(server.state.binds) == 2


def test_close_unbinds_cleanly(platform, caplog) -> None:  # type: ignore[no-untyped-def]
    """Closing waits for unbind_resp, so the link ends unbound: no 'disconnecting in the bound state'."""
    import logging

    with SmppServer(password="pw") as server:
        platform.sms.config = platform.sms.config.with_(
            providers=("smpp",), smpp_host="127.0.0.1", smpp_port=server.port, smpp_system_id="hotline",
            smpp_password="pw", smpp_enquire_link=0.3)
        platform.sms.send("13800138000", "kb_answer", {"title": "T", "answer": "A"}, category="reply")
        assert platform.sms.dispatcher.run_once().sent == 1
        with caplog.at_level(logging.WARNING):
            platform.sms.close()
    assert not [r for r in caplog.records if "bound state" in r.getMessage() or "Bad file" in r.getMessage()]
