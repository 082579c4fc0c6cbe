"""Agent operations (/api/v1/agent/...): state, offers, the call panel (screen pop) and call control.
Knowledge, records and tickets have their own modules beside this one."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app
from flask_login import current_user
from werkzeug.exceptions import Conflict

from core import phone, provinces
from core.clock import china_now
from core.masking import mask_phone
from core.zhdate import parse_local, zh_datetime
from ivr.asterisk.config import AmiSettings
from web.agent.context import (
    AGENT,
    AGENT_SUP,
    DISPOSITIONS,
    NOTES_MAX,
    as_dict,
    call_province,
    call_record,
    caller_number,
    me,
    path_labels,
    require_my_call,
    within_limit,
)
from web.agent.tickets_ops import open_ticket
from web.apikit import op
from web.extensions import platform_of
from web.permissions import Param
from web.services import BadInput, to_jsonable

# ---- state ------------------------------------------------------------------------------------

def _today_counts(agent_id: int, center_code: str | None) -> dict[str, int]:
    """Calls this agent finished today (Beijing day), by disposition (the ACD's wrap-ups)."""
    start = china_now(platform_of().clock).replace(hour=0, minute=0, second=0, microsecond=0)
    rows = platform_of().agents.handled_by_agent(start, start + timedelta(days=1), center_code or None)
    for row in to_jsonable(rows or []):
        if int(row.get("agent_id") or 0) == agent_id:
            counts = {str(d): int(n) for d, n in (row.get("dispositions") or {}).items()}
            counts["handled"] = int(row.get("handled") or sum(counts.values()))
            return counts
    return {"handled": 0}


def agent_status(agent_id: int | None = None) -> dict[str, Any]:
    """The status bar: state, reason, wrap-up seconds left, current call/offer, today's counts."""
    aid = agent_id if agent_id is not None else me()
    raw = as_dict(platform_of().agents.agent_status(aid) or {})
    raw.setdefault("state", "logged_out")
    raw["agent_id"] = aid
    now = platform_of().clock.time()
    deadline = raw.get("deadline")
    if raw["state"] == "wrap_up" and deadline:
        raw["wrap_up_left"] = max(0, int(float(deadline) - now))
    if raw["state"] == "offered" and raw.get("call_id"):
        offer = {"call_id": raw["call_id"], "ring_left": max(0, int(float(deadline or now) - now))}
        ctx = as_dict(platform_of().agents.call_context(raw["call_id"]) or {})
        offer.update(caller_masked=ctx.get("caller_masked"), topic=ctx.get("topic"), queue_id=ctx.get("queue_id"))
        raw["offer"] = offer
    raw["today"] = _today_counts(aid, raw.get("center_code"))
    return raw


@op("/agent/status", roles=AGENT, tag="agent", template="agent/_status.html")
def agent_status_op() -> dict:
    """My state, reason, wrap-up countdown, current offer/call and today's counts."""
    return agent_status()


@op("/agent/login", method="POST", roles=AGENT, tag="agent", template="agent/_status.html",
    params=(Param("skills", kind="array", description="skills to sign in with (default: my profile)"),))
def agent_login(skills: list[str] | None) -> dict:
    """Sign in to my queues."""
    platform_of().agents.login(me())
    return agent_status()


@op("/agent/logout", method="POST", roles=AGENT, tag="agent", template="agent/_status.html")
def agent_logout() -> dict:
    """Sign out of my queues."""
    platform_of().agents.logout(me())
    return agent_status()


@op("/agent/ready", method="POST", roles=AGENT, tag="agent", template="agent/_status.html")
def agent_ready() -> dict:
    """Go ready for calls (signs in first if needed)."""
    status = agent_status()
    if status.get("state") in ("logged_out", None):
        platform_of().agents.login(me())
    platform_of().agents.set_ready(me())
    return agent_status()


@op("/agent/not-ready", method="POST", roles=AGENT, tag="agent", template="agent/_status.html",
    params=(Param("reason", required=True, enum=("break", "meal", "training", "meeting", "other")),))
def agent_not_ready(reason: str) -> dict:
    """Go not ready with a reason."""
    platform_of().agents.set_not_ready(me(), reason)
    return agent_status()


# ---- offers and the call panel ----------------------------------------------------------------

def _inputs_text(inputs: Any, context: dict[str, Any]) -> list[str]:
    """What the caller entered in the IVR, as "menu title: value" (never a raw dict)."""
    if isinstance(inputs, dict):
        return [f"{k}: {v}" for k, v in inputs.items()]
    items = [i for i in inputs or [] if isinstance(i, dict)]
    labels = path_labels([str(i.get("node") or "") for i in items], context) if items else []
    return [f"{label}: {i.get('value')}" for label, i in zip(labels, items, strict=False)]


def voice_linked(channel: str | None, call_id: str) -> bool:
    """Whether hold and transfer reach the caller's voice: a test call (its channel plays them), an
    Asterisk call with the AMI client configured, or a Twilio call with Twilio configured."""
    settings = platform_of().settings
    if channel == "test" or str(call_id).startswith("test-"):
        return True
    if channel == "asterisk":
        return bool(AmiSettings.of(settings).host)
    if channel == "twilio":
        return bool(settings.twilio_account_sid)
    return False


HOLD_NEEDS_CONFERENCE = ("Twilio 来电需设置 TWILIO_AGENT_LEG=conference 才能保持 / "
                         "holding a Twilio call needs TWILIO_AGENT_LEG=conference")


def hold_linked(channel: str | None, call_id: str) -> bool:
    """Whether hold reaches the caller's voice: as `voice_linked`, except that a Twilio call can be
    held only in a conference (a `<Dial>` leg cannot be held without ending it)."""
    if not voice_linked(channel, call_id):
        return False
    if channel == "twilio":
        voice = current_app.extensions.get("twilio_voice")
        return bool(voice is not None and voice.config.conference_legs)
    return True


def _refuse_unholdable(call_id: str) -> None:
    voice = current_app.extensions.get("twilio_voice")
    if voice is not None and not voice.config.conference_legs and voice.is_twilio_call(call_id):
        raise BadInput(HOLD_NEEDS_CONFERENCE)


def call_panel(call_id: str) -> dict[str, Any]:
    """The screen pop: masked caller and location, identity, routing and why, IVR path, topic, history."""
    record = call_record(call_id)
    require_my_call(record)
    context = dict(record.get("context") or {})
    caller = caller_number(call_id)
    info = phone.try_parse(caller)
    province = call_province(record)
    routing = context.get("routing")
    if not isinstance(routing, dict):
        routing = {}
    reasons = context.get("routing_reasons") or context.get("reasons") or routing.get("reasons") or []
    if isinstance(reasons, dict):
        reasons = [reasons]
    ivr_path = context.get("ivr_path") or context.get("path") or []
    channel = context.get("channel")
    panel = {
        "call_id": call_id,
        "state": record.get("state"),
        "caller_masked": record.get("caller_masked") or mask_phone(caller),
        "caller_location": info.location if info else "",
        "verified": bool(context.get("verified")),
        "verified_id_masked": context.get("verified_id_masked") or context.get("id_masked") or "",
        "province": province,
        "province_name": provinces.name_of(province),
        "queue_id": record.get("queue_id"),
        "journey": record.get("journey") or [],
        "notes": record.get("notes") or [],
        "routing_reasons": [r.get("text") or r.get("code") if isinstance(r, dict) else str(r) for r in reasons],
        "ivr_path": ivr_path,
        "ivr_path_labels": [],
        "inputs": context.get("inputs") or {},
        "topic": record.get("topic") or context.get("topic"),
        "kb_answer": context.get("kb_answer"),
        "channel": channel,
        "earlier_contacts": [],
    }
    panel["ivr_path_labels"] = path_labels(ivr_path, context)
    panel["inputs_text"] = _inputs_text(panel["inputs"], context)
    panel["voice_linked"] = voice_linked(channel, record.get("call_id") or call_id)
    panel["hold_linked"] = hold_linked(channel, record.get("call_id") or call_id)
    contacts = platform_of().ivr.contacts(caller=caller, id_number=platform_of().records.is_verified(call_id),
                                          limit=10)
    panel["earlier_contacts"] = [c for c in to_jsonable(contacts or []) if c.get("call_id") != call_id]
    return panel


@op("/agent/calls/<call_id>", roles=AGENT_SUP, tag="agent", template="agent/_call.html")
def agent_call(call_id: str) -> dict:
    """The call panel for a call offered to or connected with me."""
    return call_panel(call_id)


@op("/agent/calls/<call_id>/accept", method="POST", roles=AGENT, tag="agent", template="agent/_call.html")
def agent_accept(call_id: str) -> dict:
    """Accept the offered call; answers the call panel."""
    platform_of().agents.accept(me(), call_id)
    return call_panel(call_id)


@op("/agent/calls/<call_id>/decline", method="POST", roles=AGENT, tag="agent", template="agent/_status.html")
def agent_decline(call_id: str) -> dict:
    """Decline the offered call (it goes back to the head of its queue; I become not ready)."""
    platform_of().agents.decline(me(), call_id)
    return agent_status()


def _my_call_id() -> str:
    status = agent_status()
    if not status.get("call_id"):
        raise Conflict("当前没有通话 / you have no call")  # a state refusal: 409
    return str(status["call_id"])


@op("/agent/hold", method="POST", roles=AGENT, tag="agent", template="_done.html")
def agent_hold() -> dict:
    """Put my connected call on hold."""
    call_id = _my_call_id()
    _refuse_unholdable(call_id)
    platform_of().agents.hold(me(), call_id)
    return {"ok": True, "message": "通话已保持 / on hold"}


@op("/agent/resume", method="POST", roles=AGENT, tag="agent", template="_done.html")
def agent_resume() -> dict:
    """Take my call off hold."""
    call_id = _my_call_id()
    _refuse_unholdable(call_id)
    platform_of().agents.resume(me(), call_id)
    return {"ok": True, "message": "通话已恢复 / resumed"}


@op("/agent/hangup", method="POST", roles=AGENT, tag="agent", template="agent/_status.html")
def agent_hangup() -> dict:
    """End my connected call (I go to wrap-up)."""
    platform_of().agents.end_call(_my_call_id(), "agent_hangup")
    return agent_status()


@op("/agent/transfer", method="POST", roles=AGENT, tag="agent", template="_done.html",
    params=(Param("province", description="target center (default: my call's center)"),
            Param("topic", description="target queue topic, e.g. pension, medical"),
            Param("note", description="handover note for the next agent")))
def agent_transfer(province: str | None, topic: str | None, note: str | None) -> dict:
    """Transfer my call to another queue or province (a local queue, or a remote center by handoff)."""
    call_id = _my_call_id()
    if not province and not topic:
        raise BadInput("请选择省份或队列 / choose a province or a queue")
    if province and provinces.lookup(province) is None:
        raise BadInput(f"unknown province {province}")
    target = province or call_province(call_record(call_id)) or current_user.province_scope
    result = platform_of().switch.transfer(me(), call_id, center_code=target, topic=topic or None, notes=note or "")
    return {"ok": True, "message": f"已转接 {provinces.name_of(target)} / transferred", "result": to_jsonable(result)}


@op("/agent/callback", method="POST", roles=AGENT, tag="agent", template="_done.html",
    params=(Param("call_id", required=True), Param("number", description="number to call back (default: caller)"),
            Param("when", description="ISO time (a ticket records it) or empty for the callback queue"),
            Param("note")))
def agent_callback(call_id: str, number: str | None, when: str | None, note: str | None) -> dict:
    """Schedule a callback: a ticket with the agreed time (the business office or I ring back)."""
    record = call_record(call_id)
    require_my_call(record)
    target = number or caller_number(call_id)
    if not target or phone.try_parse(target) is None:
        raise BadInput("需要有效的回拨号码 / a valid callback number is needed")
    spoken = "尽快"
    if when:
        try:
            moment = parse_local(when)
        except ValueError:
            raise BadInput("回拨时间格式应为 2026-12-07 10:00 / the time must look like 2026-12-07 10:00") from None
        spoken = zh_datetime(moment, china_now(platform_of().clock).date())
    subject = "预约回拨" + (f" {spoken}" if when else "")
    ticket = open_ticket(subject=subject, details=note or subject, call_id=call_id, caller=target,
                          due=when[:10] if when else None)
    platform_of().sms.send(target, "callback_scheduled", {"time": spoken}, category="reply",
                           idempotency_key=f"cb:{call_id}", session_id=call_id)
    return {"ok": True, "message": f"已预约回拨 {mask_phone(target)}", "ticket": ticket}


@op("/agent/wrap-up", method="POST", roles=AGENT, tag="agent", template="agent/_status.html",
    params=(Param("disposition", required=True, enum=DISPOSITIONS), Param("notes"),
            Param("ready", kind="boolean", description="go ready afterwards (default yes)")))
def agent_wrap_up(disposition: str, notes: str | None, ready: bool | None) -> dict:
    """Finish the call with a disposition code and notes (ends it first if still connected)."""
    notes = within_limit(notes, NOTES_MAX, "备注", "notes")  # refused before anything changes
    status = agent_status()
    if status.get("state") == "on_call" and status.get("call_id"):
        platform_of().agents.end_call(status["call_id"], "agent_hangup")
    platform_of().agents.wrap_up(me(), disposition, notes, ready=ready is not False)
    return agent_status()
