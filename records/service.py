"""`platform.records`: citizen self-service (verify, read out, change password, SMS summary).

Every path writes an audit entry (who, channel, session, whose record, which fields, outcome) and
returns an outcome with speakable Chinese; a broken or slow core system becomes "系统繁忙，请稍后再试".
Agent look-ups live in `records.agent`.
"""

from __future__ import annotations

import logging
from typing import Any

from core import citizen_id
from core.masking import mask_id, mask_phone
from core.phone import try_parse
from records import outcomes as say
from records.agent import agent_view
from records.api import RecordsHost
from records.config import RecordsConfig
from records.connector import CoreUnavailable, ReadOnlyCore
from records.events import RecordLookup
from records.mapping import Mapping
from records.outcomes import RecordOutcome, Verification
from records.passwords import PasswordBook, weakness
from records.state import VerificationState
from records.summary import SELF_SERVICE_SECTIONS, self_service_fields, speech
from records.view import RecordReader, RecordView

log = logging.getLogger(__name__)

CITIZEN = "citizen"


class RecordsService:
    def __init__(self, platform: RecordsHost, config: RecordsConfig, core: ReadOnlyCore, mapping: Mapping) -> None:
        self.platform = platform
        self.config = config
        self.core = core
        self.reader = RecordReader(core, mapping)
        self.passwords = PasswordBook(platform.db, platform.clock)
        self.state = VerificationState(platform.store, config.limits, platform.settings.secret_key)

    # helpers -------------------------------------------------------------------------------
    def audit(self, *, action: str, outcome: str, channel: str, subject: str | None, session_id: str | None,
              actor: str = CITIZEN, fields: list[str] | None = None, **detail: Any) -> None:
        self.platform.audit.record(actor=actor, channel=channel, action=action, outcome=outcome, subject=subject,
                                   session_id=session_id, fields=fields or [], detail=detail)

    def _parse(self, raw: str, *, action: str, channel: str, session_id: str | None,
               actor: str = CITIZEN) -> citizen_id.CitizenId | str:
        """The parsed ID, or the speakable reason it is invalid (audited; nothing is looked up)."""
        try:
            return citizen_id.parse(raw or "")
        except citizen_id.InvalidCitizenId as bad:
            self.audit(action=action, outcome="invalid_id", channel=channel, subject=None, session_id=session_id,
                       actor=actor, reason=bad.reason)
            return bad.message + "，请重新输入。"

    def _locked(self, number: str, *, action: str, channel: str, session_id: str | None) -> Verification | None:
        if session_id and self.state.session_blocked(session_id):
            self.audit(action=action, outcome="session_blocked", channel=channel, subject=number,
                       session_id=session_id)
            return Verification("locked", say.SESSION_BLOCKED, attempts_left=0, reason="session_blocked")
        minutes = self.state.locked_minutes(number)
        if minutes is None:
            return None
        self.audit(action=action, outcome="locked", channel=channel, subject=number, session_id=session_id)
        return Verification("locked", say.locked(minutes), attempts_left=0, reason="locked")

    def _subject(self, id_number: str, *, action: str, channel: str, session_id: str,
                 person: bool) -> tuple[str, dict[str, Any]] | Verification:
        """What every self-service step checks first, in order: a valid ID (before any look-up), no
        lockout for the ID or the session, and (with `person`) that the core system knows the person."""
        cid = self._parse(id_number, action=action, channel=channel, session_id=session_id)
        if isinstance(cid, str):
            return Verification("invalid_id", cid, reason="invalid_id")
        number = cid.number
        if (locked := self._locked(number, action=action, channel=channel, session_id=session_id)) is not None:
            return locked
        if not person:
            return number, {}
        found = self._person(number, action=action, channel=channel, session_id=session_id)
        return found if isinstance(found, Verification) else (number, found)

    def _person(self, number: str, *, action: str, channel: str,
                session_id: str | None) -> dict[str, Any] | Verification:
        try:
            person = self.reader.person(number)
        except CoreUnavailable as down:
            log.warning("core system unavailable for %s: %s", mask_id(number), down.reason)
            self.audit(action=action, outcome="unavailable", channel=channel, subject=number, session_id=session_id,
                       reason=down.reason)
            return Verification("unavailable", say.BUSY, reason=down.reason)
        if person is None:
            self.audit(action=action, outcome="unknown_person", channel=channel, subject=number,
                       session_id=session_id)
            return Verification("unknown_person", say.UNKNOWN, reason="unknown_person")
        return person

    def _failed(self, number: str, *, action: str, channel: str, session_id: str | None, what: str) -> Verification:
        left = self.state.fail(number)
        if session_id:
            self.state.session_fail(session_id)
        self.audit(action=action, outcome="wrong", channel=channel, subject=number, session_id=session_id,
                   attempts_left=left)
        if left == 0:
            minutes = max(1, round(self.config.limits.lockout_seconds / 60))
            self.audit(action="record.lockout", outcome="locked", channel=channel, subject=number,
                       session_id=session_id, minutes=minutes, max_attempts=self.config.limits.max_attempts)
            log.warning("self-service locked for %s after %d failures", mask_id(number),
                        self.config.limits.max_attempts)
            return Verification("locked", say.locked(minutes), attempts_left=0, reason="locked")
        text = say.wrong_code(left) if what == "otp" else say.wrong_password(left)
        return Verification("wrong", text, attempts_left=left, reason="wrong_" + what)

    def _verified(self, session_id: str, number: str, province: str, *, method: str, channel: str,
                  must_change: bool = False) -> Verification:
        self.state.clear_failures(number)
        self.state.mark_verified(session_id, number, method, province, self.platform.clock.time())
        self.audit(action="record.verify", outcome="ok", channel=channel, subject=number, session_id=session_id,
                   method=method)
        text = say.VERIFIED + (say.MUST_CHANGE if must_change else "")
        return Verification("ok", text, province=province, must_change=must_change)

    # verification --------------------------------------------------------------------------
    def verify_password(self, session_id: str, id_number: str, password: str, *, channel: str,
                        caller: str | None = None) -> Verification:
        action = "record.verify"
        subject = self._subject(id_number, action=action, channel=channel, session_id=session_id, person=True)
        if isinstance(subject, Verification):
            return subject
        number, person = subject
        match = self.passwords.check(number, (password or "").strip())
        if match is None:
            self.audit(action=action, outcome="no_password", channel=channel, subject=number, session_id=session_id)
            return Verification("wrong", say.NO_PASSWORD, reason="no_password")
        if not match:
            return self._failed(number, action=action, channel=channel, session_id=session_id, what="password")
        row = self.passwords.get(number)
        return self._verified(session_id, number, str(person["insured_province"]), method="password",
                              channel=channel, must_change=bool(row and row.must_change))

    def send_otp(self, session_id: str, id_number: str, *, channel: str, caller: str | None = None) -> Verification:
        """Send a one-time code to the registered mobile (whoever asks). Sends are throttled per ID,
        per requesting number and, for strangers, per ID per day; a requester locked out of codes
        by wrong guesses gets none."""
        action = "record.otp_send"
        subject = self._subject(id_number, action=action, channel=channel, session_id=session_id, person=True)
        if isinstance(subject, Verification):
            return subject
        number, person = subject
        mobile = person.get("registered_mobile")
        if not mobile:
            self.audit(action=action, outcome="no_mobile", channel=channel, subject=number, session_id=session_id)
            return Verification("unavailable", say.NO_MOBILE, reason="no_mobile")
        own = self._same_number(caller, mobile)
        requester = self._requester(caller, session_id)
        if (minutes := self.state.otp_locked_minutes(number, requester)) is not None:
            self.audit(action=action, outcome="locked", channel=channel, subject=number, session_id=session_id,
                       reason="otp_locked")
            return Verification("locked", say.locked(minutes), attempts_left=0, reason="otp_locked",
                                caller_is_registered=own)
        if not self.state.may_send_otp(number, requester, own):
            self.audit(action=action, outcome="rate_limited", channel=channel, subject=number, session_id=session_id)
            return Verification("locked", say.OTP_TOO_OFTEN, reason="otp_rate_limited", caller_is_registered=own)
        code = self.state.new_otp(session_id, number, str(person["insured_province"]), requester=requester, own=own)
        minutes = max(1, round(self.config.limits.otp_ttl_seconds / 60))
        try:
            self.platform.code_sender.send_code(mobile, code, minutes=minutes, session_id=session_id)
        except Exception as error:  # noqa: BLE001 - any SMS failure must become a speakable outcome
            log.warning("OTP to %s failed: %s", mask_phone(mobile), type(error).__name__)
            self.state.end(session_id)
            self.audit(action=action, outcome="sms_failed", channel=channel, subject=number, session_id=session_id,
                       to=mask_phone(mobile))
            return Verification("unavailable", say.OTP_SEND_FAILED, reason="sms_failed")
        self.audit(action=action, outcome="otp_sent", channel=channel, subject=number, session_id=session_id,
                   to=mask_phone(mobile), caller_is_registered=own)
        return Verification("otp_sent", say.otp_sent(mobile[-4:], minutes),
                            attempts_left=self.state.otp_attempts_left(requester), caller_is_registered=own)

    @staticmethod
    def _requester(caller: str | None, session_id: str) -> str:
        parsed = try_parse(caller)
        return parsed.e164 if parsed else (caller or f"session:{session_id}")

    def verify_otp(self, session_id: str, id_number: str | None, code: str, *, channel: str) -> Verification:
        """Check a code. Wrong codes count against the requester that asked for it (and, for a
        stranger, against the ID's code path), never against the citizen's service password.
        Without `id_number` the ID the code was sent for is used (kept sealed with the pending code,
        so a channel such as SMS need not hold the ID between the two messages)."""
        action = "record.otp_verify"
        if id_number is None:
            id_number = self.state.pending_otp(session_id).get("subject", "")
            if not id_number:
                self.audit(action=action, outcome="expired", channel=channel, subject=None, session_id=session_id)
                return Verification("wrong", say.OTP_EXPIRED, reason="otp_expired")
        subject = self._subject(id_number, action=action, channel=channel, session_id=session_id, person=False)
        if isinstance(subject, Verification):
            return subject
        number, _ = subject
        pending = self.state.pending_otp(session_id)
        requester = pending.get("requester") or f"session:{session_id}"
        own = pending.get("own") == "1"
        if (minutes := self.state.otp_locked_minutes(number, requester)) is not None:
            self.audit(action=action, outcome="locked", channel=channel, subject=number, session_id=session_id,
                       reason="otp_locked")
            return Verification("locked", say.locked(minutes), attempts_left=0, reason="otp_locked")
        result = self.state.check_otp(session_id, number, code or "")
        if result is None:
            self.audit(action=action, outcome="expired", channel=channel, subject=number, session_id=session_id)
            return Verification("wrong", say.OTP_EXPIRED, reason="otp_expired")
        if result is False:
            left = self.state.otp_fail(number, requester, own)
            self.state.session_fail(session_id)
            self.audit(action=action, outcome="wrong", channel=channel, subject=number, session_id=session_id,
                       attempts_left=left)
            if left == 0:
                self.state.end(session_id)
                minutes = max(1, round(self.config.limits.lockout_seconds / 60))
                self.audit(action="record.otp_lockout", outcome="locked", channel=channel, subject=number,
                           session_id=session_id, minutes=minutes, own=own)
                return Verification("locked", say.locked(minutes), attempts_left=0, reason="otp_locked")
            return Verification("wrong", say.wrong_code(left), attempts_left=left, reason="wrong_otp")
        self.state.clear_otp_failures(requester)
        return self._verified(session_id, number, str(result), method="otp", channel=channel)

    def offers_otp(self, id_number: str, caller: str | None, *, session_id: str | None = None,
                   channel: str = "ivr") -> bool:
        """Whether the caller's own number is the registered mobile (the IVR may then offer the code
        first). Reads only the mobile (audited); invalid IDs, failures and unknown persons answer False."""
        if not citizen_id.is_valid(id_number or ""):
            return False
        number = citizen_id.normalise(id_number)
        try:
            person = self.reader.person(number)
        except CoreUnavailable:
            return False
        same = bool(person and self._same_number(caller, person.get("registered_mobile")))
        self.audit(action="record.otp_offer", outcome="yes" if same else "no", channel=channel, subject=number,
                   session_id=session_id, fields=["registered_mobile"])
        return same

    @staticmethod
    def _same_number(a: str | None, b: str | None) -> bool:
        pa, pb = try_parse(a), try_parse(b)
        return bool(pa and pb and pa.e164 == pb.e164)

    def is_verified(self, session_id: str) -> str | None:
        return self.state.session(session_id).get("id_number") or None

    def end_session(self, session_id: str) -> None:
        self.state.end(session_id)

    #: person statuses whose 参保地 is a live insurance relationship (a suspended one is not)
    ACTIVE_STATUSES = frozenset({"active", "retired", "unemployed"})

    def insured_region(self, session_id: str, *, channel: str = "ivr") -> dict[str, Any] | None:
        """Where the session's verified caller is insured (参保地: province code and city) according to
        the core system, for routing the call there. None when the session is not verified, the core
        system is down or the person's insurance is not active. Audited like every look-up."""
        number = self.is_verified(session_id)
        if number is None:
            return None
        fields = ["insured_province", "insured_city", "status"]
        try:
            person = self.reader.person(number)
        except CoreUnavailable as down:
            self.audit(action="record.region", outcome="unavailable", channel=channel, subject=number,
                       session_id=session_id, reason=down.reason)
            return None
        if person is None:
            self.audit(action="record.region", outcome="unknown_person", channel=channel, subject=number,
                       session_id=session_id)
            return None
        status = str(person.get("status") or "")
        active = status in self.ACTIVE_STATUSES
        self.audit(action="record.region", outcome="ok" if active else "inactive", channel=channel,
                   subject=number, session_id=session_id, fields=fields)
        if not active:
            return None
        return {"province": str(person.get("insured_province") or "") or None,
                "city": str(person.get("insured_city") or ""), "status": status}

    # what a verified citizen hears ---------------------------------------------------------
    def _own_view(self, session_id: str, *, channel: str, action: str) -> RecordView | RecordOutcome:
        number = self.is_verified(session_id)
        if number is None:
            self.audit(action=action, outcome="not_verified", channel=channel, subject=None, session_id=session_id)
            return RecordOutcome("not_verified", say.NOT_VERIFIED)
        try:
            view = self.reader.view(number, SELF_SERVICE_SECTIONS)
        except CoreUnavailable as down:
            self.audit(action=action, outcome="unavailable", channel=channel, subject=number,
                       session_id=session_id, reason=down.reason)
            return RecordOutcome("unavailable", say.BUSY, reason=down.reason)
        if view is None:
            self.audit(action=action, outcome="unknown_person", channel=channel, subject=number,
                       session_id=session_id)
            return RecordOutcome("unknown_person", say.UNKNOWN)
        return view

    def self_service_summary(self, session_id: str, *, channel: str) -> RecordOutcome:
        view = self._own_view(session_id, channel=channel, action="record.lookup")
        if isinstance(view, RecordOutcome):
            return view
        fields = self_service_fields(view)
        self.audit(action="record.lookup", outcome="ok", channel=channel, subject=view.id_number,
                   session_id=session_id, fields=sorted(fields))
        self.platform.bus.emit(RecordLookup(session_id=session_id, call_id=session_id, channel=channel, actor=CITIZEN,
                                            outcome="ok", subject=mask_id(view.id_number), province=view.province,
                                            fields=sorted(fields)))
        return RecordOutcome("ok", speech(view), fields=fields)

    def sms_summary(self, session_id: str, *, channel: str = "sms") -> RecordOutcome:
        """Send the summary by SMS, always and only to the registered mobile of the verified person."""
        view = self._own_view(session_id, channel=channel, action="record.sms_summary")
        if isinstance(view, RecordOutcome):
            return view
        if not view.mobile:
            self.audit(action="record.sms_summary", outcome="no_mobile", channel=channel, subject=view.id_number,
                       session_id=session_id)
            return RecordOutcome("unavailable", say.NO_MOBILE, reason="no_mobile")
        fields = self_service_fields(view)
        try:
            self.platform.code_sender.send_summary(view.mobile, speech(view), session_id=session_id)
        except Exception as error:  # noqa: BLE001
            log.warning("record SMS to %s failed: %s", mask_phone(view.mobile), type(error).__name__)
            self.audit(action="record.sms_summary", outcome="sms_failed", channel=channel, subject=view.id_number,
                       session_id=session_id)
            return RecordOutcome("unavailable", say.OTP_SEND_FAILED, reason="sms_failed")
        self.audit(action="record.sms_summary", outcome="ok", channel=channel, subject=view.id_number,
                   session_id=session_id, fields=sorted(fields), to=mask_phone(view.mobile))
        return RecordOutcome("ok", f"查询结果已发送至您尾号{view.mobile[-4:]}的手机。", fields=fields)

    # password change -----------------------------------------------------------------------
    def change_password(self, session_id: str, old: str, new: str, repeat: str, *, channel: str) -> Verification:
        action = "record.password_change"
        number = self.is_verified(session_id)
        if number is None:
            self.audit(action=action, outcome="not_verified", channel=channel, subject=None, session_id=session_id)
            return Verification("wrong", say.NOT_VERIFIED, reason="not_verified")
        if (locked := self._locked(number, action=action, channel=channel, session_id=session_id)) is not None:
            return locked
        old = (old or "").strip()
        if not old and self.passwords.has(number):  # nothing entered is not a guess: not counted
            self.audit(action=action, outcome="missing_old", channel=channel, subject=number, session_id=session_id)
            return Verification("wrong", "请输入原查询密码。", reason="missing_old")
        match = self.passwords.check(number, old)
        if match is False:
            return self._failed(number, action=action, channel=channel, session_id=session_id, what="password")
        new, repeat = (new or "").strip(), (repeat or "").strip()
        if new != repeat:
            self.audit(action=action, outcome="mismatch", channel=channel, subject=number, session_id=session_id)
            return Verification("wrong", "两次输入的新密码不一致，请重新输入。", reason="mismatch")
        if match and new == old:
            self.audit(action=action, outcome="weak", channel=channel, subject=number, session_id=session_id)
            return Verification("wrong", "新密码不能与原密码相同，请重新输入。", reason="weak_password")
        mobile = None
        try:
            person = self.reader.person(number)
            mobile = person.get("registered_mobile") if person else None
        except CoreUnavailable:
            pass  # the mobile rule is skipped; the others still apply
        why = weakness(new, birth=citizen_id.parse(number).birth_date, id_number=number, mobile=mobile)
        if why:
            self.audit(action=action, outcome="weak", channel=channel, subject=number, session_id=session_id)
            return Verification("wrong", f"{why}，请重新设置。", reason="weak_password")
        self.passwords.set(number, new, source="phone" if channel != "sms" else "sms")
        self.audit(action=action, outcome="ok", channel=channel, subject=number, session_id=session_id,
                   first_password=match is None)
        return Verification("ok", "查询密码修改成功，请牢记新密码。")

    # agents --------------------------------------------------------------------------------
    def agent_view(self, user: Any, id_number: str, *, call_id: str | None, reason: str | None,
                   transferred: bool = False, reveal: bool = False, channel: str = "console") -> RecordOutcome:
        return agent_view(self, user, id_number, call_id=call_id, reason=reason, transferred=transferred,
                          reveal=reveal, channel=channel)

    def close(self) -> None:
        self.core.close()
