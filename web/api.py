"""The REST API, /api/v1: the operations of every area (declared in `web/<area>/ops.py`), the
OpenAPI document generated from the endpoint registry, the live event stream (SSE) and broadcasts."""

from __future__ import annotations

import importlib

from flask import Response, current_app, jsonify, request, stream_with_context
from flask_login import current_user

from web.apikit import bp, me, op, openapi_document
from web.events import ConsoleBroadcast
from web.extensions import csrf, hub_of, platform_of
from web.permissions import Param, public
from web.sse import Viewer

AREA_OPS = ("web.agent.ops", "web.agent.knowledge_ops", "web.agent.records_ops", "web.agent.tickets_ops",
            "web.supervisor.ops", "web.editor.ops", "web.admin.ops", "web.admin.calendar",
            "web.supervisor.blocklist")
for _name in AREA_OPS:
    importlib.import_module(_name)


def init_app(app) -> None:  # type: ignore[no-untyped-def]
    """API requests check CSRF themselves (token callers are exempt), see web.apikit."""
    csrf.exempt(bp)


@bp.route("/openapi.json")
@public
def openapi():  # type: ignore[no-untyped-def]
    """The OpenAPI 3 description of this API (generated from the endpoint registry)."""
    return jsonify(openapi_document(current_app))


@op("/me", tag="session")
def whoami() -> dict:
    """The logged-in user: roles, province scope, language."""
    return me()


def viewer_for_current_user() -> Viewer:
    from web.agent.context import agent_id_of

    return Viewer(user_id=current_user.id, roles=frozenset(current_user.roles),
                  province_scope=current_user.province_scope,
                  agent_id=agent_id_of(current_user) if current_user.has_role("agent") else None)


@op("/events", tag="session", media=("text/event-stream",))
def events():  # type: ignore[no-untyped-def]
    """Live events for this user (text/event-stream): filtered by role and province, heartbeats."""
    hub = hub_of(current_app)
    last_id = request.headers.get("Last-Event-ID") or request.args.get("last_event_id")
    stream = hub.stream(viewer_for_current_user(), last_id)
    return Response(stream_with_context(stream), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@op("/broadcast", method="POST", roles=("admin", "supervisor"), scope="province", tag="session",
    params=(Param("message", required=True, description="text shown on every console in scope"),
            Param("province", description="province code; 00 or empty = every console the sender may reach"),
            Param("sent_at", kind="number", description="sender's epoch seconds (latency measurement)")))
def broadcast(message: str, province: str | None, sent_at: float | None) -> dict:
    """Show a message on the consoles in a province (or all of them) and log it."""
    province = province or current_user.province_scope
    platform = platform_of()
    event = platform.bus.emit(ConsoleBroadcast(message=message[:500], by=current_user.display_name, sent_at=sent_at,
                                               scope=province if province != "00" else "*"))  # "*": every console
    platform.audit.record(actor=f"user:{current_user.id}", channel="console", action="console.broadcast",
                          outcome="ok", detail={"province": province})
    return {"id": event.id, "province": province}
