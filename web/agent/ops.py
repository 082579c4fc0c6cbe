"""Agent operations (/api/v1/agent/..., /api/v1/kb/..., /api/v1/records/..., /api/v1/tickets/...):
state, offers, the call panel, knowledge search and SMS, record look-up, call control, tickets."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import abort, current_app
from flask_login import current_user
from werkzeug.exceptions import Conflict, HTTPException

from core import phone, provinces
from core.clock import china_now
from core.masking import mask_id, mask_phone
from core.zhdate import parse_local, zh_datetime
from ivr.asterisk.config import AmiSettings
from web.apikit import op
from web.extensions import platform_of
from web.i18n import current_language
from web.permissions import Param
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


def _me() -> int:
    aid = agent_id_of(current_user)
    if aid is None:
        raise BadInput("您没有坐席档案，请联系管理员 / you have no agent profile: ask an admin")
    return aid


def _as_dict(value: Any) -> dict[str, Any]:
    data = to_jsonable(value)
    return data if isinstance(data, dict) else {"value": data}


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
    aid = agent_id if agent_id is not None else _me()
    raw = _as_dict(platform_of().agents.agent_status(aid) or {})
    raw.setdefault("state", "logged_out")
    raw["agent_id"] = aid
    now = platform_of().clock.time()
    deadline = raw.get("deadline")
    if raw["state"] == "wrap_up" and deadline:
        raw["wrap_up_left"] = max(0, int(float(deadline) - now))
    if raw["state"] == "offered" and raw.get("call_id"):
        offer = {"call_id": raw["call_id"], "ring_left": max(0, int(float(deadline or now) - now))}
        ctx = _as_dict(platform_of().agents.call_context(raw["call_id"]) or {})
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
    platform_of().agents.login(_me())
    return agent_status()


@op("/agent/logout", method="POST", roles=AGENT, tag="agent", template="agent/_status.html")
def agent_logout() -> dict:
    """Sign out of my queues."""
    platform_of().agents.logout(_me())
    return agent_status()


@op("/agent/ready", method="POST", roles=AGENT, tag="agent", template="agent/_status.html")
def agent_ready() -> dict:
    """Go ready for calls (signs in first if needed)."""
    status = agent_status()
    if status.get("state") in ("logged_out", None):
        platform_of().agents.login(_me())
    platform_of().agents.set_ready(_me())
    return agent_status()


@op("/agent/not-ready", method="POST", roles=AGENT, tag="agent", template="agent/_status.html",
    params=(Param("reason", required=True, enum=("break", "meal", "training", "meeting", "other")),))
def agent_not_ready(reason: str) -> dict:
    """Go not ready with a reason."""
    platform_of().agents.set_not_ready(_me(), reason)
    return agent_status()


# ---- offers and the call panel ----------------------------------------------------------------

def _call_record(call_id: str) -> dict[str, Any]:
    """What the ACD (and the IVR) know about a call: the ACD's call context plus its status."""
    status = platform_of().agents.call_status(call_id)
    if status is None:
        abort(404, description=f"no call {call_id}")
    record: dict[str, Any] = _as_dict(status)
    record.update({k: v for k, v in _as_dict(platform_of().agents.call_context(call_id) or {}).items()
                   if v is not None})
    record["state"] = status.state
    ivr_context = platform_of().ivr.call_context(call_id)
    if ivr_context:
        context = dict(record.get("context") or {})
        context.update({k: v for k, v in _as_dict(ivr_context).items() if v not in (None, "", [])})
        record["context"] = context
    return record


def _caller_number(call_id: str) -> str | None:
    """The caller's full number, only to send them an SMS or book a callback (never shown).

    The ACD's `callback_number()` audits every read; the actor is the console user."""
    number = platform_of().agents.callback_number(call_id, actor=f"user:{current_user.id}")
    return str(number) if number else None


def _require_my_call(record: dict[str, Any]) -> None:
    if current_user.has_role("supervisor") and current_user.can_see_province(_call_province(record)):
        return
    if not current_user.has_role("agent") or str(record.get("agent_id")) != str(_me()):
        abort(403, description="this call is not offered to or connected with you")


def _call_province(record: dict[str, Any]) -> str | None:
    return record.get("center_code") or (record.get("context") or {}).get("province")


def _path_labels(path: list[Any], context: dict[str, Any]) -> list[str]:
    """The IVR path in the console's language (the flow's node titles); the ids when the IVR cannot say."""
    steps = [str(step) for step in path]
    if not steps:
        return []
    labels = platform_of().ivr.path_labels(steps, entry=context.get("entry"),
                                           flow_version=context.get("flow_version"), lang=current_language())
    labels = [str(label) for label in labels or []]
    return labels if len(labels) == len(steps) else steps


def _inputs_text(inputs: Any, context: dict[str, Any]) -> list[str]:
    """What the caller entered in the IVR, as "menu title: value" (never a raw dict)."""
    if isinstance(inputs, dict):
        return [f"{k}: {v}" for k, v in inputs.items()]
    items = [i for i in inputs or [] if isinstance(i, dict)]
    labels = _path_labels([str(i.get("node") or "") for i in items], context) if items else []
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
    record = _call_record(call_id)
    _require_my_call(record)
    context = dict(record.get("context") or {})
    caller = _caller_number(call_id)
    info = phone.try_parse(caller)
    province = _call_province(record)
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
    panel["ivr_path_labels"] = _path_labels(ivr_path, context)
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
    platform_of().agents.accept(_me(), call_id)
    return call_panel(call_id)


@op("/agent/calls/<call_id>/decline", method="POST", roles=AGENT, tag="agent", template="agent/_status.html")
def agent_decline(call_id: str) -> dict:
    """Decline the offered call (it goes back to the head of its queue; I become not ready)."""
    platform_of().agents.decline(_me(), call_id)
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
    platform_of().agents.hold(_me(), call_id)
    return {"ok": True, "message": "通话已保持 / on hold"}


@op("/agent/resume", method="POST", roles=AGENT, tag="agent", template="_done.html")
def agent_resume() -> dict:
    """Take my call off hold."""
    call_id = _my_call_id()
    _refuse_unholdable(call_id)
    platform_of().agents.resume(_me(), call_id)
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
    target = province or _call_province(_call_record(call_id)) or current_user.province_scope
    result = platform_of().switch.transfer(_me(), call_id, center_code=target, topic=topic or None, notes=note or "")
    return {"ok": True, "message": f"已转接 {provinces.name_of(target)} / transferred", "result": to_jsonable(result)}


@op("/agent/callback", method="POST", roles=AGENT, tag="agent", template="_done.html",
    params=(Param("call_id", required=True), Param("number", description="number to call back (default: caller)"),
            Param("when", description="ISO time (a ticket records it) or empty for the callback queue"),
            Param("note")))
def agent_callback(call_id: str, number: str | None, when: str | None, note: str | None) -> dict:
    """Schedule a callback: a ticket with the agreed time (the business office or I ring back)."""
    record = _call_record(call_id)
    _require_my_call(record)
    target = number or _caller_number(call_id)
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
    ticket = _open_ticket(subject=subject, details=note or subject, call_id=call_id, caller=target,
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
    platform_of().agents.wrap_up(_me(), disposition, notes, ready=ready is not False)
    return agent_status()


# ---- knowledge --------------------------------------------------------------------------------

HIT_FIELDS = ("article_id", "revision_id", "title", "short_answer", "score", "snippet", "province", "category")


def kb_search(q: str, province: str | None, limit: int = 5, all_provinces: bool = False) -> dict[str, Any]:
    result = platform_of().knowledge.search(q, province=province, limit=limit, channel="console",
                                            include_other_provinces=all_provinces)
    notices = platform_of().knowledge.notices(province) if q is not None else []
    hits = []
    for hit in result.hits:
        row = {f: getattr(hit, f) for f in HIT_FIELDS}  # the contract's names, not to_dict()'s
        text = f"{hit.title}：{hit.short_answer}"
        preview = platform_of().sms.preview(text)
        row["sms_parts"], row["sms_encoding"] = preview.parts, preview.encoding
        hits.append(row)
    return {"query": q, "province": province, "no_answer": result.no_answer,
            "hits": hits, "notices": to_jsonable(notices or [])}


@op("/kb/search", roles=("agent", "supervisor", "editor", "reviewer"), tag="knowledge",
    template="agent/_kb_results.html",
    params=(Param("q", required=True, where="query", max_length=200, description="question in Chinese"),
            Param("province", where="query", description="the call's province (answers for it first)"),
            Param("call_id", where="query"), Param("limit", kind="integer", where="query"),
            Param("all_provinces", kind="boolean", where="query",
                  description="also other provinces' answers (marked with their province)")))
def kb_search_op(q: str, province: str | None, call_id: str | None, limit: int | None,
                 all_provinces: bool | None) -> dict:
    """Search the knowledge base, province-aware, with active notices on top."""
    within_limit(q, QUERY_MAX, "检索内容", "query")
    result = kb_search(q, province, min(max(limit or 5, 1), 20), bool(all_provinces))
    result["call_id"] = call_id
    return result


@op("/kb/read/<article_id>", roles=("agent", "supervisor", "editor", "reviewer"), tag="knowledge",
    template="agent/_article.html")
def kb_read(article_id: str) -> dict:
    """An article in full as agents see it: the published revision, its number, effective dates, notices."""
    article = platform_of().knowledge.article(article_id)
    if article is None:
        abort(404, description=f"no published article {article_id}")
    return _as_dict(article)


@op("/kb/sms", method="POST", roles=AGENT, tag="knowledge", template="_done.html",
    params=(Param("article_id", required=True), Param("call_id", description="send to this call's caller"),
            Param("to", description="mobile number (when not the caller)")))
def kb_send_sms(article_id: str, call_id: str | None, to: str | None) -> dict:
    """Send a knowledge answer by SMS (template kb_answer) to the caller or a given mobile."""
    number = to
    if not number and call_id:
        _require_my_call(_call_record(call_id))
        number = _caller_number(call_id)
    if not number or not phone.is_mobile(number):
        raise BadInput("需要手机号码 / a mobile number is needed")
    article = platform_of().knowledge.article(article_id)
    if article is None:
        abort(404, description=f"no published article {article_id}")
    answer = _as_dict(article)
    variables = {"title": answer.get("title", ""), "answer": answer.get("short_answer") or answer.get("answer", "")}
    outbox_id = platform_of().sms.send(number, "kb_answer", variables, category="reply",
                                       idempotency_key=f"kb:{call_id or number}:{article_id}", session_id=call_id)
    parts = platform_of().sms.preview(f"{variables['title']}：{variables['answer']}").parts
    platform_of().audit.record(actor=f"agent:{_me()}", channel="console", action="sms.kb_answer", outcome="queued",
                               session_id=call_id, detail={"article_id": article_id, "outbox_id": outbox_id})
    return {"ok": True, "outbox_id": outbox_id, "parts": parts, "to": mask_phone(number),
            "message": f"短信已提交（{parts} 条）→ {mask_phone(number)}"}


@op("/kb/flag", method="POST", roles=AGENT_SUP, tag="knowledge", template="_done.html",
    params=(Param("article_id", required=True),
            Param("reason", required=True, enum=("wrong", "outdated", "unclear", "other")), Param("note")))
def kb_flag(article_id: str, reason: str, note: str | None) -> dict:
    """Flag an answer as wrong, outdated or unclear (goes to the editors)."""
    platform_of().knowledge.flag(article_id, int(current_user.id), reason, note or "")
    return {"ok": True, "message": "已反馈给知识库编辑 / flagged for the editors"}


@op("/kb/feedback", method="POST", roles=AGENT_SUP, tag="knowledge", template="_done.html",
    params=(Param("article_id", required=True), Param("helpful", kind="boolean", description="did the answer help"),
            Param("used", kind="boolean", description="this is the article I finally used for the call"),
            Param("query", description="what the caller asked"), Param("call_id")))
def kb_feedback(article_id: str, helpful: bool | None, used: bool | None, query: str | None,
                call_id: str | None) -> dict:
    """Say whether an answer helped, or which article was used for a call (feeds the editors' queue)."""
    platform_of().knowledge.feedback(article_id, helpful=helpful, used=bool(used), query=query or "",
                                     source="agent", channel="console", call_id=call_id or None,
                                     user_id=int(current_user.id))
    return {"ok": True, "message": "已记录反馈 / feedback recorded"}


# ---- records ----------------------------------------------------------------------------------

@op("/records/lookup", method="POST", roles=("agent", "supervisor"), tag="records", template="agent/_record.html",
    params=(Param("call_id", description="the call the caller was verified on"),
            Param("id_number", description="ID number (when not the verified caller)"),
            Param("reason", description="why, when not the verified caller of this call")))
def records_lookup(call_id: str | None, id_number: str | None, reason: str | None) -> dict:
    """Look up an insurance record: the verified caller of my call, or anyone with a stated reason.
    Every attempt the console refuses (not my call, no reason, no ID) is audited too."""
    try:
        return _records_lookup(call_id, id_number, reason)
    except (HTTPException, BadInput) as refused:
        status = getattr(refused, "code", None) or 400
        message = getattr(refused, "description", None) or str(refused)
        platform_of().audit.record(actor=f"user:{current_user.id}", channel="console", action="record.lookup",
                                   outcome="refused", subject=(id_number or "").strip().upper()[:100] or None,
                                   session_id=(call_id or None) and str(call_id)[:64],
                                   detail={"status": int(status), "why": str(message)[:200],
                                           "reason": (reason or "")[:200]})
        raise


def _records_lookup(call_id: str | None, id_number: str | None, reason: str | None) -> dict:
    transferred = False
    if call_id:
        record = _call_record(call_id)
        _require_my_call(record)
        transferred = bool((record.get("context") or {}).get("transferred"))
        if not id_number:
            id_number = platform_of().records.is_verified(call_id)
            if not id_number:
                raise BadInput("来电人未核验身份，请填写身份证号和查询理由 / caller not verified: give ID and reason")
            reason = reason or None
    if not id_number:
        raise BadInput("需要身份证号 / an ID number is needed")
    if not call_id and not (reason and reason.strip()):
        raise BadInput("需要查询理由 / a reason is needed")
    # the records service checks the call is mine and audits
    outcome = platform_of().records.agent_view(current_user, id_number.strip().upper(), call_id=call_id,
                                               reason=reason, transferred=transferred)
    return {"status": outcome.status, "speech": outcome.speech, "fields": to_jsonable(outcome.fields),
            "subject": mask_id(id_number)}


# ---- tickets ----------------------------------------------------------------------------------

@op("/tickets/alerts", roles=AGENT_SUP, tag="tickets", template="agent/_ticket_alerts.html")
def tickets_alerts() -> dict:
    """Overdue and nearly-due tickets of my province (all of them for national roles): the badge in
    every console's top bar, refreshed on each `ticket.alert` event."""
    return dict(platform_of().tickets.alert_counts(current_user.province_scope))


@op("/tickets", roles=AGENT_SUP, tag="tickets", template="agent/_tickets.html", scope="province",
    params=(Param("list", where="query", enum=("mine", "center", "overdue")),
            Param("province", where="query", description="center (default: my scope)")))
def tickets_list(list: str | None, province: str | None) -> dict:
    """Tickets: mine (opened or assigned), my center's, or overdue."""
    which = list or "mine"
    province = province or current_user.province_scope
    center = None if province == "00" else province
    if which == "mine":
        rows = platform_of().tickets.list_mine(current_user)
    elif which == "center":
        if center is None:
            raise BadInput("choose a center (province) for the center list")
        rows = platform_of().tickets.list_center(center)
    else:
        rows = platform_of().tickets.list_overdue(center)
    return {"list": which, "province": province, "tickets": to_jsonable(rows or [])}


def _open_ticket(*, subject: str, details: str, call_id: str | None, caller: str | None, due: str | None,
                 province: str | None = None) -> dict[str, Any]:
    id_number = None
    if call_id:
        record = _call_record(call_id)
        _require_my_call(record)
        province = province or _call_province(record)
        caller = caller or _caller_number(call_id)
        id_number = platform_of().records.is_verified(call_id)
    if not caller:
        raise BadInput("请填写来电号码 / the caller's number is needed")
    due_date = None
    if due:
        try:
            due_date = date.fromisoformat(due[:10])
        except ValueError:
            raise BadInput(f"not a date: {due}") from None
    view = platform_of().tickets.open_ticket(current_user, caller=caller, topic=subject,
                                             description=details or subject, province=province or None,
                                             id_number=id_number, call_id=call_id, due_date=due_date)
    return _as_dict(view)


@op("/tickets", method="POST", roles=AGENT_SUP, tag="tickets", template="_done.html",
    params=(Param("subject", required=True), Param("details"), Param("call_id"),
            Param("caller", description="caller's number (taken from the call when call_id is given)"),
            Param("province", description="province of the ticket (default: the call's, else mine)"),
            Param("due", fmt="date", description="YYYY-MM-DD; default 2 working days")))
def tickets_open(subject: str, details: str | None, call_id: str | None, caller: str | None, province: str | None,
                 due: str | None) -> dict:
    """Open a ticket (工单) for the business office; due in 2 working days unless given."""
    within_limit(subject, SUBJECT_MAX, "工单标题", "subject")
    within_limit(details, DETAILS_MAX, "工单内容", "details")
    data = _open_ticket(subject=subject, details=details or "", call_id=call_id, caller=caller, due=due,
                        province=province)
    return {"ok": True, "ticket": data, "message": f"工单已生成 #{data.get('id')}，办结时限 {data.get('due_date')}"}




@op("/tickets/<int:ticket_id>", roles=AGENT_SUP, tag="tickets", template="agent/_ticket.html")
def ticket_show(ticket_id: int) -> dict:
    """One ticket with its history and handler (the tickets service checks the province scope); for
    supervisors also the agents it can go to, with their work orders in progress against their limit."""
    return _ticket_detail(ticket_id)


def _ticket_detail(ticket_id: int) -> dict:
    data = _as_dict(platform_of().tickets.get(current_user, ticket_id))
    assignee = platform_of().accounts.get(data["assignee_id"]) if data.get("assignee_id") else None
    data["assignee_name"] = assignee.display_name if assignee else None
    data["assignees"] = (to_jsonable(platform_of().tickets.assignees(current_user, ticket_id))
                         if current_user.has_role("supervisor") and data.get("status") != "closed" else None)
    return data


@op("/tickets/<int:ticket_id>/assign", method="POST", roles=AGENT_SUP, tag="tickets", template="agent/_ticket.html",
    params=(Param("assignee_id", kind="integer", description="user id of the handler; empty: I take it"),))
def ticket_assign(ticket_id: int, assignee_id: int | None) -> dict:
    """Take a ticket (any agent or supervisor) or give it to an agent of its center (supervisors). An
    agent holds at most their profile's work orders in progress (`max_tickets`): one more is refused
    (422 with the reason)."""
    target = assignee_id or current_user.id
    if target != current_user.id and not current_user.has_role("supervisor"):
        abort(403, description="只有班长可以把工单分派给他人 / only supervisors assign tickets to others")
    platform_of().tickets.assign(current_user, ticket_id, target)
    return _ticket_detail(ticket_id)


@op("/tickets/<int:ticket_id>/comment", method="POST", roles=AGENT_SUP, tag="tickets", template="agent/_ticket.html",
    params=(Param("text", required=True),))
def ticket_comment(ticket_id: int, text: str) -> dict:
    """Add a note to a ticket."""
    text = within_limit(text, DETAILS_MAX, "意见", "comment")
    platform_of().tickets.comment(current_user, ticket_id, text)
    return _ticket_detail(ticket_id)


@op("/tickets/<int:ticket_id>/close", method="POST", roles=AGENT_SUP, tag="tickets", template="agent/_ticket.html",
    params=(Param("resolution", required=True),))
def ticket_close(ticket_id: int, resolution: str) -> dict:
    """Close a ticket with what was done."""
    resolution = within_limit(resolution, DETAILS_MAX, "办结说明", "resolution")
    platform_of().tickets.close(current_user, ticket_id, resolution)
    return _ticket_detail(ticket_id)
