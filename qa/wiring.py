"""Builds `platform.qa` (sampling defaults from `QaSettings`: HOTLINE_QA_SAMPLE_RATE,
HOTLINE_QA_SAMPLE_MIN, HOTLINE_QA_LONG_HANDLE_S, or settings.extra qa_*)."""

from __future__ import annotations

from qa.api import QaHost
from qa.config import QaSettings
from qa.service import QaConfig, QaService


def build(platform: QaHost) -> QaService:
    s = QaSettings.of(platform.settings)
    config = QaConfig(sample_rate=s.sample_rate, sample_minimum=s.sample_min, long_handle_s=s.long_handle_s)
    return QaService(platform, config)
