"""Login and logout: Flask-Login sessions, CSRF-protected form, login rate limiting."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from core.accounts import AuthError
from core.models import User
from web.extensions import platform_of
from web.i18n import LANGUAGES
from web.permissions import public
from web.users import SessionUser

bp = Blueprint("auth", __name__)

MAX_ATTEMPTS = 5  # failures per user name in the window
MAX_ADDRESS_ATTEMPTS = 30  # failures per client address in the window (many users may share one: NAT)
WINDOW_SECONDS = 300


def _throttle_keys(username: str) -> tuple[str, str]:
    """The per-user and per-address failure counters. They are independent: a user's failures lock
    that user name only; an address is locked only after many failures (over any user names), and a
    success resets only that user's counter, so a good login cannot wipe an address's count. Behind
    a proxy set HOTLINE_PROXY_FIX so the address is the client's, not the proxy's."""
    ip = request.remote_addr or "?"
    return f"login-fail:user:{username.lower()}", f"login-fail:ip:{ip}"


def safe_next(target: str | None) -> str | None:
    """A local path to go to after login, or None. Browsers drop tabs and newlines and treat `\\`
    as `/`, so `/\t/evil.example` or `/\\evil.example` would leave the site: anything with
    whitespace, control characters or a backslash is refused, and what remains must parse as a path
    without scheme or host."""
    from urllib.parse import urlsplit

    if not target or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 or ch == "\\" for ch in target):
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
@public
def login():  # type: ignore[no-untyped-def]
    platform = platform_of()
    if request.method == "POST":
        username = (request.form.get("username") or "").strip()[:64]
        password = request.form.get("password") or ""
        keys = _throttle_keys(username)
        user_key, ip_key = keys
        if int(platform.store.get(user_key) or 0) >= MAX_ATTEMPTS \
                or int(platform.store.get(ip_key) or 0) >= MAX_ADDRESS_ATTEMPTS:
            flash("登录失败次数过多，请5分钟后再试 / Too many failed logins, try again in 5 minutes", "error")
            return render_template("auth/login.html", username=username), 429
        try:
            user = platform.accounts.authenticate(username, password)
        except AuthError as exc:
            for k in keys:
                platform.store.incr(k, ttl=WINDOW_SECONDS)
            platform.audit.record(actor=f"user:{username}", channel="console", action="login",
                                  outcome="refused", detail={"reason": exc.reason})
            message = ("演示账号仅在演示模式下可用 / Demo logins work only in demo mode"
                       if exc.reason == "demo_disabled" else "用户名或密码错误 / Wrong username or password")
            flash(message, "error")
            return render_template("auth/login.html", username=username), 401
        platform.store.delete(user_key)  # only this user's counter: the address keeps its count
        lang = session.get("lang")
        session.clear()  # a fresh session on login (no fixation)
        if lang:
            session["lang"] = lang
        session["gen"] = platform.accounts.session_generation(user.id)
        login_user(SessionUser(user))
        platform.audit.record(actor=f"user:{user.id}", channel="console", action="login", outcome="ok")
        return redirect(safe_next(request.args.get("next")) or url_for("auth.home"))
    return render_template("auth/login.html", username="")


@bp.route("/logout", methods=["POST"])
@public
@login_required
def logout():  # type: ignore[no-untyped-def]
    """Log out: this cookie, and every other session of the user, stops working at once."""
    platform_of().accounts.end_sessions(current_user.id)
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


@bp.route("/lang", methods=["POST"])
@public
def set_language():  # type: ignore[no-untyped-def]
    """Switch the console language (kept in the session and, when logged in, on the user)."""
    lang = request.form.get("lang", "")
    if lang in LANGUAGES:
        session["lang"] = lang
        if current_user.is_authenticated:
            with platform_of().db.session() as s:
                user = s.get(User, current_user.id)
                if user is not None:
                    user.language = lang
    target = request.referrer or url_for("auth.home")
    host = request.host_url.rstrip("/")
    if not target.startswith(host + "/"):
        target = url_for("auth.home")
    return redirect(target)


@bp.route("/")
@public
def home():  # type: ignore[no-untyped-def]
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    for role, endpoint in (("agent", "agent.console"), ("supervisor", "supervisor.wallboard"),
                           ("editor", "editor.index"), ("reviewer", "editor.index"), ("admin", "admin.index")):
        if current_user.has_role(role):
            try:
                return redirect(url_for(endpoint))
            except Exception:  # noqa: BLE001 - that area is not installed
                continue
    return render_template("auth/home.html")


@bp.route("/healthz")
@public
def healthz():  # type: ignore[no-untyped-def]
    return {"status": "ok", "node": platform_of().settings.node_id}
