"""Supervisor operations (/api/v1/supervisor/...): wallboard figures, the day by 15-minute interval,
agents and their states, forcing an agent not ready or out (audited), reports with CSV, satisfaction."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import Response, abort, current_app
from flask_login import current_user

from core.clock import china_now, local_zone
from ivr.asterisk.config import AmiSettings
from web.apikit import op
from web.events import SupervisorMonitor
from web.extensions import platform_of
from web.permissions import Param
from web.services import BadInput, ServiceUnavailable, to_jsonable

SUP = ("supervisor",)
REPORT_BY = ("day", "interval", "queue", "agent")


def _scope(province: str | None) -> str:
    return province or current_user.province_scope


def _day(text: str | None) -> date:
    if not text:
        return china_now(platform_of().clock).date()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadInput(f"not a date (YYYY-MM-DD): {text}") from None


OWN = Param("own", kind="boolean", where="query",
            description="with province 00: the national center's own queues and agents, not the national total")


def acd_scope(scope: str, own: bool = False) -> str:
    """Console province scope ("00", "44") as the ACD's statistics scope ("national", "center:44");
    with `own`, "00" is the national center itself ("center:00") rather than the national total."""
    return "national" if scope in ("00", "", None) and not own else f"center:{scope or '00'}"


def center_filter(scope: str, own: bool = False) -> str | None:
    """The center whose agents and calls to list: None for the national total."""
    return None if scope == "00" and not own else scope


def wallboard(scope: str, own: bool = False) -> dict[str, Any]:
    stats = to_jsonable(platform_of().agents.stats(acd_scope(scope, own))) or {}
    agents = to_jsonable(platform_of().agents.agents_live(center_filter(scope, own))) or []
    now = platform_of().clock.time()
    for a in agents:
        since = a.get("since") or 0
        a["time_in_state"] = int(now - since) if since else None
    # work orders past or near their due date (the ticket watcher alerts on them)
    tickets = platform_of().tickets.alert_counts(scope, own=own)
    return {"scope": scope, "own": own, "stats": stats, "agents": agents, "tickets": tickets}


@op("/supervisor/wallboard", roles=SUP, scope="province", tag="supervisor", template="supervisor/_wallboard.html",
    params=(Param("province", where="query", description="center code; 00 = national (default: my scope)"), OWN))
def supervisor_wallboard(province: str | None, own: bool | None) -> dict:
    """Waiting, longest wait, agents by state, service level (15 s), ASA, AHT, abandonment, agents."""
    return wallboard(_scope(province), bool(own))


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), local_zone()).astimezone(UTC)
    return start, start + timedelta(days=1)


def intervals(scope: str, day: date, own: bool = False) -> list[dict[str, Any]]:
    """Every 15-minute interval of the day with calls: stored ones plus the open one (live counters)."""
    since, until = _day_bounds(day)
    rows = to_jsonable(platform_of().agents.intervals(acd_scope(scope, own), since, until)) or []
    for row in rows:
        local = datetime.fromisoformat(row["interval_start"]).astimezone(local_zone())
        row["start"] = local.strftime("%H:%M")
    return rows


@op("/supervisor/intervals", roles=SUP, scope="province", tag="supervisor", template="supervisor/_chart.html",
    params=(Param("province", where="query"),
            Param("day", where="query", fmt="date", description="YYYY-MM-DD (default today)"), OWN))
def supervisor_intervals(province: str | None, day: str | None, own: bool | None) -> dict:
    """The day by 15-minute interval: offered, answered, abandoned, service level."""
    scope = _scope(province)
    return {"scope": scope, "day": _day(day).isoformat(), "intervals": intervals(scope, _day(day), bool(own))}


def _agent_in_scope(agent_id: int) -> dict[str, Any]:
    status = to_jsonable(platform_of().agents.agent_status(agent_id))
    if not status:
        abort(404, description=f"no agent {agent_id}")
    if not current_user.can_see_province(status.get("center_code")):
        abort(403, description="agent outside your scope")
    return status


def _audit(action: str, agent_id: int, detail: dict[str, Any]) -> None:
    platform_of().audit.record(actor=f"user:{current_user.id}", channel="console", action=action,
                               subject=f"agent:{agent_id}", outcome="ok", detail=detail)


@op("/supervisor/agents/<int:agent_id>/not-ready", method="POST", roles=SUP, scope="province", tag="supervisor",
    template="_done.html", params=(Param("reason", description="shown to the agent"),
                                   Param("province", description="the agent's center (checked)")))
def supervisor_force_not_ready(agent_id: int, reason: str | None, province: str | None) -> dict:
    """Set an agent not ready (audited)."""
    _agent_in_scope(agent_id)
    platform_of().agents.set_not_ready(agent_id, reason or "supervisor")
    _audit("acd.force_not_ready", agent_id, {"reason": reason or "supervisor"})
    return {"ok": True, "message": f"agent {agent_id}: not ready"}


@op("/supervisor/agents/<int:agent_id>/logout", method="POST", roles=SUP, scope="province", tag="supervisor",
    template="_done.html", params=(Param("province", description="the agent's center (checked)"),))
def supervisor_force_logout(agent_id: int, province: str | None) -> dict:
    """Log an agent out of the queues (audited)."""
    _agent_in_scope(agent_id)
    platform_of().agents.logout(agent_id)
    _audit("acd.force_logout", agent_id, {})
    return {"ok": True, "message": f"agent {agent_id}: logged out"}


def _combine(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Sum interval figures; ASA and AHT weighted by answered and handled calls."""
    sums = {k: sum(int(r.get(k) or 0) for r in rows) for k in ("offered", "answered", "abandoned", "handled",
                                                                 "answered_in_sl")}
    wait = sum((r.get("asa") or 0) * int(r.get("answered") or 0) for r in rows)
    handle = sum((r.get("aht") or 0) * int(r.get("handled") or 0) for r in rows)
    left = sums["answered"] + sums["abandoned"]
    out: dict[str, int | float | None] = dict(sums)
    out["service_level"] = round(sums["answered_in_sl"] / left, 4) if left else None
    out["asa"] = round(wait / sums["answered"], 1) if sums["answered"] else None
    out["aht"] = round(handle / sums["handled"], 1) if sums["handled"] else None
    out["abandonment_rate"] = round(sums["abandoned"] / left, 4) if left else None
    return out


def _history(scope: str, start: date, end: date) -> list[dict[str, Any]]:
    since, _ = _day_bounds(start)
    _, until = _day_bounds(end)
    rows = to_jsonable(platform_of().agents.intervals(scope, since, until)) or []  # stored + the open interval
    for row in rows:
        local = datetime.fromisoformat(row["interval_start"]).astimezone(local_zone())
        row["day"], row["interval"] = local.date().isoformat(), local.strftime("%Y-%m-%d %H:%M")
    return rows


def _by_agent(scope: str, start: date, end: date) -> list[dict[str, Any]]:
    """Calls each agent wrapped up in the period (the ACD's wrap-ups), with AHT and the top disposition."""
    since, _ = _day_bounds(start)
    _, until = _day_bounds(end)
    rows = to_jsonable(platform_of().agents.handled_by_agent(since, until, None if scope == "00" else scope)) or []
    out = []
    for r in rows:
        dispositions = r.get("dispositions") or {}
        out.append({"agent_id": r["agent_id"], "name": r.get("name"),
                    **({"login": r["login"]} if r.get("login") else {}), "center_code": r.get("center_code"),
                    "handled": int(r.get("handled") or 0), "aht": r.get("aht"),
                    **{f"disposition_{d}": int(n) for d, n in sorted(dispositions.items())}})
    return out


def report_rows(by: str, scope: str, start: date, end: date) -> list[dict[str, Any]]:
    if by not in REPORT_BY:
        raise BadInput(f"by must be one of {', '.join(REPORT_BY)}")
    if end < start:
        raise BadInput("the end date is before the start date")
    if (end - start).days > 366:
        raise BadInput("at most one year per report")
    if by == "agent":
        return _by_agent(scope, start, end)
    if by == "queue":
        queues = [q for q in to_jsonable(platform_of().agents.queues()) if scope == "00" or q["center_code"] == scope]
        out = []
        for q in queues:
            rows = _history(f"queue:{q['id']}", start, end)
            if rows:
                out.append({"queue_id": q["id"], **_combine(rows)})
        return out
    rows = _history(acd_scope(scope), start, end)
    if by == "interval":
        keep = ("interval", "offered", "answered", "abandoned", "handled", "service_level", "asa", "aht",
                "abandonment_rate")
        return [{k: r.get(k) for k in keep} for r in rows]
    days: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        days.setdefault(r["day"], []).append(r)
    return [{"day": d, **_combine(rs)} for d, rs in sorted(days.items())]


@op("/supervisor/reports", roles=SUP, scope="province", tag="supervisor", template="supervisor/_report.html",
    media=("application/json", "text/csv"),
    params=(Param("by", where="query", enum=REPORT_BY), Param("province", where="query"),
            Param("from", where="query", fmt="date", description="YYYY-MM-DD"), Param("to", where="query", fmt="date"),
            Param("format", where="query", enum=("json", "csv"))))
def supervisor_reports(by: str | None, province: str | None, format: str | None, **dates: str | None) -> Any:
    """Reports by day, interval, queue or agent (JSON or CSV)."""
    end = _day(dates.get("to"))
    start = _day(dates.get("from")) if dates.get("from") else end - timedelta(days=6)
    rows = report_rows(by or "day", _scope(province), start, end)
    if format == "csv":
        out = io.StringIO()
        columns = list(dict.fromkeys(k for r in rows for k in r)) or ["empty"]
        writer = csv.DictWriter(out, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
        name = f"report-{by or 'day'}-{_scope(province)}-{start}-{end}.csv"
        return Response("\ufeff" + out.getvalue(), mimetype="text/csv",
                        headers={"Content-Disposition": f"attachment; filename={name}"})
    return {"by": by or "day", "scope": _scope(province), "from": start.isoformat(), "to": end.isoformat(),
            "rows": rows}


@op("/supervisor/satisfaction", roles=SUP, scope="province", tag="supervisor",
    template="supervisor/_satisfaction.html",
    params=(Param("province", where="query"), Param("from", where="query", fmt="date"),
            Param("to", where="query", fmt="date")))
def supervisor_satisfaction(province: str | None, **dates: str | None) -> dict:
    """Satisfaction survey results (from the IVR's post-call survey)."""
    end = _day(dates.get("to"))
    start = _day(dates.get("from")) if dates.get("from") else end - timedelta(days=6)
    since, _ = _day_bounds(start)
    _, until = _day_bounds(end)
    scope = _scope(province)
    by_province = to_jsonable(platform_of().ivr.survey_report(since=since, until=until, group_by="province")) or []
    result = [r for r in by_province if scope == "00" or r.get("province") == scope]
    return {"scope": _scope(province), "from": start.isoformat(), "to": end.isoformat(),
            "results": to_jsonable(result)}


# ---- callbacks ----------------------------------------------------------------------------------

CALLBACK_OUTCOMES = ("reached", "not_needed", "no_answer", "wrong_number")  # the ACD's outcomes


def callbacks(scope: str) -> dict[str, Any]:
    """Pending callbacks (missed calls to ring back) of a center, or of all centers nationally."""
    rows = to_jsonable(platform_of().agents.callbacks(status="pending", center_code=None if scope == "00" else scope))
    rows = [r for r in rows or [] if current_user.can_see_province(r.get("center_code"))]
    return {"scope": scope, "callbacks": rows, "outcomes": CALLBACK_OUTCOMES}


def _pending_callback(callback_id: int) -> dict[str, Any]:
    """A pending callback the current supervisor may act on (404 otherwise, even outside the scope)."""
    scope = current_user.province_scope
    for row in callbacks(scope)["callbacks"]:
        if int(row["id"]) == callback_id:
            return row
    abort(404, description=f"no pending callback {callback_id}")


@op("/supervisor/callbacks", roles=SUP, scope="province", tag="supervisor", template="supervisor/_callbacks.html",
    params=(Param("province", where="query", description="center code; 00 = all centers (default: my scope)"),))
def supervisor_callbacks(province: str | None) -> dict:
    """Pending callbacks per center: missed calls the ACD keeps for ringing back."""
    return callbacks(_scope(province))


@op("/supervisor/callbacks/<int:callback_id>/dial", method="POST", roles=SUP, tag="supervisor",
    template="_done.html")
def supervisor_dial_callback(callback_id: int) -> dict:
    """Queue a pending callback: it goes to the next free agent ahead of ordinary calls (audited)."""
    row = _pending_callback(callback_id)
    status = platform_of().agents.dial_callback(callback_id)
    platform_of().audit.record(actor=f"user:{current_user.id}", channel="console", action="acd.callback.dial",
                               subject=f"callback:{callback_id}", outcome="ok", session_id=row.get("call_id"),
                               detail={"center_code": row.get("center_code")})
    return {"ok": True, "callback_id": callback_id, "call_id": getattr(status, "call_id", None),
            "message": f"已加入回拨队列 {row.get('number_masked') or ''} / queued for an agent"}


@op("/supervisor/callbacks/<int:callback_id>/complete", method="POST", roles=SUP, scope="province", tag="supervisor",
    template="_done.html",
    params=(Param("outcome", required=True, enum=CALLBACK_OUTCOMES, description="how the callback ended"),
            Param("province", description="the callback's center (checked)")))
def supervisor_complete_callback(callback_id: int, outcome: str, province: str | None) -> dict:
    """Close a pending callback without dialling, with its outcome (done or failed; the ACD audits it)."""
    row = _pending_callback(callback_id)
    if province and row.get("center_code") != province:
        abort(404, description=f"no pending callback {callback_id} in {province}")
    done = to_jsonable(platform_of().agents.complete_callback(callback_id, outcome=outcome,
                                                              actor=f"user:{current_user.id}")) or {}
    return {"ok": True, "callback_id": callback_id, "outcome": outcome, "status": done.get("status"),
            "message": f"回拨已关闭 {row.get('number_masked') or ''} / callback closed: {outcome}"}


# ---- waiting calls: the per-queue live view, prioritise and move ------------------------------

def _path_labels(row: dict[str, Any]) -> list[str]:
    from web.agent.context import path_labels as labels

    return labels(row.get("ivr_path") or [], {"entry": row.get("entry"), "flow_version": row.get("flow_version")})


@op("/supervisor/waiting", roles=SUP, scope="province", tag="supervisor", template="supervisor/_waiting.html",
    params=(Param("province", where="query", description="center code; 00 = every center (default: my scope)"),
            OWN))
def supervisor_waiting(province: str | None, own: bool | None) -> dict:
    """The calls waiting in each queue, in service order: wait, priority, masked caller, IVR path."""
    scope, only = _scope(province), center_filter(_scope(province), bool(own))
    rows = to_jsonable(platform_of().agents.waiting_calls(only)) or []
    queues: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        row["ivr_path_labels"] = _path_labels(row)
        queues.setdefault(row["queue_id"], []).append(row)
    targets = [q["id"] for q in to_jsonable(platform_of().agents.queues()) or []
               if only is None or q["center_code"] == only]
    return {"scope": scope, "queues": [{"queue_id": q, "calls": calls} for q, calls in sorted(queues.items())],
            "targets": targets}


def _waiting_in_scope(call_id: str) -> dict[str, Any]:
    status = to_jsonable(platform_of().agents.call_status(call_id))
    if not status:
        abort(404, description=f"no call {call_id}")
    center = (status.get("queue_id") or "").partition("-")[0]
    if not current_user.can_see_province(center):
        abort(403, description="call outside your scope")
    return status


@op("/supervisor/calls/<call_id>/priority", method="POST", roles=SUP, tag="supervisor", template="_done.html",
    params=(Param("priority", kind="integer", required=True, description="0 (normal) to 9 (first)"),))
def supervisor_prioritise(call_id: str, priority: int) -> dict:
    """Give a waiting call a higher (or lower) priority class (audited)."""
    _waiting_in_scope(call_id)
    status = to_jsonable(platform_of().agents.prioritise(call_id, priority))
    platform_of().audit.record(actor=f"user:{current_user.id}", channel="console", action="acd.prioritise",
                               subject=f"call:{call_id}", outcome="ok", detail={"priority": priority})
    return {"ok": True, "message": f"优先级已调整为 {priority} / priority set", "status": status}


@op("/supervisor/calls/<call_id>/move", method="POST", roles=SUP, tag="supervisor", template="_done.html",
    params=(Param("queue_id", required=True, description="target queue, e.g. 44-pension"),))
def supervisor_move(call_id: str, queue_id: str) -> dict:
    """Move a waiting call to another queue (both in my scope; audited)."""
    status = _waiting_in_scope(call_id)
    if not current_user.can_see_province(queue_id.partition("-")[0]):
        abort(403, description="target queue outside your scope")
    moved = to_jsonable(platform_of().agents.move(call_id, queue_id))
    platform_of().audit.record(actor=f"user:{current_user.id}", channel="console", action="acd.move",
                               subject=f"call:{call_id}", outcome="ok",
                               detail={"from": status.get("queue_id"), "to": queue_id})
    return {"ok": True, "message": f"已移至 {queue_id} / moved", "status": moved}


# ---- listen, whisper, barge (Asterisk: ChanSpy over AMI; Twilio: the call's conference) ---------

MONITOR_MODES = ("listen", "whisper", "barge")
_ENDPOINT = re.compile(r"(PJSIP|SIP|IAX2|Local)/[A-Za-z0-9_.@-]{1,80}")
_TWILIO_ENDPOINT = re.compile(r"client:[A-Za-z0-9_.-]{1,80}|sips?:[A-Za-z0-9_.@:;=+-]{1,120}|\+[0-9]{6,15}")
_ENDPOINT_PATTERN = (r"^((PJSIP|SIP|IAX2|Local)/[A-Za-z0-9_.@-]{1,80}|client:[A-Za-z0-9_.-]{1,80}"
                     r"|sips?:[A-Za-z0-9_.@:;=+-]{1,120}|\+[0-9]{6,15})$")


def _monitor_channel(call_id: str) -> str:
    """The voice channel carrying the call: "twilio" or "asterisk"; refused when that channel
    cannot take a supervisor in."""
    voice = current_app.extensions.get("twilio_voice")
    if voice is not None and voice.is_twilio_call(call_id):
        if not voice.config.conference_legs:
            raise BadInput("Twilio 来电需设置 TWILIO_AGENT_LEG=conference 才能监听 / "
                           "monitoring a Twilio call needs TWILIO_AGENT_LEG=conference")
        return "twilio"
    if not AmiSettings.of(platform_of().settings).host:
        raise BadInput("没有连接 Asterisk（HOTLINE_AMI_HOST 未设置），无法监听 / no PBX link: set HOTLINE_AMI_HOST")
    return "asterisk"


@op("/supervisor/calls/<call_id>/monitor", method="POST", roles=SUP, tag="supervisor", template="_done.html",
    params=(Param("mode", required=True, enum=MONITOR_MODES,
                  description="listen (silent), whisper (the agent hears you) or barge (both hear you)"),
            Param("endpoint", pattern=_ENDPOINT_PATTERN,
                  description="your phone: PJSIP/sup-1 on Asterisk; client:sup-1, sip:... or +86... on Twilio "
                              "(default: your agent profile's endpoint for the call's channel)")))
def supervisor_monitor(call_id: str, mode: str, endpoint: str | None) -> dict:
    """Listen to, whisper to or barge into a connected call: your phone rings, then you are in the
    call (Asterisk ChanSpy, or the call's Twilio conference muted / coaching / unmuted; audited)."""
    status = _waiting_in_scope(call_id)
    if status.get("state") != "connected":
        raise BadInput("只能监听通话中的来电 / only a connected call can be monitored")
    channel = _monitor_channel(call_id)
    if not endpoint:
        from web.agent.context import agent_id_of

        mine = agent_id_of(current_user)
        endpoint = (platform_of().agents.endpoint_for_channel(mine, channel) or None) if mine else None
    pattern = _TWILIO_ENDPOINT if channel == "twilio" else _ENDPOINT
    if not endpoint or not pattern.fullmatch(endpoint):
        example = "client:sup-1" if channel == "twilio" else "PJSIP/sup-1"
        raise BadInput(f"请填写您的话机，例如 {example} / give your phone, e.g. {example}")
    platform_of().audit.record(actor=f"user:{current_user.id}", channel="console", action=f"acd.monitor.{mode}",
                               subject=f"call:{call_id}", outcome="ok",
                               detail={"endpoint": endpoint, "agent_id": status.get("agent_id"), "via": channel})
    # On Twilio the supervisor is rung at once from here (the call's state is in the shared store), so
    # they learn whether Twilio took the request; the event bus would mask a phone-number endpoint.
    if channel == "twilio" and not current_app.extensions["twilio_voice"].monitor(call_id, mode, endpoint):
        raise ServiceUnavailable("twilio", "未能呼叫您的话机，请稍后再试 / could not ring your phone")
    platform_of().bus.emit(SupervisorMonitor(call_id=call_id, mode=mode, endpoint=endpoint, by=current_user.id,
                                             channel=channel))
    labels = {"listen": "监听", "whisper": "耳语", "barge": "强插"}
    return {"ok": True, "message": f"{labels[mode]}：正在呼叫您的话机 {endpoint} / ringing your phone"}
