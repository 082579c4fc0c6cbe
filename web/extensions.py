"""What every part of the web layer shares, apart from the app factory: the CSRF protector and the
node's platform of the current app. Blueprints import these from here, so `web.app` (which imports
the blueprints) is imported by nobody inside `web/` — no import loop, no imports inside functions."""

from __future__ import annotations

from flask import Flask, current_app
from flask_wtf.csrf import CSRFProtect

from web.host import WebHost
from web.sse import Hub

csrf = CSRFProtect()


def platform_of(app: Flask | None = None) -> WebHost:
    """The platform of `app` (the current app by default), set by `create_app`."""
    return (app or current_app).extensions["platform"]  # type: ignore[no-any-return]


def hub_of(app: Flask) -> Hub:
    """The node's live-event hub (SSE), set up by `web.console.init_console`."""
    return app.extensions["hotline_sse"]  # type: ignore[no-any-return]
