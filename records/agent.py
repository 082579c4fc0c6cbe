"""Agent look-ups (`platform.records.agent_view`): who may see whose record, and how much of it.

An agent sees a record when (a) the caller on the agent's current call verified as that person
(`call_id` is the IVR session id, and the IVR verified it), or (b) the agent states a reason.
Whether `call_id` is the agent's current call is checked with `platform.agents.call_status` when the
ACD is available: its `agent_id` (the ACD's agent id) must be the agent profile of the console user
(`platform.agents.agent_for_user(user id)`); otherwise the console, which knows the call, is trusted
and the audit entry says `call_check: "unchecked"`. The audit actor is the console user
(`agent:<user id>`). Province scope (`user.province_scope`,
"00" = national) applies unless the call was transferred to this agent. Values are masked unless
`reveal` is asked by a role in `RecordsConfig.reveal_roles`; every outcome is audited.
"""

from __future__ import annotations

import importlib.util
import logging
from typing import TYPE_CHECKING, Any, TypedDict

from core.masking import mask_id
from records.connector import CoreUnavailable
from records.events import RecordLookup
from records.outcomes import BUSY, RecordOutcome
from records.view import DETAIL_SECTIONS

if TYPE_CHECKING:
    from records.service import RecordsService

log = logging.getLogger(__name__)


def call_check(svc: RecordsService, user: Any, call_id: str | None) -> str:
    """'own' | 'not_own' | 'unchecked' (no ACD to ask) | 'none' (no call given)."""
    if not call_id:
        return "none"
    platform = svc.platform
    if "agents" not in platform.__dict__ and importlib.util.find_spec("agents.wiring") is None:
        return "unchecked"
    try:
        status = platform.agents.call_status(call_id)
        on_call = getattr(status, "agent_id", None) if status is not None else None
        profile = platform.agents.agent_for_user(console_user_id(user)) if on_call is not None else None
    except Exception:  # noqa: BLE001 - an ACD being unavailable must not block a verified caller
        log.warning("could not ask the ACD about call %s", call_id)
        return "unchecked"
    if on_call is None or profile is None or int(profile.id) != int(on_call):
        return "not_own"
    return "own"


def console_user_id(user: Any) -> Any:
    """The console user's id. The web console used to pass a wrapper whose `id` is the ACD agent id
    and whose `user_id` is the console user's; both shapes are accepted."""
    return getattr(user, "user_id", None) or getattr(user, "id", None)


class _Basis(TypedDict):
    """What every audit entry of a console look-up carries (spread into `RecordsService.audit`'s detail)."""

    call_id: str | None
    call_check: str
    reason: str
    transferred: bool


def agent_view(svc: RecordsService, user: Any, id_number: str, *, call_id: str | None, reason: str | None,
               transferred: bool = False, reveal: bool = False, channel: str = "console") -> RecordOutcome:
    actor = f"agent:{console_user_id(user) or '?'}"
    action = "record.lookup"
    reason = (reason or "").strip()
    cid = svc._parse(id_number, action=action, channel=channel, session_id=call_id, actor=actor)
    if isinstance(cid, str):
        return RecordOutcome("invalid_id", cid, reason="invalid_id")
    number = cid.number
    check = call_check(svc, user, call_id)
    on_call = check in ("own", "unchecked")
    verified_caller = on_call and svc.is_verified(call_id or "") == number
    base = _Basis(call_id=call_id, call_check=check, reason=reason, transferred=transferred)

    def deny(outcome: str, speech: str, **extra: Any) -> RecordOutcome:
        svc.audit(action=action, outcome=outcome, channel=channel, subject=number, session_id=call_id,
                  actor=actor, **base, **extra)
        status = "not_verified" if outcome == "not_verified" else "denied"
        return RecordOutcome(status, speech, reason=outcome)

    if not verified_caller and not reason:
        if check == "not_own":
            return deny("not_your_call", "该通话不是您当前接听的通话，请填写查询事由。")
        return deny("not_verified", "来电人尚未通过身份验证，如需查询请填写查询事由。")
    if not verified_caller and len(reason) < svc.config.min_reason_length:
        return deny("reason_too_short", f"查询事由至少需要{svc.config.min_reason_length}个字。")
    try:
        person = svc.reader.person(number)
        if person is None:
            svc.audit(action=action, outcome="unknown_person", channel=channel, subject=number, session_id=call_id,
                      actor=actor, **base)
            return RecordOutcome("unknown_person", "未查询到该身份证号码的参保信息。")
        province = str(person["insured_province"])
        transferred_to_me = transferred and on_call
        if not user.can_see_province(province) and not transferred_to_me:
            return deny("out_of_scope", "该参保人不属于您所辖省份，无权查询。", province=province)
        view = svc.reader.fill(person, DETAIL_SECTIONS)
    except CoreUnavailable as down:
        svc.audit(action=action, outcome="unavailable", channel=channel, subject=number, session_id=call_id,
                  actor=actor, **base, core_error=down.reason)
        return RecordOutcome("unavailable", BUSY, reason=down.reason)
    revealed = bool(reveal and user.has_role(*svc.config.reveal_roles))
    fields = ["person", *DETAIL_SECTIONS]
    basis = "verified_caller" if verified_caller else "reason"
    svc.audit(action="record.reveal" if revealed else action, outcome="ok", channel=channel, subject=number,
              session_id=call_id, actor=actor, fields=fields, **base, basis=basis, revealed=revealed,
              reveal_refused=bool(reveal and not revealed), province=province)
    svc.platform.bus.emit(RecordLookup(session_id=call_id, call_id=call_id, channel=channel, actor=actor,
                                       outcome="ok", subject=mask_id(number), province=province, fields=fields,
                                       revealed=revealed))
    data = view.to_dict(masked=not revealed)
    note = "" if revealed or not reveal else "（您的角色无权查看完整信息，已脱敏显示）"
    return RecordOutcome("ok", f"已显示{data['person']['name']}的参保记录。{note}", fields=data, masked=not revealed,
                         reason=basis)
