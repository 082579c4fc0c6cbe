"""The supervisor's screens: the live wallboard (per center and national) with the day chart and
agents, and the reports page (day, interval, queue, agent; CSV) with satisfaction results."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user

from web.permissions import requires

bp = Blueprint("supervisor", __name__, url_prefix="/supervisor")


@bp.route("/")
@requires("supervisor", scope="province")
def wallboard():  # type: ignore[no-untyped-def]
    """The wallboard."""
    scope = request.args.get("province") or current_user.province_scope
    own = scope == "00" and request.args.get("own", "").lower() in ("1", "true", "yes", "on")
    return render_template("supervisor/wallboard.html", scope=scope, own=own)


@bp.route("/reports")
@requires("supervisor", scope="province")
def reports():  # type: ignore[no-untyped-def]
    """Reports and satisfaction."""
    scope = request.args.get("province") or current_user.province_scope
    return render_template("supervisor/reports.html", scope=scope)


@bp.route("/callbacks")
@requires("supervisor", scope="province")
def callbacks():  # type: ignore[no-untyped-def]
    """Pending callbacks per center."""
    scope = request.args.get("province") or current_user.province_scope
    return render_template("supervisor/callbacks.html", scope=scope)
