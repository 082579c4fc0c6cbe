"""Composition: `platform.knowledge` is a `KnowledgeService`."""

from __future__ import annotations

from knowledge.api import KnowledgeHost
from knowledge.service import KnowledgeService


def build(platform: KnowledgeHost) -> KnowledgeService:
    return KnowledgeService(platform)
