"""The recordings screens: the list (scoped to the user's province), one recording with an HTML5
player fed by a short-lived signed link, export for roles that may, holds, and the agent's
pause/resume of the recording of their live call."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from recordings.access import reviewer_scope
from recordings.retention import HOLD_REASONS
from recordings.service import RecordingError
from web.permissions import Param, requires
from web.recordings.media import ranged

bp = Blueprint("recordings", __name__, url_prefix="/recordings")

LISTEN_ROLES = ("supervisor", "qa", "agent", "admin")


def init_app(app: Any) -> None:
    @app.context_processor
    def _recording_helpers() -> dict[str, Any]:
        def recording_state(call_id: str) -> bool | None:
            """True: paused; False: recording; None: this call is not being recorded."""
            try:
                leg = g.platform.recordings.active_leg(call_id)
            except ModuleNotFoundError:
                return None
            return None if leg is None else leg.paused

        return {"recording_state": recording_state}


def _svc() -> Any:
    return g.platform.recordings


def _visible(rec_id: int) -> Any:
    """The recording if this user may hear it; 404 if none, 403 if not theirs to hear."""
    svc = _svc()
    rec = svc.get(rec_id)
    if rec is None:
        abort(404)
    if not svc.may_listen(current_user, rec):
        svc.audit_access(current_user, rec, "listen", outcome="denied")
        abort(403, description="this recording is outside your scope")
    return rec


@bp.route("/")
@requires(*LISTEN_ROLES, scope="province", params=(Param("province", where="query"), Param("agent", "integer", "query"),
                                                   Param("call", where="query"), Param("q", where="query")))
def index():  # type: ignore[no-untyped-def]
    """Recordings the user may hear (own province; national users choose)."""
    svc = _svc()
    province = request.args.get("province") or None
    agent = request.args.get("agent", type=int)
    call = (request.args.get("call") or "").strip() or None
    query = (request.args.get("q") or "").strip()
    if query and reviewer_scope(current_user) is not None:
        rows = svc.search_transcripts(current_user, query)
    else:
        rows = svc.visible_to(current_user, agent_id=agent, call_id=call)
    if province and province != "00":
        rows = [r for r in rows if r.province == province]
    return render_template("recordings/list.html", rows=rows, province=province or "", query=query,
                           reasons=HOLD_REASONS)


@bp.route("/<int:rec_id>")
@requires(*LISTEN_ROLES)
def detail(rec_id: int):  # type: ignore[no-untyped-def]
    """One recording: player, metadata, pause gaps, holds, transcript."""
    svc = _svc()
    rec = _visible(rec_id)
    listen = url_for("recordings.media", token=svc.link(current_user, rec.id, "listen")) \
        if rec.status == "stored" else None
    export = url_for("recordings.media", token=svc.link(current_user, rec.id, "export")) \
        if rec.status == "stored" and svc.may_export(current_user, rec) else None
    reviewer = reviewer_scope(current_user) is not None
    return render_template("recordings/detail.html", rec=rec, listen=listen, export=export, reviewer=reviewer,
                           holds=svc.holds(rec.id) if reviewer else [], reasons=HOLD_REASONS,
                           transcript=svc.transcript(rec.id) if reviewer else None)


@bp.route("/media/<token>")
@requires(*LISTEN_ROLES)
def media(token: str):  # type: ignore[no-untyped-def]
    """The audio behind a signed link (range requests; the link is bound to its user and expires)."""
    svc = _svc()
    link = svc.check_link(token)
    if link is None or link.user_id != int(current_user.id):
        abort(404, description="this link has expired or is not yours; open the recording again")
    rec = _visible(link.recording_id)
    if link.purpose == "export" and not svc.may_export(current_user, rec):
        abort(403)
    if rec.status != "stored":
        abort(410, description="the recording was deleted")
    name = f"{rec.call_id}-{rec.leg}.{rec.codec}" if link.purpose == "export" else None
    try:
        response, start = ranged(svc, rec, attachment=name)
    except RecordingError:
        abort(410)
    if start == 0 and response.status_code in (200, 206):  # a listen starts at byte 0; seeking is not another
        svc.audit_access(current_user, rec, link.purpose, detail={"range": request.headers.get("Range", "")})
    return response


@bp.route("/<int:rec_id>/hold", methods=["POST"])
@requires("supervisor", "qa", params=(Param("reason"), Param("reference")))
def hold(rec_id: int):  # type: ignore[no-untyped-def]
    """Hold a recording for a complaint or ticket."""
    rec = _visible(rec_id)
    reason = request.form.get("reason") or "complaint"
    if reason not in HOLD_REASONS:
        abort(400, description="unknown reason")
    _svc().hold(rec.id, reason=reason, reference=(request.form.get("reference") or "").strip(),
                actor=f"user:{current_user.id}")
    flash("OK")
    return redirect(url_for("recordings.detail", rec_id=rec.id))


@bp.route("/<int:rec_id>/release", methods=["POST"])
@requires("supervisor", "qa")
def release(rec_id: int):  # type: ignore[no-untyped-def]
    """Release the holds of a recording."""
    rec = _visible(rec_id)
    _svc().release(rec.id, actor=f"user:{current_user.id}")
    return redirect(url_for("recordings.detail", rec_id=rec.id))


def _own_call(call_id: str) -> None:
    platform = g.platform
    profile = platform.agents.agent_for_user(int(current_user.id))
    status = platform.agents.call_status(call_id) if call_id else None
    if profile is None or status is None or status.agent_id != profile.id:
        response = jsonify(error="this is not your call")
        response.status_code = 404 if status is None else 403
        abort(response)


@bp.route("/control/<action>", methods=["POST"])
@requires("agent", params=(Param("call_id", required=True),))
def control(action: str):  # type: ignore[no-untyped-def]
    """Pause or resume the recording of the agent's live call (audited; the gap is kept in the metadata)."""
    if action not in ("pause", "resume"):
        abort(404)
    body = request.get_json(silent=True) or request.form
    call_id = str(body.get("call_id") or "").strip()
    if not call_id:
        return jsonify(error="call_id is required"), 400
    _own_call(call_id)
    svc = _svc()
    try:
        view = (svc.pause if action == "pause" else svc.resume)(call_id, actor=f"agent:{current_user.id}")
    except RecordingError as exc:
        return jsonify(error=str(exc)), 409
    if request.headers.get("HX-Request"):
        return render_template("recordings/_pause.html", call_id=call_id, paused=view.paused)
    return jsonify(recording_id=view.id, paused=view.paused, gaps=view.gaps)
