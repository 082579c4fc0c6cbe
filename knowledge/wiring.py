"""Composition: `platform.knowledge` is a `KnowledgeService`."""

from __future__ import annotations

from typing import Any

from knowledge.service import KnowledgeService


def build(platform: Any) -> KnowledgeService:
    return KnowledgeService(platform)
