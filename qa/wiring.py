"""Builds `platform.qa` (sampling defaults from HOTLINE_QA_SAMPLE_RATE, HOTLINE_QA_SAMPLE_MIN,
HOTLINE_QA_LONG_HANDLE_S or settings.extra qa_*)."""

from __future__ import annotations

import os

from qa.api import QaHost
from qa.service import QaConfig, QaService


def _get(platform: QaHost, name: str, default: str) -> str:
    extra = getattr(platform.settings, "extra", {}) or {}
    return str(extra.get(f"qa_{name}") or os.environ.get(f"HOTLINE_QA_{name.upper()}") or default)


def build(platform: QaHost) -> QaService:
    config = QaConfig(sample_rate=float(_get(platform, "sample_rate", "0.02")),
                      sample_minimum=int(_get(platform, "sample_min", "2")),
                      long_handle_s=float(_get(platform, "long_handle_s", "900")))
    return QaService(platform, config)
