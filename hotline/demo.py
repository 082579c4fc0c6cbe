"""Demo data, `hotline init --demo`: idempotent. The demo users are loaded here; each home that has
demo data exposes `load_demo(platform) -> str` in the `demo` module the registry names
(hotline/homes.py: centers and queues, agents, knowledge, the demo insurance core database, the
default flow, SMS templates, QA forms), in registry order."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from core.accounts import DEMO_PASSWORD
from core.models import User
from hotline import homes

if TYPE_CHECKING:
    from hotline.platform import Platform

DEMO_USERS: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    ("admin", "系统管理员", ("admin",), "00"),
    ("supervisor", "值班长（全国）", ("supervisor",), "00"),
    ("editor", "知识库编辑", ("editor",), "00"),
    ("reviewer", "知识库审核", ("reviewer",), "00"),
    ("agent", "坐席 北京01", ("agent",), "11"),
    ("agent-gd", "坐席 广东01", ("agent",), "44"),
    ("agent-sc", "坐席 四川01", ("agent",), "51"),
    ("supervisor-gd", "值班长（广东）", ("supervisor",), "44"),
    ("qa", "质检员（全国）", ("qa",), "00"),
    ("qa-gd", "质检员（广东）", ("qa",), "44"),
)


def load_demo_users(platform: Platform) -> str:
    created = 0
    with platform.db.session() as s:
        existing = set(s.execute(select(User.username)).scalars())
    for username, name, roles, scope in DEMO_USERS:
        if username not in existing:
            platform.accounts.create_user(username, DEMO_PASSWORD, list(roles), display_name=name,
                                          province_scope=scope, is_demo=True)
            created += 1
    return f"demo users: {len(DEMO_USERS)} ({created} new), password {DEMO_PASSWORD!r}"


def load_demo(platform: Platform) -> list[str]:
    lines = [load_demo_users(platform)]
    for loader in homes.demo_loaders():
        lines.append(loader(platform))
    return lines


def database_is_empty(platform: Platform) -> bool:
    with platform.db.session() as s:
        return s.execute(select(User.id).limit(1)).first() is None
