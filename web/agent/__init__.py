"""The agent console: status bar, live offers with a ring, the call panel (screen pop, knowledge
search and SMS, record look-up, call control, tickets, wrap-up) and the ticket lists.

Pages are server-rendered; every action is an /api/v1 operation (web/agent/ops.py: state, offers,
call panel and control; knowledge_ops.py, records_ops.py, tickets_ops.py; context.py: what they share) called by htmx,
which answers the HTML fragment the page swaps in."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask_login import current_user

from web.agent.context import DISPOSITIONS, agent_id_of
from web.permissions import requires

bp = Blueprint("agent", __name__, url_prefix="/agent")
TWILIO_SDK = "twilio-voice-2.18.5.min.js"  # @twilio/voice-sdk 2.18.5, dist/twilio.min.js (checksum beside it)


@bp.route("/")
@requires("agent")
def console():  # type: ignore[no-untyped-def]
    """The agent console."""
    twilio = (bool(current_app.config.get("TWILIO_BROWSER")) and "twilio.voice_token_view" in current_app.view_functions
              and agent_id_of(current_user) is not None)
    return render_template("agent/console.html", dispositions=DISPOSITIONS, twilio=twilio,
                           twilio_sdk=TWILIO_SDK)


@bp.route("/tickets")
@requires("agent", "supervisor")
def tickets():  # type: ignore[no-untyped-def]
    """Ticket lists: mine, my center's, overdue."""
    return render_template("agent/tickets.html", scope=current_user.province_scope)
