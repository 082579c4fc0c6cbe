"""Items 4 and 8: the CX record summary goes only to the registered mobile, a stranger gets neutral
replies; wrong codes from a stranger never lock the citizen's password path, and code sends are
throttled per ID and per requester. Real records service, real SMS outbox and the real conversation
channel (`platform.smschat`)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from hotline.platform import Platform
from records.models import ServicePassword
from sms.models import OutboxMessage

DEMO_ID, DEMO_PASSWORD, DEMO_MOBILE = "11010519491231002X", "246810", "+8613900001234"
STRANGER = "13800138000"


def with_records_and_sms(platform: Platform, core_file: Path, demo_hashes: dict[str, str]) -> Any:
    """The real records service on the generated core database (the demo citizen with a service
    password) and the SMS home's templates: what a CX query goes through."""
    shutil.copy(core_file, platform.settings.records_database_url.removeprefix("sqlite:///"))
    with platform.db.session() as s:
        s.add(ServicePassword(id_number=DEMO_ID, password_hash=demo_hashes[DEMO_ID], must_change=False,
                              source="demo", set_at=platform.clock.now()))
    from sms.demo import load_demo
    from smschat.demo import load_demo as load_keywords

    load_demo(platform)
    load_keywords(platform)
    return platform


@pytest.fixture
def real(platform: Platform, core_file: Path, demo_hashes: dict[str, str]) -> Any:
    return with_records_and_sms(platform, core_file, demo_hashes)


def outbox(platform: Platform) -> list[OutboxMessage]:
    with platform.db.session() as s:
        return list(s.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars())


def last_code(platform: Platform) -> str:
    import re

    otp = [m for m in outbox(platform) if m.category == "otp"][-1]
    return re.search(r"\d{6}", otp.text).group(0)


def test_summary_goes_only_to_the_registered_mobile(real: Any) -> None:
    chat = real.smschat
    reply = chat.handle_inbound(STRANGER, f"CX {DEMO_ID}", provider="test")
    assert "1234" not in reply and "登记的手机" in reply  # names no data
    reply = chat.handle_inbound(STRANGER, last_code(real), provider="test")
    assert "登记的手机" in reply
    sent = outbox(real)
    summaries = [m for m in sent if m.template == "record_summary"]
    assert [m.recipient for m in summaries] == [DEMO_MOBILE]
    assert all(m.recipient != "+86" + STRANGER or (m.category == "reply" and "余额" not in (m.text or ""))
               for m in sent)
    audit = real.audit.entries(action="record.sms_summary")
    assert audit and audit[0].detail["to"] == "139****1234"
    # an unknown ID gets the very same neutral reply (no enumeration)
    first17 = "11010519800101123"
    from core.citizen_id import check_digit
    from smschat.service import CX_NEUTRAL

    assert chat.handle_inbound("13800138001", f"CX {first17 + check_digit(first17)}", provider="test") == CX_NEUTRAL


def test_the_registered_mobile_gets_its_summary(real: Any) -> None:
    chat = real.smschat
    assert "尾号1234" in chat.handle_inbound(DEMO_MOBILE, f"CX {DEMO_ID}", provider="test")
    chat.handle_inbound(DEMO_MOBILE, last_code(real), provider="test")
    assert [m.recipient for m in outbox(real) if m.template == "record_summary"] == [DEMO_MOBILE]


def test_a_strangers_wrong_codes_do_not_lock_the_citizen(real: Any, clock: Any) -> None:
    records, chat = real.records, real.smschat
    chat.handle_inbound(STRANGER, f"CX {DEMO_ID}", provider="test")
    code = last_code(real)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        chat.handle_inbound(STRANGER, wrong, provider="test")
        if not chat.session("+86" + STRANGER):
            chat.handle_inbound(STRANGER, f"CX {DEMO_ID}", provider="test")
    # the citizen's IVR password path is open
    assert records.verify_password("ivr-call", DEMO_ID, DEMO_PASSWORD, channel="ivr", caller=None).ok
    # the stranger is locked out of codes, whatever ID it tries next
    v = records.send_otp("sms-x", DEMO_ID, channel="sms", caller=STRANGER)
    assert v.status == "locked" and v.reason in ("otp_locked", "otp_rate_limited")
    # the citizen can still get a code on its own mobile
    assert records.send_otp("own", DEMO_ID, channel="sms", caller=DEMO_MOBILE).status == "otp_sent"


def test_code_sends_are_throttled_per_requester_and_for_strangers_per_day(real: Any, clock: Any) -> None:
    records = real.records
    statuses = []
    for i in range(6):
        statuses.append(records.send_otp(f"s{i}", DEMO_ID, channel="sms", caller=STRANGER).status)
        clock.advance(601)  # past the per-ID window each time
    assert statuses.count("otp_sent") == 3  # a stranger pushes at most 3 codes a day to a citizen
    # one requester across many IDs
    from records.demo_citizens import DEMO_CITIZENS

    others = [c.id_number for c in DEMO_CITIZENS if c.id_number != DEMO_ID]
    results = [records.send_otp(f"t{i}", n, channel="sms", caller="13800138009").reason
               for i, n in enumerate(others * 2)][:8]
    assert "otp_rate_limited" in results
