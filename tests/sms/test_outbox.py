"""The outbox and dispatcher on SQLite and PostgreSQL: idempotency, claims, retries with back-off,
failover, crash recovery with the same provider and id, expiry, rate limits."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from sms import outbox
from sms.models import OutboxMessage
from sms.service import SmsError
from tests.sms.helpers import RecordingProvider, dispatcher

NUMBER = "13800138000"


def test_idempotency_key_returns_the_same_message(any_platform) -> None:  # type: ignore[no-untyped-def]
    sms = any_platform.sms
    a = sms.send(NUMBER, "verification_code", {"code": "1234", "minutes": 5}, category="otp", idempotency_key="k1")
    b = sms.send(NUMBER, "verification_code", {"code": "9999", "minutes": 5}, category="otp", idempotency_key="k1")
    assert a == b and "1234" in sms.status(a)["text"]
    assert sms.send(NUMBER, "verification_code", {"code": "1", "minutes": 5}, category="otp") != a


def test_bad_input_is_rejected_and_nothing_is_queued(platform) -> None:  # type: ignore[no-untyped-def]
    sms = platform.sms
    with pytest.raises(SmsError):
        sms.send("12345", "card_ready", {"place": "x"})
    with pytest.raises(SmsError):
        sms.send(NUMBER, "card_ready", {})
    with pytest.raises(SmsError):
        sms.send(NUMBER, "card_ready", {"place": "x", "extra": "y"})
    with pytest.raises(SmsError):
        sms.send(NUMBER, "no_such_template", {})
    assert outbox.counts(platform.db) == {}


def test_send_dispatch_and_receipt(any_platform) -> None:  # type: ignore[no-untyped-def]
    sms = any_platform.sms
    prov = RecordingProvider("p1")
    d = dispatcher(any_platform, prov)
    events: list[str] = []
    any_platform.bus.subscribe(lambda e: events.append(e.type), ("sms.",))
    msg_id = sms.send(NUMBER, "kb_answer", {"title": "失业金", "answer": "可在线申领。" * 25})
    report = d.run_once()
    assert report.sent == 1 and prov.sent[0].dedup_id == f"hl-{msg_id}"
    status = sms.status(msg_id)
    assert status["status"] == "sent" and status["provider"] == "p1" and status["parts"] == 3
    assert sms.receipt(state="delivered", provider_message_id=f"p1-{msg_id}") == msg_id
    assert sms.status(msg_id)["status"] == "delivered"
    assert events == ["sms.queued", "sms.sent", "sms.delivered"]


def test_retry_with_backoff_then_failover(any_platform, clock) -> None:  # type: ignore[no-untyped-def]
    sms = any_platform.sms
    first, second = RecordingProvider("first", fail=1), RecordingProvider("second")
    d = dispatcher(any_platform, first, second, backoff_base=30.0)
    msg_id = sms.send(NUMBER, "card_ready", {"place": "朝阳"}, category="reply")
    assert d.run_once().retried == 1
    status = sms.status(msg_id)
    assert status["status"] == "queued" and "first down" in status["error"] and status["attempts"] == 1
    assert d.run_once().claimed == 0  # backing off
    clock.advance(31)
    assert d.run_once().sent == 1
    assert sms.status(msg_id)["provider"] == "second" and len(second.sent) == 1


def test_permanent_failure_and_attempt_limit(platform, clock) -> None:  # type: ignore[no-untyped-def]
    sms = platform.sms
    d = dispatcher(platform, RecordingProvider("bad", fail=100), max_attempts=2, backoff_base=1.0)
    flaky = sms.send(NUMBER, "card_ready", {"place": "A"}, category="reply")
    d.run_once()
    clock.advance(5)
    d.run_once()
    assert sms.status(flaky)["status"] == "failed" and sms.status(flaky)["attempts"] == 2
    d2 = dispatcher(platform, RecordingProvider("reject", fail=1, permanent=True))
    rejected = sms.send(NUMBER, "card_ready", {"place": "B"}, category="reply")
    d2.run_once()
    assert sms.status(rejected)["status"] == "failed" and sms.status(rejected)["attempts"] == 1


def test_crash_recovery_resends_with_same_provider_and_id(any_platform, clock) -> None:  # type: ignore[no-untyped-def]
    sms = any_platform.sms
    a, b = RecordingProvider("a"), RecordingProvider("b")
    d = dispatcher(any_platform, a, b, lease_seconds=30)
    msg_id = sms.send(NUMBER, "card_ready", {"place": "朝阳"}, category="reply")
    # a dispatcher claims it and dies before recording the outcome
    token, claimed = outbox.claim(any_platform.db, clock.now(), 10, 30)
    assert [c.id for c in claimed] == [msg_id]
    assert d.run_once().claimed == 0  # the lease still holds
    clock.advance(31)
    report = d.run_once()
    assert report.recovered == 1 and report.sent == 1
    assert [m.dedup_id for m in a.sent] == [f"hl-{msg_id}"] and not b.sent
    assert sms.status(msg_id)["attempts"] == 1
    outbox.mark_sent(any_platform.db, token, clock.now(), [(msg_id, "zombie", "z")])  # stale token: ignored
    assert sms.status(msg_id)["provider"] == "a"


def test_two_dispatchers_never_claim_the_same_row(any_platform, clock) -> None:  # type: ignore[no-untyped-def]
    for i in range(30):
        any_platform.sms.send(NUMBER, "card_ready", {"place": str(i)}, category="reply")
    _, first = outbox.claim(any_platform.db, clock.now(), 20, 60)
    _, second = outbox.claim(any_platform.db, clock.now(), 20, 60)
    assert len(first) == 20 and len(second) == 10
    assert not {c.id for c in first} & {c.id for c in second}


def test_expiry(platform, clock) -> None:  # type: ignore[no-untyped-def]
    d = dispatcher(platform, RecordingProvider("p", fail=100), backoff_base=600.0)
    msg_id = platform.sms.send(NUMBER, "verification_code", {"code": "1", "minutes": 5}, category="otp")
    d.run_once()
    clock.advance(timedelta(minutes=11))
    assert d.run_once().expired == 1 and platform.sms.status(msg_id)["status"] == "expired"


def test_rate_limit_per_provider(platform, clock) -> None:  # type: ignore[no-untyped-def]
    prov = RecordingProvider("slow")
    d = dispatcher(platform, prov, rate_per_second={"slow": 3})
    for i in range(7):
        platform.sms.send(f"1380013800{i}", "card_ready", {"place": "x"}, category="reply")
    report = d.run_once()
    assert report.sent == 3 and report.rate_limited and report.deferred == 4
    assert d.run_once().sent == 0  # same second
    total = d.drain(sleep=lambda s: clock.advance(max(s, 0.001)))
    assert total.sent == 4 and len(prov.sent) == 7
    with platform.db.session() as s:
        assert all(m.attempts == 1 for m in s.query(OutboxMessage))


def test_priority_replies_before_bulk_notices(platform) -> None:  # type: ignore[no-untyped-def]
    prov = RecordingProvider("p")
    d = dispatcher(platform, prov, batch_size=5)
    platform.sms.bulk("pension_paid", [(f"1390000{i:04d}", {}) for i in range(20)], category="essential",
                      batch_id="b1", common={"month": "11月", "amount": "3000"})
    reply = platform.sms.send(NUMBER, "card_ready", {"place": "x"}, category="reply")
    d.run_once()
    assert len(prov.sent) == 5 and reply in {m.id for m in prov.sent}


def test_bulk_is_idempotent_per_batch_and_reports_bad_lines(platform) -> None:  # type: ignore[no-untyped-def]
    rows = [("13900000001", {"month": "11月", "amount": "100"}), ("bad", {"month": "1", "amount": "2"}),
            ("13900000002", {"month": "11月"})]
    report = platform.sms.bulk("pension_paid", rows, batch_id="x")
    assert report.queued == 1 and [line for line, _ in report.rejected] == [2, 3]
    again = platform.sms.bulk("pension_paid", rows[:1], batch_id="x")
    assert again.queued == 0 and again.duplicates == 1


def test_stale_sending_rows_are_recovered_on_postgres_too(any_platform, clock) -> None:  # type: ignore[no-untyped-def]
    msg_id = any_platform.sms.send(NUMBER, "card_ready", {"place": "x"}, category="reply")
    with any_platform.db.engine.begin() as conn:
        conn.execute(update(OutboxMessage.__table__).values(status="sending", attempts=1,
                                                            lease_until=clock.now() - timedelta(seconds=1)))
    assert outbox.recover(any_platform.db, clock.now()) == 1
    assert any_platform.sms.status(msg_id)["status"] == "queued"


def test_reply_goes_back_through_the_gateway_it_came_from(platform) -> None:  # type: ignore[no-untyped-def]
    first, second = RecordingProvider("kannel"), RecordingProvider("twilio")
    d = dispatcher(platform, first, second)
    platform.smschat.handle_inbound(NUMBER, "TD", provider="twilio")
    platform.smschat.handle_inbound("13900000000", "TD", provider="cli")  # unknown gateway: the first one
    d.run_once()
    assert [m.to for m in second.sent] == ["+8613800138000"] and [m.to for m in first.sent] == ["+8613900000000"]
