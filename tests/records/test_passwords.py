"""Service passwords: the weak-password policy, hashing, and the change-by-phone flow."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from records.models import ServicePassword
from records.passwords import generate_initial, weakness
from tests.records.conftest import DEMO_ID, DEMO_PASSWORD, NO_PW_ID, audit_rows

BIRTH = date(1949, 12, 31)


@pytest.mark.parametrize("password", ["123456", "654321", "234567", "890123", "111111", "000000", "121212",
                                      "123123", "112211", "491231", "123149", "311249", "123100", "881231",
                                      "12345", "1234567", "12a456", "19002X"])
def test_weak_passwords_are_refused(password: str) -> None:
    assert weakness(password, birth=BIRTH, id_number=DEMO_ID, mobile="13900001234") is not None


@pytest.mark.parametrize("password", ["246810", "385027", "902718", "135790"])
def test_ordinary_passwords_pass(password: str) -> None:
    assert weakness(password, birth=BIRTH, id_number=DEMO_ID, mobile="13900001234") is None


def test_id_and_mobile_fragments_are_refused() -> None:
    assert weakness("239005", id_number="110105199001239005") == "密码不能使用身份证号码的一部分"
    assert weakness("123900", id_number="110105199001239005") == "密码不能使用身份证号码的一部分"
    assert weakness("001234", mobile="13900001234") == "密码不能使用手机号码的一部分"


@given(st.dates(min_value=date(1930, 1, 1), max_value=date(2008, 12, 31)))
def test_generated_initial_passwords_always_pass(birth: date) -> None:
    password = generate_initial(birth)
    assert len(password) == 6 and password.isdigit() and weakness(password, birth=birth) is None


def test_change_password_by_phone(platform, records) -> None:
    sid = "call-pw"
    assert records.change_password(sid, DEMO_PASSWORD, "385027", "385027", channel="ivr").reason == "not_verified"
    assert records.verify_password(sid, DEMO_ID, DEMO_PASSWORD, channel="ivr", caller=None).ok
    v = records.change_password(sid, DEMO_PASSWORD, "385027", "385072", channel="ivr")
    assert v.status == "wrong" and v.reason == "mismatch" and "不一致" in v.speech
    v = records.change_password(sid, DEMO_PASSWORD, "491231", "491231", channel="ivr")
    assert v.reason == "weak_password" and "出生日期" in v.speech
    v = records.change_password(sid, DEMO_PASSWORD, "123456", "123456", channel="ivr")
    assert v.reason == "weak_password" and "连续" in v.speech
    v = records.change_password(sid, DEMO_PASSWORD, DEMO_PASSWORD, DEMO_PASSWORD, channel="ivr")
    assert v.reason == "weak_password"
    v = records.change_password(sid, "", "385027", "385027", channel="ivr")
    assert v.reason == "missing_old" and v.attempts_left is None  # an empty entry is not a guess
    v = records.change_password(sid, "999990", "385027", "385027", channel="ivr")
    assert v.status == "wrong" and v.attempts_left == 4  # a wrong old password counts toward the lockout
    assert records.change_password(sid, DEMO_PASSWORD, "385027", "385027", channel="ivr").ok
    records.end_session(sid)
    assert records.verify_password("n1", DEMO_ID, DEMO_PASSWORD, channel="ivr", caller=None).status == "wrong"
    assert records.verify_password("n2", DEMO_ID, "385027", channel="ivr", caller=None).ok
    with platform.db.session() as s:
        stored = s.execute(select(ServicePassword).where(ServicePassword.id_number == DEMO_ID)).scalar_one()
    assert stored.password_hash.startswith("$argon2") and "385027" not in stored.password_hash
    assert stored.source == "phone"
    outcomes = [e.outcome for e in audit_rows(platform, action="record.password_change")]
    assert outcomes == ["not_verified", "mismatch", "weak", "weak", "weak", "missing_old", "wrong", "ok"]


def test_first_password_after_sms_code(records, codes) -> None:
    records.send_otp("s", NO_PW_ID, channel="ivr", caller=None)
    assert records.verify_otp("s", NO_PW_ID, codes.last_code(), channel="ivr").ok
    assert records.change_password("s", "", "385027", "385027", channel="ivr").ok
    assert records.verify_password("t", NO_PW_ID, "385027", channel="ivr", caller=None).ok


def test_initial_password_asks_for_a_change(records) -> None:
    records.passwords.set(DEMO_ID, "385027", source="counter", must_change=True)
    v = records.verify_password("s", DEMO_ID, "385027", channel="ivr", caller=None)
    assert v.ok and v.must_change and "初始密码" in v.speech
    assert records.change_password("s", "385027", "902718", "902718", channel="ivr").ok
    assert not records.passwords.get(DEMO_ID).must_change
