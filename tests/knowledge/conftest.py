"""Fixtures for the knowledge tests: users with each role, and helpers that publish articles."""

from __future__ import annotations

from typing import Any

import pytest

from core.models import User
from hotline.platform import Platform


@pytest.fixture
def kb(platform: Platform) -> Any:
    return platform.knowledge


def _user(platform: Platform, name: str, *roles: str, province: str = "00") -> User:
    return platform.accounts.create_user(name, "pw-" + name, list(roles), province_scope=province)


@pytest.fixture
def users(platform: Platform) -> dict[str, User]:
    return {
        "editor": _user(platform, "ed1", "editor"),
        "editor2": _user(platform, "ed2", "editor"),
        "reviewer": _user(platform, "rev1", "reviewer"),
        "both": _user(platform, "both1", "editor", "reviewer"),
        "agent": _user(platform, "ag1", "agent", province="44"),
    }


def content(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "title": "失业保险金怎么申领？",
        "body": "<p>失业后到参保地经办机构办理失业登记，再申领失业保险金。</p><p>也可以在网上办理。</p>",
        "short_answer": "办理失业登记后，向参保地社保经办机构申领失业保险金，可线上办理。",
        "category": "失业保险",
        "keywords": ["失业金", "申领失业金"],
    }
    base.update(overrides)
    return base


def publish(kb: Any, users: dict[str, User], article_id: str | None = None, **overrides: Any) -> Any:
    """Draft by the editor, submitted, approved by the reviewer; returns the revision view."""
    rev = kb.create_draft(users["editor"], article_id=article_id, reason="test", **content(**overrides))
    kb.submit(users["editor"], rev.id)
    return kb.approve(users["reviewer"], rev.id, "ok")
