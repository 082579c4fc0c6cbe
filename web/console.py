"""What every console page shares: the endpoint registry, the SSE hub, CSRF for API calls, the
template helpers (translation, province names, masking) and the navigation per role."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask
from flask_login import current_user

from core import provinces
from core.masking import mask_id, mask_name, mask_phone
from web.agent.ops import DISPOSITIONS
from web.i18n import LANGUAGES, current_language, translate
from web.permissions import register_rules
from web.supervisor.chart import day_chart

NAV: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("agent.console", "nav.agent", ("agent",)),
    ("agent.tickets", "nav.tickets", ("agent", "supervisor")),
    ("supervisor.wallboard", "nav.supervisor", ("supervisor",)),
    ("supervisor.reports", "nav.reports", ("supervisor",)),
    ("editor.index", "nav.editor", ("editor", "reviewer")),
    ("admin.index", "nav.admin", ("admin",)),
)


def hub_of(app: Flask) -> Any:
    return app.extensions["hotline_sse"]


def init_console(app: Flask, platform: Any) -> None:
    from web.apikit import register_errors
    from web.sse import Hub

    register_rules(app)
    register_errors(app)
    app.extensions["hotline_sse"] = Hub(
        platform.bus,
        heartbeat=float(app.config.get("SSE_HEARTBEAT", os.environ.get("HOTLINE_SSE_HEARTBEAT", 15))),
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
            "t": lambda key: translate(key, lang),
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
