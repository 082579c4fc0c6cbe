"""The quality-review screens: queue and weekly sample, scoring forms, scoring a call while
listening (time-stamped comments), the agent's reviews (acknowledge or dispute once), reports + CSV."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from qa import scoring
from qa.service import REPORT_GROUPS, QaError
from recordings.access import reviewer_scope
from web.permissions import Param, requires

bp = Blueprint("qa", __name__, url_prefix="/qa")
REVIEWERS = ("qa", "supervisor")


def _qa() -> Any:
    return g.platform.qa


def _review_or_404(review_id: int) -> dict[str, Any]:
    review = _qa().review(review_id)
    if review is None:
        abort(404)
    return review


@bp.route("/")
@requires(*REVIEWERS, scope="province")
def queue():  # type: ignore[no-untyped-def]
    """The review queue of the user's province (national users: all)."""
    qa = _qa()
    return render_template("qa/queue.html", items=qa.queue(current_user), done=qa.queue(current_user, status="done"))


@bp.route("/sample", methods=["POST"])
@requires(*REVIEWERS, params=(Param("week"), Param("rate", "number"), Param("minimum", "integer")))
def sample():  # type: ignore[no-untyped-def]
    """Queue a week's random sample per agent plus flagged calls."""
    scope = reviewer_scope(current_user)
    try:
        rate = float(request.form.get("rate") or 2) / 100.0
        minimum = int(request.form.get("minimum") or 2)
        plan = _qa().sample(request.form.get("week") or None, province=None if scope == "00" else scope, rate=rate,
                            minimum=minimum, actor=f"user:{current_user.id}")
    except ValueError as exc:
        flash(str(exc), "error")
        return redirect(url_for("qa.queue"))
    flash(f"{plan.week}: +{len(plan.picks)}")
    return redirect(url_for("qa.queue"))


@bp.route("/forms", methods=["GET", "POST"])
@requires(*REVIEWERS, params=(Param("name"), Param("criteria")))
def forms():  # type: ignore[no-untyped-def]
    """Scoring forms; a new one from lines `key|label|weight|critical`."""
    qa = _qa()
    scope = reviewer_scope(current_user) or "00"
    if request.method == "POST":
        try:
            qa.create_form(request.form.get("name", ""), scoring.parse_lines(request.form.get("criteria", "")),
                           province=scope, actor=f"user:{current_user.id}")
        except ValueError as exc:
            flash(str(exc), "error")
            return render_template("qa/forms.html", forms=qa.forms(scope), draft=request.form), 400
        return redirect(url_for("qa.forms"))
    if not qa.forms(scope):
        qa.ensure_default_form()
    return render_template("qa/forms.html", forms=qa.forms(scope), draft={})


@bp.route("/review/<int:review_id>")
@requires(*REVIEWERS, "agent")
def review(review_id: int):  # type: ignore[no-untyped-def]
    """Score a call while listening (reviewers); see and answer the review (the agent of the call)."""
    qa = _qa()
    item = _review_or_404(review_id)
    reviewer = qa.may_review(current_user, item)
    own = qa.is_own(current_user, item)
    if not reviewer and not (own and item["status"] == "done"):
        abort(403)
    recordings = g.platform.recordings
    rec = recordings.get(item["recording_id"])
    listen = None
    if rec is not None and rec.status == "stored" and recordings.may_listen(current_user, rec):
        listen = url_for("recordings.media", token=recordings.link(current_user, rec.id, "listen"))
    return render_template("qa/review.html", item=item, rec=rec, listen=listen, reviewer=reviewer, own=own,
                           marks=tuple(scoring.MARKS))


@bp.route("/review/<int:review_id>/comment", methods=["POST"])
@requires(*REVIEWERS, params=(Param("offset_s", "number"), Param("text")))
def comment(review_id: int):  # type: ignore[no-untyped-def]
    """A comment at a time of the recording."""
    item = _review_or_404(review_id)
    if not _qa().may_review(current_user, item):
        abort(403)
    try:
        _qa().comment(review_id, current_user, float(request.form.get("offset_s") or 0), request.form.get("text", ""))
    except ValueError as exc:
        flash(str(exc), "error")
    return redirect(url_for("qa.review", review_id=review_id))


@bp.route("/review/<int:review_id>/submit", methods=["POST"])
@requires(*REVIEWERS)
def submit(review_id: int):  # type: ignore[no-untyped-def]
    """Submit the marks of every criterion."""
    item = _review_or_404(review_id)
    if not _qa().may_review(current_user, item):
        abort(403)
    marks = {c["key"]: request.form.get(f"mark_{c['key']}", "") for c in item["form"]["criteria"]}
    try:
        _qa().submit(review_id, current_user, marks)
    except (ValueError, QaError) as exc:
        flash(str(exc), "error")
    return redirect(url_for("qa.review", review_id=review_id))


@bp.route("/review/<int:review_id>/respond", methods=["POST"])
@requires("agent", params=(Param("answer", enum=("acknowledge", "dispute")), Param("reason")))
def respond(review_id: int):  # type: ignore[no-untyped-def]
    """The agent acknowledges the review or disputes it (once)."""
    _review_or_404(review_id)
    qa = _qa()
    try:
        if request.form.get("answer") == "dispute":
            qa.dispute(review_id, current_user, request.form.get("reason", ""))
        else:
            qa.acknowledge(review_id, current_user)
    except QaError as exc:
        abort(403, description=str(exc))
    except ValueError as exc:
        flash(str(exc), "error")
    return redirect(url_for("qa.review", review_id=review_id))


@bp.route("/review/<int:review_id>/resolve", methods=["POST"])
@requires(*REVIEWERS, params=(Param("note"), Param("total", "number")))
def resolve(review_id: int):  # type: ignore[no-untyped-def]
    """Answer an agent's dispute."""
    _review_or_404(review_id)
    total = request.form.get("total")
    try:
        _qa().resolve(review_id, current_user, request.form.get("note", ""), total=float(total) if total else None)
    except QaError as exc:
        flash(str(exc), "error")
    return redirect(url_for("qa.review", review_id=review_id))


@bp.route("/mine")
@requires("agent")
def mine():  # type: ignore[no-untyped-def]
    """The agent's reviews."""
    return render_template("qa/mine.html", items=_qa().mine(current_user))


@bp.route("/report")
@requires(*REVIEWERS, scope="province", params=(Param("by", where="query", enum=REPORT_GROUPS),
                                                 Param("province", where="query"), Param("csv", where="query")))
def report():  # type: ignore[no-untyped-def]
    """QA results per week and agent, team, province or criterion (CSV with ?csv=1)."""
    scope = reviewer_scope(current_user)
    province = request.args.get("province") or (None if scope == "00" else scope)
    group = request.args.get("by") or "agent"
    if group not in REPORT_GROUPS:
        abort(400, description="by must be agent, team, province or criterion")
    rows = _qa().report(group, province=province)
    if request.args.get("csv"):
        body = "\ufeff" + _qa().to_csv(rows)  # the BOM lets Excel read the Chinese labels
        return Response(body, mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="qa-{group}.csv"'})
    return render_template("qa/report.html", rows=rows, group=group, groups=REPORT_GROUPS, province=province or "")
