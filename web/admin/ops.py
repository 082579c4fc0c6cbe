"""Admin operations (/api/v1/admin/...): users and roles, centers, queues, hours and holidays
(platform.switch), agents and skills (platform.agents), flows (platform.ivr), SMS templates
(platform.sms). A provincial admin manages only its own province."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, request
from flask_login import current_user
from sqlalchemy import select
from werkzeug.exceptions import Conflict, NotFound

from agents.domain import MAX_TICKETS_LIMIT, MAX_WAIT_RANGE
from core import provinces
from core.models import ROLES, User
from web.apikit import op
from web.extensions import platform_of
from web.permissions import Param
from web.services import BadInput, to_jsonable

ADMIN = ("admin",)


def _audit(action: str, subject: str, detail: dict[str, Any] | None = None) -> None:
    platform_of().audit.record(actor=f"user:{current_user.id}", channel="console", action=action,
                               subject=subject, outcome="ok", detail=detail or {})


def _user_row(u: User) -> dict[str, Any]:
    return {"id": u.id, "username": u.username, "display_name": u.display_name, "roles": sorted(u.role_set),
            "province_scope": u.province_scope, "active": u.active, "is_demo": u.is_demo, "language": u.language}


def _check_province(code: str) -> str:
    if provinces.lookup(code) is None or (code not in provinces.CENTERS):
        raise BadInput(f"unknown province {code}")
    if not current_user.can_see_province(code):
        abort(403, description=f"province {code} is outside your scope")
    return code


def _roles(values: list[str] | None) -> list[str]:
    roles = [r for r in (values or []) if r]
    unknown = set(roles) - set(ROLES)
    if unknown or not roles:
        raise BadInput(f"roles must be some of {', '.join(ROLES)}")
    return roles


PAGE_SIZE = 25


@op("/admin/users", roles=ADMIN, tag="admin", template="admin/_users.html",
    params=(Param("q", where="query", description="part of the login or display name"),
            Param("role", where="query", enum=ROLES), Param("province", where="query"),
            Param("active", where="query", enum=("yes", "no")),
            Param("page", kind="integer", where="query", description="1-based, 25 users a page")))
def admin_users(q: str | None = None, role: str | None = None, province: str | None = None,
                active: str | None = None, page: int | None = None) -> dict:
    """Console users (a provincial admin sees its province's users): search, filters, pages of 25."""
    if q and len(q) > 64:
        raise BadInput("检索内容最多64个字 / search: at most 64 characters")
    with platform_of().db.session() as s:
        rows = list(s.execute(select(User).order_by(User.username)).scalars())
        users = [_user_row(u) for u in rows if current_user.can_see_province(u.province_scope)]
    needle = (q or "").strip().lower()
    users = [u for u in users
             if (not needle or needle in u["username"].lower() or needle in (u["display_name"] or "").lower())
             and (not role or role in u["roles"]) and (not province or u["province_scope"] == province)
             and (active is None or u["active"] == (active == "yes"))]
    total = len(users)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page or 1, 1), pages)
    return {"users": users[(page - 1) * PAGE_SIZE: page * PAGE_SIZE], "roles": list(ROLES), "total": total,
            "page": page, "pages": pages}


@op("/admin/users", method="POST", roles=ADMIN, scope="province", tag="admin", template="admin/_users.html",
    params=(Param("username", required=True, pattern=r"^[A-Za-z0-9_.-]{1,64}$"),
            Param("password", required=True, min_length=10, description="at least 10 characters"),
            Param("roles", kind="array", required=True, enum=ROLES, description="one or more roles"),
            Param("province", required=True, description="province scope; 00 = national"),
            Param("display_name")))
def admin_create_user(username: str, password: str, roles: list[str], province: str,
                      display_name: str | None) -> dict:
    """Create a console user."""
    platform = platform_of()
    if platform.accounts.by_username(username) is not None:
        raise Conflict(f"用户 {username} 已存在 / user {username} exists")
    user = platform.accounts.create_user(username, password, _roles(roles), display_name=display_name or "",
                                         province_scope=_check_province(province))
    _audit("user.create", f"user:{user.id}", {"roles": roles, "province": province})
    return admin_users()


@op("/admin/users/<int:user_id>", roles=ADMIN, tag="admin", template="admin/_user_edit.html")
def admin_user(user_id: int) -> dict:
    """One user, for the edit form (a provincial admin sees only its province's users)."""
    user = platform_of().accounts.get(user_id)
    if user is None or not current_user.can_see_province(user.province_scope):
        abort(404, description=f"no user {user_id}")
    return {"user": _user_row(user), "roles": list(ROLES), "is_me": user_id == current_user.id}


@op("/admin/users/<int:user_id>", method="POST", roles=ADMIN, scope="province", tag="admin",
    template="admin/_users.html",
    params=(Param("roles", kind="array"), Param("province", description="new province scope"),
            Param("active", kind="boolean"), Param("password", description="new password (optional)")))
def admin_update_user(user_id: int, roles: list[str] | None, province: str | None, active: bool | None,
                      password: str | None) -> dict:
    """Change a user's roles, province scope, active flag or password."""
    platform = platform_of()
    if password and len(password) < 10:  # checked first: a refused change changes nothing
        raise BadInput("密码至少10位 / the password needs at least 10 characters")
    with platform.db.session() as s:
        user = s.get(User, user_id)
        if user is None or not current_user.can_see_province(user.province_scope):
            abort(404, description=f"no user {user_id}")
        if user_id == current_user.id and (active is False or (roles is not None and "admin" not in roles)):
            raise BadInput("不能取消自己的管理员角色或停用自己 / you cannot remove your own admin role or deactivate "
                           "yourself")
        before = {"roles": sorted(user.role_set), "province": user.province_scope, "active": user.active}
        if roles is not None:
            user.roles = ",".join(_roles(roles))
        if province:
            user.province_scope = _check_province(province)
        if active is not None:
            user.active = active
    if password:
        platform.accounts.set_password(user_id, password)  # ends the user's sessions and tokens
    if active is False:
        platform.accounts.revoke_all_tokens(user_id, actor=f"user:{current_user.id}", why="deactivated")
        platform.accounts.end_sessions(user_id)
    _audit("user.update", f"user:{user_id}", {"before": before, "roles": roles, "province": province,
                                              "active": active, "password_changed": bool(password)})
    result = admin_users()
    result["message"] = "用户已更新 / user updated"
    return result


def _scoped_user(user_id: int) -> User:
    user = platform_of().accounts.get(user_id)
    if user is None or not current_user.can_see_province(user.province_scope):
        abort(404, description=f"no user {user_id}")
    return user


@op("/admin/users/<int:user_id>/token", method="POST", roles=ADMIN, tag="admin",
    params=(Param("name", required=True, description="what the integration is"),
            Param("days", kind="integer", description="days until it expires (default 90; 0 = never)"),
            Param("scopes", kind="array", description="only these of the user's roles (default: all)")))
def admin_issue_token(user_id: int, name: str, days: int | None = None, scopes: list[str] | None = None) -> dict:
    """Issue an integration token for a user (shown once; only its hash is stored; audited)."""
    _scoped_user(user_id)
    if days is not None and not 0 <= days <= 3650:
        raise BadInput("days: 0 (never) to 3650")
    try:
        token = platform_of().accounts.issue_token(user_id, name[:100], days=days, scopes=scopes,
                                                   actor=f"user:{current_user.id}")
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    return {"token": token, "user_id": user_id, "name": name}


@op("/admin/users/<int:user_id>/tokens", roles=ADMIN, tag="admin", template="admin/_tokens.html")
def admin_user_tokens(user_id: int) -> dict:
    """A user's integration tokens (never the token itself): expiry, scopes, revoked, last use."""
    _scoped_user(user_id)
    return {"user_id": user_id, "tokens": to_jsonable(platform_of().accounts.tokens(user_id))}


@op("/admin/users/<int:user_id>/tokens/<int:token_id>/revoke", method="POST", roles=ADMIN, tag="admin",
    template="_done.html")
def admin_revoke_token(user_id: int, token_id: int) -> dict:
    """Revoke one of a user's tokens at once (audited)."""
    _scoped_user(user_id)
    try:
        changed = platform_of().accounts.revoke_token(token_id, actor=f"user:{current_user.id}", user_id=user_id)
    except KeyError:
        abort(404, description=f"no token {token_id} for user {user_id}")
    return {"ok": True, "revoked": changed, "message": "令牌已吊销 / token revoked"}


# ---- switch: centers, queues, hours and holidays ----------------------------------------------

def _center_row(center: Any) -> dict:
    """A center as the admin pages show it: the switch's row with the ACD's queues of the center."""
    return {**to_jsonable(center), "queues": to_jsonable(platform_of().agents.queues(center.code))}


@op("/admin/centers", roles=ADMIN, tag="admin", template="admin/_centers.html")
def admin_centers() -> dict:
    """Centers with their mode, capacity, queues, hours and whether they are open now."""
    out = []
    switch_centers = platform_of().switch.centers()
    for center in switch_centers:
        row = _center_row(center)
        if not current_user.can_see_province(row["code"]):
            continue
        try:
            row["hours_state"] = to_jsonable(platform_of().switch.hours_state(row["code"]))
        except KeyError:
            row["hours_state"] = None
        out.append(row)
    return {"centers": out}


@op("/admin/centers/<code>", method="POST", roles=ADMIN, scope="code", tag="admin", template="_done.html",
    params=(Param("mode", enum=("local", "remote")), Param("base_url"), Param("trunk"),
            Param("capacity", kind="integer"), Param("emergency_closed", kind="boolean"),
            Param("emergency_text"), Param("weekly_hours", kind="object")))
def admin_update_center(code: str, **fields: Any) -> dict:
    """Change a center (mode, remote URL, trunk, capacity, weekly hours, emergency closure)."""
    changes = {k: v for k, v in fields.items() if v is not None}
    if not changes:
        raise BadInput("nothing to change")
    center = platform_of().switch.update_center(code, **changes)
    _audit("center.update", f"center:{code}", {k: str(v) for k, v in changes.items()})
    return {"ok": True, "center": _center_row(center), "message": f"{code} saved"}


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_PERIOD = __import__("re").compile(r"([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)")


def parse_periods(day: str, text: str | None) -> list[list[str]]:
    """ "08:30-12:00, 13:00-17:30" → [["08:30", "12:00"], ["13:00", "17:30"]]; empty = closed that day."""
    periods: list[list[str]] = []
    for part in (text or "").replace("，", ",").replace("、", ",").split(","):
        part = part.strip().replace(" ", "")
        if not part:
            continue
        if not _PERIOD.fullmatch(part):
            raise BadInput(f"{day}: “{part[:20]}” 应写作 08:30-12:00 / write periods like 08:30-12:00")
        start, end = part.split("-")
        if start >= end:
            raise BadInput(f"{day}: {part} 结束时间须晚于开始时间 / the end must be after the start")
        if periods and start < periods[-1][1]:
            raise BadInput(f"{day}: {part} 与前一时段重叠或顺序颠倒 / periods must not overlap and go in order")
        periods.append([start, end])
    return periods


@op("/admin/centers/<code>/hours", method="POST", roles=ADMIN, scope="code", tag="admin", template="_done.html",
    params=tuple(Param(d, description="periods, e.g. 08:30-12:00,13:00-17:30; empty = closed") for d in WEEKDAYS))
def admin_center_hours(code: str, **days: str | None) -> dict:
    """Set a center's weekly opening hours, day by day (audited with the hours before)."""
    hours = {d: parse_periods(d, days.get(d)) for d in WEEKDAYS}
    before = platform_of().switch.center(code)
    if before is None:
        raise NotFound(f"没有中心 {code} / no center {code}")
    center = platform_of().switch.update_center(code, weekly_hours=hours)
    _audit("center.hours", f"center:{code}", {"before": to_jsonable(before.weekly_hours), "after": hours})
    return {"ok": True, "center": _center_row(center), "message": f"{code} 人工服务时间已保存 / hours saved"}


def queue_center(queue_id: str) -> str:
    """The center whose queue an id names (`44-pension` → 44): whose admins may change it."""
    return str(queue_id).partition("-")[0]


def queue_id_example(province: str) -> str:
    return f"{province}-pension"


@op("/admin/queues", roles=ADMIN, tag="admin", template="admin/_queues.html",
    params=(Param("center", description="one center's queues (default: every queue in scope)"),))
def admin_queues(center: str | None = None) -> dict:
    """Queues with topic, skills, maximum wait and overflow; for each, the overflow targets offered
    (a callback, the queues of the same topic, the center's other queues)."""
    every = to_jsonable(platform_of().agents.queues())
    visible = [q for q in every if current_user.can_see_province(q.get("center_code"))]
    centers = sorted({q["center_code"] for q in visible})
    shown = center if center in centers else (
        current_user.province_scope if current_user.province_scope in centers else (centers[0] if centers else None))
    queues = [q for q in visible if center is None or q["center_code"] == center]
    targets = {q["id"]: [t["id"] for t in every if t["id"] != q["id"] and (
        t["topic"] == q["topic"] or t["center_code"] == q["center_code"])] for q in visible
        if q["center_code"] == shown}
    low, high = MAX_WAIT_RANGE
    return {"queues": queues, "centers": centers, "center": shown, "targets": targets,
            "shown": [q for q in visible if q["center_code"] == shown], "max_wait_range": [low, high]}


@op("/admin/queues/<queue_id>", method="POST", roles=ADMIN, tag="admin", template="admin/_queues.html",
    scope="queue_id", scope_from=queue_center, scope_example=queue_id_example,
    params=(Param("max_wait", kind="integer", required=True, description="seconds a caller waits, 30-3600"),
            Param("overflow_action", required=True, description='"callback" or "queue:<queue id>"')))
def admin_update_queue(queue_id: str, max_wait: int, overflow_action: str) -> dict:
    """Change a queue's maximum wait and what happens after it (audited with the values before);
    calls already waiting keep their deadline."""
    before, after = platform_of().agents.update_queue(queue_id, max_wait=max_wait, overflow_action=overflow_action)
    _audit("queue.update", f"queue:{queue_id}",
           {"before": {"max_wait": before.max_wait, "overflow_action": before.overflow_action},
            "after": {"max_wait": after.max_wait, "overflow_action": after.overflow_action}})
    result = admin_queues(center=after.center_code)
    result.update(ok=True, queue=to_jsonable(after), message=f"{queue_id} 已保存 / saved")
    return result


@op("/admin/holidays", roles=ADMIN, tag="admin", template="admin/_holidays.html")
def admin_holidays() -> dict:
    """Holiday and working-day overrides (checked before weekly hours)."""
    return {"overrides": [o for o in to_jsonable(platform_of().switch.overrides())
                          if o["center_code"] == "*" or current_user.can_see_province(o["center_code"])]}


@op("/admin/holidays", method="POST", roles=ADMIN, scope="center_code", tag="admin", template="admin/_holidays.html",
    params=(Param("day", required=True, fmt="date", description="YYYY-MM-DD"),
            Param("kind", required=True, enum=("holiday", "workday", "closed", "open")),
            Param("center_code", description="a center, or empty for every center"), Param("name"),
            Param("remove", kind="boolean")))
def admin_set_holiday(day: str, kind: str, center_code: str | None, name: str | None, remove: bool | None) -> dict:
    """Add, change or remove a holiday / working-day override."""
    try:
        when = date.fromisoformat(day)
    except ValueError:
        raise BadInput(f"not a date: {day}") from None
    target = center_code or "*"
    if target == "*" and not current_user.is_national:
        abort(403, description="only a national admin sets nationwide overrides")
    if remove:
        platform_of().switch.remove_override(when, target)
    else:
        platform_of().switch.set_override(when, kind, center_code=target, name=name or "")
    _audit("calendar.override", f"center:{target}", {"day": day, "kind": kind, "remove": bool(remove)})
    return admin_holidays()


# ---- agents and skills -------------------------------------------------------------------------

@op("/admin/agents", roles=ADMIN, tag="admin", template="admin/_agents.html")
def admin_agents() -> dict:
    """Agent profiles: center, skills, languages, level."""
    from core.topics import TOPICS

    rows = to_jsonable(platform_of().agents.profiles()) or []
    agents = [a for a in rows if current_user.can_see_province(a.get("center_code"))]
    with_profile = {a.get("user_id") for a in rows}
    with platform_of().db.session() as s:
        users = [_user_row(u) for u in s.execute(select(User).order_by(User.username)).scalars()]
    without = [u for u in users if "agent" in u["roles"] and u["id"] not in with_profile
               and current_user.can_see_province(u["province_scope"])]
    return {"agents": agents, "topics": list(TOPICS), "languages": list(LANGUAGE_CODES), "without_profile": without}


@op("/admin/agents", method="POST", roles=ADMIN, scope="center_code", tag="admin", template="_done.html",
    params=(Param("user_id", kind="integer", required=True), Param("center_code", required=True),
            Param("skills", kind="array", required=True), Param("languages", kind="array"),
            Param("level", kind="integer")))
def admin_save_agent(user_id: int, center_code: str, skills: list[str], languages: list[str] | None,
                     level: int | None) -> dict:
    """Give an agent user its ACD profile (center, skills, languages, level)."""
    _check_province(center_code)
    user = platform_of().accounts.get(user_id)
    if user is None or not user.has_role("agent"):
        raise BadInput(f"user {user_id} is not an agent")
    if platform_of().agents.agent_for_user(user_id) is not None:
        raise BadInput(f"user {user_id} already has an agent profile")
    agent_id = platform_of().agents.create_agent(user_id, name=user.display_name, center_code=center_code,
                                                 skills=tuple(skills), languages=tuple(languages or ("zh",)),
                                                 level=level or 1)
    _audit("agent.profile", f"user:{user_id}", {"center": center_code, "skills": skills})
    return {"ok": True, "agent_id": agent_id, "message": f"agent {agent_id} created"}


ASTERISK_ENDPOINT = r"^(PJSIP|SIP|IAX2)/[A-Za-z0-9_.@-]{1,80}$"
TWILIO_ENDPOINT = r"^(client:[A-Za-z0-9_.-]{1,80}|sip:[A-Za-z0-9_.@:-]{1,90}|\+?[0-9]{5,20})$"
_ENDPOINT = __import__("re").compile(
    r"(PJSIP/[A-Za-z0-9_.@-]{1,80}|client:[A-Za-z0-9_.-]{1,80}|sip:[A-Za-z0-9_.@:-]{1,90})")
LANGUAGE_CODES = ("zh", "en", "yue", "wuu", "nan")


def _agent_in_scope(agent_id: int) -> dict[str, Any]:
    profile = to_jsonable(platform_of().agents.profile(agent_id))
    if not profile:
        abort(404, description=f"no agent {agent_id}")
    if not current_user.can_see_province(profile.get("center_code")):
        abort(403, description="agent outside your scope")
    return profile


@op("/admin/agents/<int:agent_id>", method="POST", roles=ADMIN, tag="admin", template="_done.html",
    params=(Param("skills", kind="array", description="topics: pension, medical, employment, ..., general"),
            Param("languages", kind="array", description="zh, en, yue, wuu, nan"),
            Param("level", kind="integer", description="1 junior .. 3 senior"),
            Param("endpoint", description="PJSIP/agent-17 (Asterisk), client:agent-17 (Twilio browser) or sip:…"),
            Param("endpoint_asterisk", pattern=ASTERISK_ENDPOINT,
                  description="the softphone for Asterisk calls when the default is not one (empty: none)"),
            Param("endpoint_twilio", pattern=TWILIO_ENDPOINT,
                  description="client:…, sip:… or a number for Twilio calls, when not the default (empty: none)"),
            Param("max_tickets", kind="integer",
                  description="max concurrent work orders (1–50); voice is always one call at a time")))
def admin_update_agent(agent_id: int, skills: list[str] | None, languages: list[str] | None, level: int | None,
                       endpoint: str | None, endpoint_asterisk: str | None, endpoint_twilio: str | None,
                       max_tickets: int | None) -> dict:
    """Change an agent's skills, languages, level, phone endpoints (the default and one per voice
    channel) and concurrency (work orders in progress at once; voice is one call) — audited."""
    from core.topics import TOPICS

    before = _agent_in_scope(agent_id)
    if skills is not None and (not skills or set(skills) - set(TOPICS)):
        raise BadInput(f"技能须为 {', '.join(TOPICS)} 之一 / skills must be some of {', '.join(TOPICS)}")
    if languages is not None and (not languages or set(languages) - set(LANGUAGE_CODES)):
        raise BadInput(f"语言须为 {', '.join(LANGUAGE_CODES)} / languages must be some of {', '.join(LANGUAGE_CODES)}")
    if level is not None and level not in (1, 2, 3):
        raise BadInput("级别为 1–3 / the level is 1 to 3")
    if max_tickets is not None and not 1 <= max_tickets <= MAX_TICKETS_LIMIT:
        raise BadInput(f"在办工单上限为 1–{MAX_TICKETS_LIMIT} / work orders at once: 1 to {MAX_TICKETS_LIMIT}")
    if endpoint is not None and not _ENDPOINT.fullmatch(endpoint):
        raise BadInput("话机写作 PJSIP/agent-17、client:agent-17 或 sip:… / endpoint like PJSIP/agent-17")
    sent = set(request.form) | set(request.get_json(silent=True) or {} if request.is_json else {})
    per_channel = dict(before.get("endpoints") or {})
    for channel, value in (("asterisk", endpoint_asterisk), ("twilio", endpoint_twilio)):
        if f"endpoint_{channel}" in sent:  # sent empty: that channel uses the default endpoint again
            per_channel[channel] = value or ""
    changed = per_channel != (before.get("endpoints") or {})
    profile = to_jsonable(platform_of().agents.update_agent(
        agent_id, skills=skills, languages=languages, level=level, endpoint=endpoint,
        endpoints=per_channel if changed else None, max_tickets=max_tickets))
    fields = ("skills", "languages", "level", "endpoint", "endpoints", "max_tickets")
    _audit("agent.update", f"agent:{agent_id}", {"before": {k: before.get(k) for k in fields},
                                                 "after": {k: profile.get(k) for k in fields}})
    return {"ok": True, "agent": profile, "message": f"坐席 {agent_id} 已保存（下次签入生效） / saved"}


# ---- flows --------------------------------------------------------------------------------------

def flow_province(entry: str) -> str:
    """The province whose flow an entry number is: `12333-44` (or any entry ending in `-44`) is
    Guangdong's own; every other entry (12333 itself) is national and for national admins only."""
    head, sep, tail = str(entry).rpartition("-")
    return tail if sep and head and tail in provinces.CENTERS and tail != "00" else "00"


def flow_entry_example(province: str) -> str:
    return "12333" if province == "00" else f"12333-{province}"


@op("/admin/flows", roles=ADMIN, tag="admin", template="admin/_flows.html")
def admin_flows() -> dict:
    """Call flows by entry number with every version (which one is live); a provincial admin sees
    its province's entry numbers only."""
    versions = to_jsonable(platform_of().ivr.versions(None)) or []
    entries: dict[str, list[dict[str, Any]]] = {}
    for v in versions:
        if current_user.can_see_province(flow_province(v["entry"])):
            entries.setdefault(v["entry"], []).append(v)
    return {"flows": [{"entry": e, "versions": sorted(vs, key=lambda v: -v["version"]),
                       "live": next((v["version"] for v in vs if v["live"]), None)}
                      for e, vs in sorted(entries.items())]}


@op("/admin/flows/<entry>/publish", method="POST", roles=("admin",), tag="admin", template="_done.html",
    scope="entry", scope_from=flow_province, scope_example=flow_entry_example,
    params=(Param("text", required=True, description="the flow file (YAML), validated before it goes live"),
            Param("note")))
def admin_publish_flow(entry: str, text: str, note: str | None) -> dict:
    """Publish a new flow version for an entry number (it takes the next calls)."""
    info = to_jsonable(platform_of().ivr.publish(text, entry, by=f"user:{current_user.id}", note=note or ""))
    _audit("flow.publish", f"flow:{entry}", {"version": info.get("version")})
    return {"ok": True, "version": info, "message": f"{entry} v{info.get('version')} published"}


@op("/admin/flows/<entry>/rollback", method="POST", roles=ADMIN, tag="admin", template="_done.html",
    scope="entry", scope_from=flow_province, scope_example=flow_entry_example,
    params=(Param("to", kind="integer", description="version to make live (default: the one before)"),))
def admin_rollback_flow(entry: str, to: int | None) -> dict:
    """Roll a flow back (to a given version, or the one published before the live one)."""
    info = to_jsonable(platform_of().ivr.rollback(entry, to, by=f"user:{current_user.id}"))
    _audit("flow.rollback", f"flow:{entry}", {"to": info.get("version")})
    return {"ok": True, "version": info, "message": f"{entry}: v{info.get('version')} live"}


# ---- SMS templates ------------------------------------------------------------------------------

def _template_store() -> Any:
    return platform_of().sms.templates


@op("/admin/sms-templates", roles=ADMIN, tag="admin", template="admin/_templates.html", national=True)
def admin_sms_templates() -> dict:
    """SMS templates with their text, variables and part count (national: national admins only)."""
    rows = []
    for view in _template_store().all():
        row = to_jsonable(view)
        preview = platform_of().sms.preview(view.body)
        row["parts"], row["encoding"] = preview.parts, preview.encoding
        rows.append(row)
    return {"templates": rows}


@op("/admin/sms-templates/<name>", method="POST", roles=ADMIN, tag="admin", template="_done.html", national=True,
    params=(Param("text", required=True, description="template text; the same {placeholders} as before"),))
def admin_save_sms_template(name: str, text: str) -> dict:
    """Change an SMS template's text (its placeholders must stay the same)."""
    store = _template_store()
    current = store.get(name)
    if current is None:
        abort(404, description=f"no SMS template {name}")
    store.save(name, text, category=current.category, description=current.description,
               variables=list(current.variables))
    _audit("sms.template", f"template:{name}", {"length": len(text)})
    return {"ok": True, "message": f"{name} saved ({platform_of().sms.preview(text).parts} part(s))"}


# ---- the audit viewer ----------------------------------------------------------------------------

_ID_LIKE = __import__("re").compile(r"\b\d{17}[\dXx]\b")
_PHONE_LIKE = __import__("re").compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def _masked(text: str | None) -> str:
    """Any ID number or mobile number inside a text, masked (subjects and details)."""
    from core.masking import mask_id, mask_phone

    value = _ID_LIKE.sub(lambda m: mask_id(m.group(0)) or "", text or "")
    return _PHONE_LIKE.sub(lambda m: mask_phone(m.group(0)) or "", value)


@op("/admin/audit", roles=ADMIN, tag="admin", template="admin/_audit.html",
    params=(Param("actor", where="query", description="e.g. user:12, node-key, citizen (prefix)"),
            Param("action", where="query", description="e.g. record.lookup, user.update (prefix)"),
            Param("subject", where="query", description="exact subject, e.g. call:… or an ID number"),
            Param("limit", kind="integer", where="query", description="at most 200 (default 50)")))
def admin_audit(actor: str | None, action: str | None, subject: str | None, limit: int | None) -> dict:
    """The audit trail, newest first, filtered by actor, action and subject; numbers masked. A
    provincial admin sees what the users of its province did."""
    for name, value in (("actor", actor), ("action", action), ("subject", subject)):
        if value and len(value) > 100:
            raise BadInput(f"{name} 最多100个字 / {name}: at most 100 characters")
    want = min(max(limit or 50, 1), 200)
    platform = platform_of()
    rows = platform.audit.entries(limit=2000, subject=subject or None)
    allowed: set[str] | None = None
    if not current_user.is_national:
        with platform.db.session() as s:
            allowed = {f"user:{u.id}" for u in s.execute(select(User)).scalars()
                       if u.province_scope == current_user.province_scope}
    out = []
    for e in rows:
        if actor and not e.actor.startswith(actor):
            continue
        if action and not e.action.startswith(action):
            continue
        if allowed is not None and e.actor not in allowed:
            continue
        out.append({"seq": e.seq, "ts": e.ts.isoformat(), "actor": e.actor, "channel": e.channel,
                    "action": e.action, "subject": _masked(e.subject), "outcome": e.outcome,
                    "session": _masked(e.session_id), "fields": e.fields,
                    "detail": _masked(__import__("json").dumps(e.detail or {}, ensure_ascii=False))[:300]})
        if len(out) >= want:
            break
    return {"entries": out, "filters": {"actor": actor, "action": action, "subject": subject}}
