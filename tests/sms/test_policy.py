"""Templates validated on save, quiet hours (deferred, not dropped) and per-recipient daily caps."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sms.demo import load_demo
from sms.templates import TemplateError
from tests.sms.helpers import RecordingProvider, dispatcher

NUMBER = "13800138000"


def test_template_validation_on_save(platform) -> None:  # type: ignore[no-untyped-def]
    store = platform.sms.templates
    view = store.save("appointment", "请于{date}到{place}办理。", category="notice")
    assert view.variables == ("date", "place")
    with pytest.raises(TemplateError, match="未声明"):
        store.save("t1", "您好{name}", variables=[], category="notice")
    with pytest.raises(TemplateError, match="未在模板中使用"):
        store.save("t2", "您好", variables=["name"], category="notice")
    with pytest.raises(TemplateError, match="命名变量"):
        store.save("t3", "您好{0}", category="notice")
    with pytest.raises(TemplateError):
        store.save("t4", "您好{name", category="notice")
    with pytest.raises(TemplateError, match="未知类别"):
        store.save("t5", "您好", category="spam")
    assert store.get("t1") is None and store.get("appointment") is not None


def test_contract_templates_are_seeded_and_render(platform) -> None:  # type: ignore[no-untyped-def]
    first = load_demo(platform)
    again = load_demo(platform)
    from sms.templates import DEFAULT_TEMPLATES

    assert f"{len(DEFAULT_TEMPLATES)} new" in first and "(0 new)" in again
    sms = platform.sms
    samples = {"verification_code": {"code": "123456", "minutes": 5}, "kb_answer": {"title": "T", "answer": "A"},
               "callback_scheduled": {"time": "明天10:00"}, "pension_paid": {"month": "11月", "amount": "3,000.00"},
               "card_ready": {"place": "朝阳区社保中心"}, "record_summary": {"summary": "累计缴费180个月"}}
    for name, values in samples.items():
        text = sms.render(name, values)
        assert all(str(v) in text for v in values.values())


def test_quiet_hours_defer_notices_not_replies(platform, clock) -> None:  # type: ignore[no-untyped-def]
    clock.set(datetime(2026, 11, 24, 14, 30, tzinfo=UTC))  # 22:30 in Beijing
    prov = RecordingProvider("p")
    d = dispatcher(platform, prov)
    notice = platform.sms.send(NUMBER, "card_ready", {"place": "x"}, category="notice")
    essential = platform.sms.send(NUMBER, "pension_paid", {"month": "11月", "amount": "1"}, category="essential")
    otp = platform.sms.send(NUMBER, "verification_code", {"code": "1", "minutes": 5}, category="otp")
    d.run_once()
    assert [m.id for m in prov.sent] == [otp]
    status = platform.sms.status(notice)
    assert status["status"] == "queued" and status["deferred_reason"] == "quiet_hours"
    assert status["next_attempt_at"] == "2026-11-25T00:00:00+00:00"  # 08:00 Beijing
    clock.set(datetime(2026, 11, 24, 23, 59, tzinfo=UTC))
    assert d.run_once().claimed == 0
    clock.set(datetime(2026, 11, 25, 0, 0, 1, tzinfo=UTC))
    d.run_once()
    assert {m.id for m in prov.sent} == {otp, notice, essential}


def test_retry_landing_in_quiet_hours_is_deferred_at_dispatch(platform, clock) -> None:  # type: ignore[no-untyped-def]
    clock.set(datetime(2026, 11, 24, 12, 59, tzinfo=UTC))  # 20:59 Beijing
    d = dispatcher(platform, RecordingProvider("p", fail=1), backoff_base=120.0)
    notice = platform.sms.send(NUMBER, "card_ready", {"place": "x"}, category="notice")
    d.run_once()
    clock.advance(150)  # 21:01: retry due but quiet
    report = d.run_once()
    assert report.deferred == 1 and platform.sms.status(notice)["deferred_reason"] == "quiet_hours"


def test_daily_caps_per_recipient_and_category(platform, clock) -> None:  # type: ignore[no-untyped-def]
    sms = platform.sms
    sms.config = sms.config.with_(daily_cap_notice=2, daily_cap_otp=3)
    ids = [sms.send(NUMBER, "card_ready", {"place": str(i)}, category="notice") for i in range(3)]
    assert [sms.status(i)["status"] for i in ids] == ["queued", "queued", "failed"]
    assert sms.status(ids[2])["error"] == "daily_cap"
    assert sms.status(sms.send("13900000000", "card_ready", {"place": "x"}, category="notice"))["status"] == "queued"
    otps = [sms.send(NUMBER, "verification_code", {"code": "1", "minutes": 5}, category="otp") for _ in range(4)]
    assert [sms.status(i)["status"] for i in otps] == ["queued"] * 3 + ["failed"]
    clock.advance(24 * 3600)  # a new Beijing day
    assert sms.status(sms.send(NUMBER, "card_ready", {"place": "y"}, category="notice"))["status"] == "queued"


def test_opt_out_after_queueing_is_honoured_at_dispatch(platform) -> None:  # type: ignore[no-untyped-def]
    prov = RecordingProvider("p")
    d = dispatcher(platform, prov)
    notice = platform.sms.send(NUMBER, "card_ready", {"place": "x"}, category="notice")
    assert platform.sms.opt_out("+8613800138000", "TD")
    d.run_once()
    assert platform.sms.status(notice)["error"] == "opted_out" and not prov.sent
    assert platform.sms.opt_in("+8613800138000") and not platform.sms.suppressions.contains("+8613800138000")
