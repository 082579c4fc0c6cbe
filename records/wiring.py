"""Builds `platform.records` from the settings: the read-only core connector, the mapping, the service."""

from __future__ import annotations

from records import mapping
from records.api import RecordsHost
from records.config import RecordsConfig
from records.connector import ReadOnlyCore
from records.service import RecordsService


def build(platform: RecordsHost, config: RecordsConfig | None = None) -> RecordsService:
    config = config or RecordsConfig.from_settings(platform.settings)
    core = ReadOnlyCore(platform.settings.records_database_url, statement_timeout_s=config.statement_timeout_s,
                        connect_timeout_s=config.connect_timeout_s)
    return RecordsService(platform, config, core, mapping.load(config.mapping_path))
