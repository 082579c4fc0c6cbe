"""The Flask app factory. Blueprints are listed here and imported if present."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from apiflask import APIFlask
from flask import Flask, g, jsonify, redirect, request, url_for
from flask_login import LoginManager

from web.config import WebSettings
from web.console import init_console
from web.extensions import csrf
from web.host import WebHost
from web.users import SessionUser

# module path of each blueprint (each exposes `bp`)
BLUEPRINTS = (
    "web.auth",
    "web.agent",
    "web.supervisor",
    "web.editor",
    "web.admin",
    "web.api",
    "web.webhooks",
    "web.twilio",
    "web.speech",
    "web.handoff",
    "web.testcalls",
    "web.recordings",
    "web.qa",
)

BASE_CSP = {
    "default-src": "'self'",
    "img-src": "'self' data:",
    "style-src": "'self' 'unsafe-inline'",
    "media-src": "'self' data:",
    "connect-src": "'self'",
}
# what the Twilio Voice JavaScript SDK needs (signalling, event gateway, ringtones)
TWILIO_CSP = {
    "connect-src": "wss://voice-js.twilio.com https://eventgw.twilio.com wss://*.twilio.com",
    "media-src": "https://sdk.twilio.com",
}
PROXY_FIX_KEYS = ("x_for", "x_proto", "x_host", "x_port", "x_prefix")


def content_security_policy(twilio: bool) -> str:
    """The console's CSP: same-origin only, widened for the Twilio SDK when Twilio is configured."""
    policy = dict(BASE_CSP)
    if twilio:
        for directive, sources in TWILIO_CSP.items():
            policy[directive] = f"{policy[directive]} {sources}"
    return "; ".join(f"{k} {v}" for k, v in policy.items())


def twilio_configured(settings: Any) -> bool:
    return bool(getattr(settings, "twilio_account_sid", None))


def proxy_fix_options(text: str | None) -> dict[str, int]:
    """Parse HOTLINE_PROXY_FIX ("x_for=1,x_proto=1,x_host=1,x_prefix=1"): trusted hops per header.

    Empty or unset means off. Anything else that does not parse is refused at start-up."""
    options: dict[str, int] = {}
    for item in (text or "").replace(" ", "").split(","):
        if not item:
            continue
        key, _, value = item.partition("=")
        if key not in PROXY_FIX_KEYS or not value.isdigit():
            raise ValueError(f"HOTLINE_PROXY_FIX: {item!r} is not one of {', '.join(PROXY_FIX_KEYS)} "
                             "with a number of proxies, e.g. x_for=1,x_proto=1")
        options[key] = int(value)
    return options


def create_app(platform: WebHost, config: dict[str, Any] | None = None,
               environ: Mapping[str, str] | None = None) -> Flask:
    # APIFlask for the REST API's validation and OpenAPI document (web.apikit); its JSON error pages
    # are off (json_errors) and it serves no document or docs UI of its own (web.api serves the document)
    app = APIFlask(__name__, spec_path=None, docs_path=None, json_errors=False)
    settings = platform.settings
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.public_url.startswith("https://"),
        SESSION_COOKIE_NAME="hotline_session",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        MAX_CONTENT_LENGTH=4 * 1024 * 1024,
        WTF_CSRF_TIME_LIMIT=None,
        JSON_AS_ASCII=False,
    )
    app.config.update(config or {})
    app.extensions["platform"] = platform
    app.config.setdefault("TWILIO_BROWSER", twilio_configured(settings))
    csp = content_security_policy(app.config["TWILIO_BROWSER"])
    web = WebSettings.of(settings) if environ is None else WebSettings.from_mapping(environ)
    proxy_fix = proxy_fix_options(web.proxy_fix)
    if proxy_fix:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, **proxy_fix)  # type: ignore[method-assign]
    app.config["PROXY_FIX"] = proxy_fix
    csrf.init_app(app)

    login_manager = LoginManager(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def _load(user_id: str) -> SessionUser | None:
        from flask import session

        try:
            user = platform.accounts.get(int(user_id))
        except ValueError:
            return None
        if user is None or not platform.accounts.usable(user):
            return None
        # a cookie from before a logout or password change is refused (server-side generation)
        if session.get("gen") != platform.accounts.session_generation(user.id):
            return None
        return SessionUser(user)

    @login_manager.request_loader
    def _load_from_token(req):  # type: ignore[no-untyped-def]
        header = req.headers.get("Authorization", "")
        if not header.startswith("Bearer ") or not req.path.startswith("/api/"):
            return None  # tokens are for the API, never for console pages
        info = platform.accounts.token_info(header[7:].strip())
        if info is None:
            return None
        g.token_auth = True
        return SessionUser(info[0], roles=info[1])

    @login_manager.unauthorized_handler
    def _unauthorized():  # type: ignore[no-untyped-def]
        if request.path.startswith("/api/"):
            return jsonify(error="login required"), 401
        return redirect(url_for("auth.login", next=request.path))

    @app.before_request
    def _bind_platform() -> None:
        g.platform = platform

    @app.after_request
    def _security_headers(response):  # type: ignore[no-untyped-def]
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Content-Security-Policy", csp)
        return response

    for module_name in BLUEPRINTS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue
            raise
        app.register_blueprint(module.bp)
        init = getattr(module, "init_app", None)
        if callable(init):
            init(app)
    init_console(app, platform)
    return app
