"""The SMS conversation channel (`platform.smschat`): keywords, opt-out, the CX query with an SMS code,
callbacks, knowledge answers with "回复1获取详细说明", and the reply-time record the gateway keeps for it
(GB/T 33358)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from sms.stats import reply_times
from smschat.demo import load_demo
from smschat.service import MORE_HINT, NO_ANSWER, chunk_text
from tests.sms.helpers import RecordingProvider, dispatcher
from tests.smschat.fakes import FakeAgents, FakeKnowledge, FakeRecords, FakeSwitch, install

CITIZEN = "13800138000"
ID = "11010519491231002X"


def kb() -> FakeKnowledge:
    k = FakeKnowledge({"失业": ("a1", "失业保险金申领", "可通过线上或线下申领失业保险金。")})
    k.details["a1"] = "失业保险金的申领条件如下：" + "参保缴费满一年，非因本人意愿中断就业，已进行失业登记。" * 20
    return k


def test_free_text_answer_then_details_in_parts(platform) -> None:  # type: ignore[no-untyped-def]
    knowledge = kb()
    install(platform, knowledge=knowledge)
    sms, chat = platform.sms, platform.smschat
    reply = chat.handle_inbound(CITIZEN, "怎么领失业金", provider="test")
    assert reply is not None and "可通过线上" in reply and reply.endswith(MORE_HINT)
    assert knowledge.queries[0][1]["channel"] == "sms" and knowledge.queries[0][1]["province"] == "11"
    details = platform.smschat.handle(CITIZEN, "1", provider="test")
    assert details.action == "more" and len(details.outbox_ids) >= 2
    texts = [sms.status(i)["text"] for i in details.outbox_ids]
    assert texts[0].startswith("【12333】(1/") and all(sms.status(i)["parts"] <= 6 for i in details.outbox_ids)
    joined = "".join(t.split(")", 1)[1] for t in texts)
    assert joined.replace("失业保险金申领：", "") == knowledge.details["a1"]


def test_no_answer_offers_callback(platform) -> None:  # type: ignore[no-untyped-def]
    install(platform, knowledge=kb())
    assert platform.smschat.handle_inbound(CITIZEN, "火星上的社保怎么交", provider="test") == NO_ANSWER
    assert platform.smschat.handle_inbound(CITIZEN, "1", provider="test").startswith("没有可发送")


def test_opt_out_keywords_and_opt_in(platform) -> None:  # type: ignore[no-untyped-def]
    sms, chat = platform.sms, platform.smschat
    for i, word in enumerate(("退订", "td", "STOP")):
        number = f"1380013800{i}"
        assert "已退订" in chat.handle_inbound(number, f" {word} ", provider="test")
        assert sms.suppressions.contains(f"+86{number}")
    notice = sms.send("13800138000", "card_ready", {"place": "x"}, category="notice")
    assert sms.status(notice)["error"] == "opted_out" and sms.status(notice)["status"] == "failed"
    # verification codes and replies to the citizen's own request still go
    otp = sms.send("13800138000", "verification_code", {"code": "1", "minutes": 5}, category="otp")
    essential = sms.send("13800138000", "pension_paid", {"month": "11月", "amount": "1"}, category="essential")
    assert sms.status(otp)["status"] == "queued" and sms.status(essential)["status"] == "queued"
    assert "恢复接收" in chat.handle_inbound("13800138000", "DY", provider="test")
    assert sms.status(sms.send("13800138000", "card_ready", {"place": "x"}, category="notice"))["status"] == "queued"


def test_cx_query_with_sms_code(platform) -> None:  # type: ignore[no-untyped-def]
    records = FakeRecords(platform, ID, "13900139000")
    install(platform, records=records)
    chat = platform.smschat
    assert "CX 身份证" in chat.handle_inbound(CITIZEN, "CX", provider="test")
    assert "验证码已发送" in chat.handle_inbound(CITIZEN, ID, provider="test")
    with platform.db.session() as s:
        from sms.models import InboundMessage, OutboxMessage

        otp = s.query(OutboxMessage).filter_by(category="otp").one()
        assert otp.recipient == "+8613900139000"  # the registered mobile, not the sender
        logged = [m.text for m in s.query(InboundMessage).order_by(InboundMessage.id)]
    assert ID not in "".join(logged)  # ID numbers are masked in the inbound log
    # the sender is not the registered mobile: neutral replies, the summary only to the registered mobile
    assert "登记的手机" in chat.handle_inbound(CITIZEN, "111111", provider="test")
    reply = chat.handle_inbound(CITIZEN, "246810", provider="test")
    assert "52,300" not in (reply or "") and "登记的手机" in reply
    assert records.ended and platform.smschat.session("+8613800138000") == {}
    with platform.db.session() as s:
        assert "246810" not in "".join(m.text for m in s.query(InboundMessage))
        summary = s.query(OutboxMessage).filter_by(template="record_summary").one()
        assert summary.recipient == "+8613900139000"
        assert not s.query(OutboxMessage).filter(OutboxMessage.recipient == "+8613800138000",
                                                 OutboxMessage.text.contains("52,300")).count()
    # one step: "CX <id>", from the registered mobile itself
    assert "验证码已发送" in chat.handle_inbound("13900139000", f"cx {ID.lower()}", provider="test")


def test_callback_request_and_password_help(platform) -> None:  # type: ignore[no-untyped-def]
    agents = FakeAgents()
    install(platform, agents=agents, switch=FakeSwitch(platform))
    assert "回电" in platform.smschat.handle_inbound(CITIZEN, "RG", provider="test")
    assert agents.enqueued[0].queue_id == "11-general" and agents.enqueued[0].context["channel"] == "sms"
    assert agents.callbacks == [(agents.enqueued[0].call_id, "+8613800138000")]
    # without the ACD the request is kept in the SMS callback list
    install(platform, agents=None)
    assert "回电" in platform.smschat.handle_inbound("13900000000", "RG", provider="test")
    assert platform.store.zscore("sms:callbacks", "+8613900000000") is not None
    assert "密码" in platform.smschat.handle_inbound(CITIZEN, "mm", provider="test")


def test_keyword_table_from_the_database(platform) -> None:  # type: ignore[no-untyped-def]
    load_demo(platform)
    from smschat.models import Keyword

    with platform.db.session() as s:
        s.add(Keyword(keyword="ZC", action="password_help", reply="政策咨询请拨打12333。", description="",
                      enabled=True))
    assert platform.smschat.handle_inbound(CITIZEN, "zc", provider="test") == "政策咨询请拨打12333。"


def test_reply_time_is_recorded(platform, clock) -> None:  # type: ignore[no-untyped-def]
    install(platform, knowledge=kb())
    d = dispatcher(platform, RecordingProvider("p"))
    received = clock.now()
    clock.advance(2)
    platform.smschat.handle_inbound(CITIZEN, "失业金", provider="test", received_at=received)
    clock.advance(3)
    d.run_once()
    figures = reply_times(platform.db)
    assert figures["replied"] == 1 and figures["p50_seconds"] == 5.0 and figures["within_3_minutes"] == 1.0
    platform.smschat.handle_inbound(CITIZEN, "失业金", provider="test")
    assert reply_times(platform.db)["unanswered"] == 1


def test_chunk_text_keeps_every_character() -> None:
    text = "第一句话。" * 100 + "😀" * 200
    pieces = chunk_text(text, 3, "【12333】")
    assert len(pieces) > 3
    body = "".join(p.split(")", 1)[1] for p in pieces)
    assert body == text


def test_cli_inbound_json_and_keywords(platform) -> None:  # type: ignore[no-untyped-def]
    from hotline.cli import main

    runner = CliRunner()
    obj = {"platform": platform}
    result = runner.invoke(main, ["smschat", "inbound", "--from", CITIZEN, "--text", "TD", "--json"], obj=obj)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["action"] == "opt_out" and "已退订" in data["reply"] and data["outbox_ids"]
    assert platform.sms.status(data["outbox_ids"][0])["status"] == "queued"  # the reply waits in the outbox
    listed = runner.invoke(main, ["smschat", "keywords", "--json"], obj=obj)
    assert listed.exit_code == 0, listed.output
    assert {"keyword": "TD", "action": "opt_out"}.items() <= next(
        k for k in json.loads(listed.output) if k["keyword"] == "TD").items()
