"""What every agent operation needs: who the agent is, what the ACD and the IVR know of a call and
whether it is this agent's (or this supervisor's province's), the console's text limits."""

from __future__ import annotations

from typing import Any

from flask import abort
from flask_login import current_user

from web.extensions import platform_of
from web.i18n import current_language
from web.services import BadInput, to_jsonable

AGENT = ("agent",)
AGENT_SUP = ("agent", "supervisor")
# Length limits, shown in the forms (maxlength and a hint) and enforced here with a clear message.
SUBJECT_MAX, DETAILS_MAX, NOTES_MAX, QUERY_MAX = 60, 2000, 2000, 200


def within_limit(value: str | None, most: int, zh: str, en: str) -> str:
    """The text as given, or a BadInput naming the field and the limit (never silently cut)."""
    text = value or ""
    if len(text) > most:
        raise BadInput(f"{zh}最多{most}个字（现有{len(text)}个） / {en}: at most {most} characters ({len(text)} given)")
    return text


DISPOSITIONS = ("resolved", "transferred", "callback", "sms_sent", "ticket", "complaint", "wrong_number", "other")


def agent_id_of(user: Any) -> int | None:
    """The ACD agent id of a console user (None when the user has no agent profile)."""
    profile = platform_of().agents.agent_for_user(int(user.id))
    return int(profile.id) if profile is not None else None


def me() -> int:
    aid = agent_id_of(current_user)
    if aid is None:
        raise BadInput("您没有坐席档案，请联系管理员 / you have no agent profile: ask an admin")
    return aid


def as_dict(value: Any) -> dict[str, Any]:
    data = to_jsonable(value)
    return data if isinstance(data, dict) else {"value": data}



def call_record(call_id: str) -> dict[str, Any]:
    """What the ACD (and the IVR) know about a call: the ACD's call context plus its status."""
    status = platform_of().agents.call_status(call_id)
    if status is None:
        abort(404, description=f"no call {call_id}")
    record: dict[str, Any] = as_dict(status)
    record.update({k: v for k, v in as_dict(platform_of().agents.call_context(call_id) or {}).items()
                   if v is not None})
    record["state"] = status.state
    ivr_context = platform_of().ivr.call_context(call_id)
    if ivr_context:
        context = dict(record.get("context") or {})
        context.update({k: v for k, v in as_dict(ivr_context).items() if v not in (None, "", [])})
        record["context"] = context
    return record


def caller_number(call_id: str) -> str | None:
    """The caller's full number, only to send them an SMS or book a callback (never shown).

    The ACD's `callback_number()` audits every read; the actor is the console user."""
    number = platform_of().agents.callback_number(call_id, actor=f"user:{current_user.id}")
    return str(number) if number else None


def require_my_call(record: dict[str, Any]) -> None:
    if current_user.has_role("supervisor") and current_user.can_see_province(call_province(record)):
        return
    if not current_user.has_role("agent") or str(record.get("agent_id")) != str(me()):
        abort(403, description="this call is not offered to or connected with you")


def call_province(record: dict[str, Any]) -> str | None:
    return record.get("center_code") or (record.get("context") or {}).get("province")


def path_labels(path: list[Any], context: dict[str, Any]) -> list[str]:
    """The IVR path in the console's language (the flow's node titles); the ids when the IVR cannot say."""
    steps = [str(step) for step in path]
    if not steps:
        return []
    labels = platform_of().ivr.path_labels(steps, entry=context.get("entry"),
                                           flow_version=context.get("flow_version"), lang=current_language())
    labels = [str(label) for label in labels or []]
    return labels if len(labels) == len(steps) else steps
