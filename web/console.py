"""What every console page shares: the endpoint registry, the SSE hub, CSRF for API calls, the
template helpers (translation, province names, masking) and the navigation per role."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask
from flask_login import current_user

from core import provinces
from core.clock import local_zone
from core.masking import mask_id, mask_name, mask_phone
from web.agent.context import DISPOSITIONS
from web.agent.record_view import present
from web.apikit import register_errors
from web.config import WebSettings
from web.host import WebHost
from web.i18n import LANGUAGES, N_, current_language, init_i18n, translate, translate_code
from web.permissions import register_rules
from web.sse import Hub
from web.supervisor.chart import day_chart

NAV: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("agent.console", N_("nav.agent"), ("agent",)),
    ("agent.tickets", N_("nav.tickets"), ("agent", "supervisor")),
    ("supervisor.wallboard", N_("nav.supervisor"), ("supervisor",)),
    ("supervisor.reports", N_("nav.reports"), ("supervisor",)),
    ("supervisor.callbacks", N_("nav.callbacks"), ("supervisor",)),
    ("testcalls.page", N_("nav.testcall"), ("supervisor", "admin")),
    ("editor.index", N_("nav.editor"), ("editor", "reviewer")),
    ("admin.index", N_("nav.admin"), ("admin",)),
    ("recordings.index", N_("nav.recordings"), ("supervisor", "qa")),
    ("qa.queue", N_("nav.qa"), ("qa", "supervisor")),
    ("qa.mine", N_("nav.my_reviews"), ("agent",)),
)


def local_time(value: str | None) -> str:
    """An ISO timestamp as Beijing time, "2026-11-24 10:00" (dates and unparsable text unchanged)."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if moment.tzinfo is None:
        return moment.strftime("%Y-%m-%d %H:%M") if "T" in str(value) or " " in str(value) else str(value)
    return moment.astimezone(local_zone()).strftime("%Y-%m-%d %H:%M")


def queue_name(queue_id: str | None, lang: str) -> str:
    """ "44-pension" → "广东省 · 养老保险" (an id that is not center-topic is shown as it is)."""
    center, _, topic = (queue_id or "").partition("-")
    if not topic or provinces.lookup(center) is None:
        return queue_id or ""
    return f"{provinces.name_of(center, lang)} · {translate_code('topic', topic, lang)}"


def init_console(app: Flask, platform: WebHost) -> None:
    register_rules(app)
    register_errors(app)
    init_i18n(app)
    app.extensions["hotline_sse"] = Hub(
        platform.bus,
        heartbeat=float(app.config.get("SSE_HEARTBEAT", WebSettings.of(platform.settings).sse_heartbeat)),
        max_seconds=float(app.config.get("SSE_MAX_SECONDS", 3600)),
    )

    @app.context_processor
    def _helpers() -> dict[str, Any]:
        lang = current_language()
        nav = []
        if current_user.is_authenticated:
            nav = [(ep, translate(key, lang)) for ep, key, roles in NAV
                   if current_user.has_role(*roles) and ep in app.view_functions]
        return {
            "code": lambda prefix, value: translate_code(prefix, value, lang),
            "present_record": lambda fields: present(fields or {}, lang),
            "queue_name": lambda queue_id: queue_name(queue_id, lang),
            "local_time": local_time,
            "lang": lang,
            "other_lang": next(x for x in LANGUAGES if x != lang),
            "province_name": lambda code: provinces.name_of(code, lang),
            "provinces": sorted(provinces.CENTERS.values(), key=lambda p: p.code),
            "mask_phone": mask_phone,
            "mask_id": mask_id,
            "mask_name": mask_name,
            "nav": nav,
            "day_chart": day_chart,
            "dispositions": DISPOSITIONS,
        }
