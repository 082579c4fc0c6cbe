"""The admin screens: users and roles, centers, hours and holidays, agents and skills, call flows,
SMS templates and broadcasts. Each panel is loaded from its /api/v1/admin operation."""

from __future__ import annotations

from flask import Blueprint, render_template

from core.models import ROLES
from web.permissions import requires

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/")
@requires("admin")
def index():  # type: ignore[no-untyped-def]
    """The admin page."""
    return render_template("admin/index.html", roles=ROLES)
