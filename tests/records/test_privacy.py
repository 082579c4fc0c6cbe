"""Privacy: SMS summaries go only to the registered mobile, logs are masked, screens are masked."""

from __future__ import annotations

import logging

from core.logging import MaskingFilter
from tests.records.conftest import DEMO_ID, DEMO_PASSWORD, GD_ID, LOCK_ID, audit_rows


def test_sms_summary_goes_only_to_the_registered_mobile(platform, records, codes) -> None:
    # verified on a call from some other phone: the summary still goes to the registered mobile
    assert records.verify_password("call-1", GD_ID, "135790", channel="ivr", caller="13800138000").ok
    out = records.sms_summary("call-1", channel="ivr")
    assert out.status == "ok" and "尾号1234" in out.speech
    assert [m["to"] for m in codes.sent] == ["13901001234"]
    body = codes.sent[0]["summary"]
    assert "个人账户余额" in body and GD_ID not in body and GD_ID[:6] not in body
    row = audit_rows(platform, action="record.sms_summary")[0]
    assert row.detail["to"] == "139****1234" and row.subject == GD_ID


def test_no_sms_summary_without_verification(records, codes) -> None:
    assert records.sms_summary("nobody", channel="sms").status == "not_verified"
    assert codes.sent == []


def test_logs_never_carry_full_numbers(records, caplog) -> None:
    caplog.handler.addFilter(MaskingFilter())
    with caplog.at_level(logging.DEBUG):
        for i in range(5):
            records.verify_password(f"c{i}", LOCK_ID, "000001", channel="ivr", caller="13612345678")
    text = caplog.text
    assert "440305********2022" in text and LOCK_ID not in text and "13612345678" not in text


def test_self_service_fields_are_masked_identity_only(records) -> None:
    records.verify_password("c", DEMO_ID, DEMO_PASSWORD, channel="ivr", caller=None)
    fields = records.self_service_summary("c", channel="ivr").fields
    flat = repr(fields)
    assert DEMO_ID not in flat and "李秀兰" not in flat and "13900001234" not in flat
