"""Citizen identity verification: password, SMS code, lockout timing, sessions, audit on every path."""

from __future__ import annotations

from tests.records.conftest import DEMO_ID, DEMO_MOBILE, DEMO_PASSWORD, GD_ID, LOCK_ID, NO_PW_ID, audit_rows


def test_right_password_verifies_the_session_and_reads_out_the_record(platform, records) -> None:
    events = []
    platform.bus.subscribe(events.append, ("record.",))
    v = records.verify_password("call-1", DEMO_ID, DEMO_PASSWORD, channel="ivr", caller=DEMO_MOBILE)
    assert v.status == "ok" and v.province == "11"
    assert records.is_verified("call-1") == DEMO_ID
    assert records.is_verified("call-2") is None
    out = records.self_service_summary("call-1", channel="ivr")
    assert out.status == "ok"
    assert f"累计缴费{out.fields['contribution_months']}个月" in out.speech
    assert f"个人账户余额{out.fields['pension_balance']}元" in out.speech
    assert "养老金" in out.speech and out.fields["last_pension_amount"] in out.speech  # a retiree
    assert out.fields["id_number"] == "110105********002X" and out.fields["name"] == "李*兰"
    assert [e.type for e in events] == ["record.lookup"]
    assert events[0].data["call_id"] == "call-1" and events[0].data["subject"] == "110105********002X"
    actions = [(e.action, e.outcome) for e in audit_rows(platform, session_id="call-1")]
    assert actions == [("record.verify", "ok"), ("record.lookup", "ok")]
    lookup = audit_rows(platform, action="record.lookup")[0]
    assert lookup.subject == DEMO_ID and "pension_balance" in lookup.fields and lookup.actor == "citizen"


def test_summary_needs_verification(platform, records) -> None:
    out = records.self_service_summary("call-x", channel="ivr")
    assert out.status == "not_verified" and out.fields == {}
    assert audit_rows(platform, session_id="call-x")[0].outcome == "not_verified"


def test_five_wrong_passwords_lock_the_id_for_the_configured_time(platform, records, clock) -> None:
    lefts = [records.verify_password(f"c{i}", LOCK_ID, "000001", channel="ivr", caller=None) for i in range(5)]
    assert [v.status for v in lefts] == ["wrong"] * 4 + ["locked"]
    assert [v.attempts_left for v in lefts] == [4, 3, 2, 1, 0]
    assert "30分钟" in lefts[-1].speech and "按0" in lefts[-1].speech
    # locked: even the right password is refused, from any session, without checking it
    v = records.verify_password("c9", LOCK_ID, "159260", channel="ivr", caller=None)
    assert v.status == "locked" and records.is_verified("c9") is None
    assert records.send_otp("c9", LOCK_ID, channel="ivr", caller=None).status == "locked"
    lockouts = audit_rows(platform, action="record.lockout")
    assert len(lockouts) == 1 and lockouts[0].subject == LOCK_ID and lockouts[0].detail["max_attempts"] == 5
    clock.advance(29 * 60)
    assert records.verify_password("c10", LOCK_ID, "159260", channel="ivr", caller=None).status == "locked"
    clock.advance(61)
    v = records.verify_password("c11", LOCK_ID, "159260", channel="ivr", caller=None)
    assert v.status == "ok" and v.attempts_left is None
    # the counter started again from zero
    assert records.verify_password("c12", LOCK_ID, "000001", channel="ivr", caller=None).attempts_left == 4


def test_success_resets_the_failure_count(records) -> None:
    for _ in range(3):
        records.verify_password("a", DEMO_ID, "999990", channel="ivr", caller=None)
    assert records.verify_password("a", DEMO_ID, DEMO_PASSWORD, channel="ivr", caller=None).ok
    assert records.verify_password("b", DEMO_ID, "999990", channel="ivr", caller=None).attempts_left == 4


def test_invalid_id_is_refused_before_any_lookup(platform, records) -> None:
    records.core.close()
    records.core.url = "sqlite:////nonexistent/core.db"  # a look-up would now fail as 'unavailable'
    v = records.verify_password("c", "11010519491231002Y", DEMO_PASSWORD, channel="ivr", caller=None)
    assert v.status == "invalid_id" and "重新输入" in v.speech
    v = records.verify_password("c", "110105194912310021", DEMO_PASSWORD, channel="ivr", caller=None)
    assert v.status == "invalid_id" and "校验位" in v.speech
    row = audit_rows(platform)[-1]
    assert row.outcome == "invalid_id" and row.subject is None and row.detail["reason"] == "checksum"


def test_keypad_star_reads_as_x(records) -> None:
    assert records.verify_password("c", DEMO_ID[:-1] + "*", DEMO_PASSWORD, channel="ivr", caller=None).ok


def test_unknown_person_offers_an_agent(platform, records) -> None:
    from core.citizen_id import check_digit

    first17 = "11010519800101123"
    v = records.verify_password("c", first17 + check_digit(first17), "135790", channel="ivr", caller=None)
    assert v.status == "unknown_person" and "按0" in v.speech
    assert audit_rows(platform)[-1].outcome == "unknown_person"


def test_person_without_password_is_sent_to_the_sms_code(platform, records) -> None:
    v = records.verify_password("c", NO_PW_ID, "135790", channel="ivr", caller=None)
    assert v.status == "wrong" and v.reason == "no_password" and "短信验证码" in v.speech
    assert v.attempts_left is None  # not counted as a failure


def test_sms_code_path(platform, records, codes, clock) -> None:
    v = records.send_otp("call-7", NO_PW_ID, channel="ivr", caller="15900002468")
    assert v.status == "otp_sent" and "尾号2468" in v.speech
    msg = codes.sent[-1]
    assert msg["to"] == "15900002468" and msg["session_id"] == "call-7"
    assert msg["minutes"] == 5 and len(msg["code"]) == 6
    code = codes.last_code()
    wrong = "000000" if code != "000000" else "111111"
    assert records.verify_otp("call-7", NO_PW_ID, wrong, channel="ivr").attempts_left == 4
    # the code belongs to this session only
    assert records.verify_otp("call-8", NO_PW_ID, code, channel="ivr").reason == "otp_expired"
    ok = records.verify_otp("call-7", NO_PW_ID, code, channel="ivr")
    assert ok.status == "ok" and ok.province == "31" and records.is_verified("call-7") == NO_PW_ID
    # used up
    assert records.verify_otp("call-7", NO_PW_ID, code, channel="ivr").reason == "otp_expired"
    sent = audit_rows(platform, action="record.otp_send")[0]
    assert sent.detail == {"to": "159****2468", "caller_is_registered": True}


def test_sms_code_expires_after_five_minutes(records, codes, clock) -> None:
    records.send_otp("s", DEMO_ID, channel="sms", caller=None)
    clock.advance(301)
    v = records.verify_otp("s", DEMO_ID, codes.last_code(), channel="sms")
    assert v.status == "wrong" and v.reason == "otp_expired" and records.is_verified("s") is None


def test_code_goes_to_the_registered_mobile_whoever_calls(platform, records, codes) -> None:
    assert records.offers_otp(GD_ID, "13901001234", session_id="s") is True
    assert records.offers_otp(GD_ID, "+8613901001234") is True
    assert records.offers_otp(GD_ID, "13800138000") is False
    assert records.offers_otp("123", "13901001234") is False
    offers = audit_rows(platform, action="record.otp_offer")
    assert [(e.outcome, e.subject) for e in offers] == [("yes", GD_ID), ("yes", GD_ID), ("no", GD_ID)]
    assert offers[0].session_id == "s" and offers[0].fields == ["registered_mobile"]
    records.send_otp("s", GD_ID, channel="ivr", caller="13800138000")
    assert codes.sent[-1]["to"] == "13901001234"


def test_sms_failure_and_resend_limit(platform, records, codes) -> None:
    codes.fail = True
    v = records.send_otp("s", DEMO_ID, channel="ivr", caller=None)
    assert v.status == "unavailable" and "稍后再试" in v.speech
    assert audit_rows(platform)[-1].outcome == "sms_failed"
    codes.fail = False
    assert [records.send_otp("s", DEMO_ID, channel="ivr", caller=None).status for _ in range(3)] == \
        ["otp_sent", "otp_sent", "locked"]  # 3 sends per 10 minutes, the failed one included


def test_verification_belongs_to_the_session_and_expires(records, clock) -> None:
    assert records.verify_password("call-1", DEMO_ID, DEMO_PASSWORD, channel="ivr", caller=None).ok
    records.end_session("call-1")
    assert records.is_verified("call-1") is None
    assert records.self_service_summary("call-1", channel="ivr").status == "not_verified"
    assert records.verify_password("call-2", DEMO_ID, DEMO_PASSWORD, channel="ivr", caller=None).ok
    clock.advance(30 * 60 + 1)
    assert records.is_verified("call-2") is None


def test_audit_chain_stays_intact(platform, records) -> None:
    records.verify_password("a", DEMO_ID, "000001", channel="ivr", caller=None)
    records.verify_password("a", DEMO_ID, DEMO_PASSWORD, channel="ivr", caller=None)
    records.self_service_summary("a", channel="ivr")
    result = platform.audit.verify()
    assert result.ok and result.checked == 3


def test_one_session_cannot_guess_across_many_ids(platform, records) -> None:
    from core.citizen_id import check_digit
    from records.demo_citizens import DEMO_CITIZENS

    ids = [c.id_number for c in DEMO_CITIZENS if c.password]  # 5 people, 2 wrong guesses each
    for number in ids:
        for _ in range(2):
            assert records.verify_password("attacker", number, "000001", channel="ivr", caller=None).status == "wrong"
    v = records.verify_password("attacker", DEMO_ID, DEMO_PASSWORD, channel="ivr", caller=None)
    assert v.status == "locked" and v.reason == "session_blocked" and "本次通话" in v.speech
    assert records.send_otp("attacker", DEMO_ID, channel="ivr", caller=None).reason == "session_blocked"
    first17 = "11010519800101123"
    assert records.verify_password("attacker", first17 + check_digit(first17), "1", channel="ivr",
                                   caller=None).reason == "session_blocked"
    # no ID was locked by this: the owner calling from another session is fine
    assert records.verify_password("owner", DEMO_ID, DEMO_PASSWORD, channel="ivr", caller=None).ok
    assert audit_rows(platform)[-2].outcome == "session_blocked"
