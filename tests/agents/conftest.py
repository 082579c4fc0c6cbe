"""An ACD platform on each state store (in-process and real Redis), and agent helpers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from agents.domain import QueuedCall
from core.clock import FakeClock
from core.events import Event, InProcessBus
from core.models import User
from core.state import MemoryStore, RedisStore
from hotline.platform import Platform
from tests import services
from tests.conftest import make_settings


def make_platform(tmp: Path, clock: FakeClock, store: object, node: str = "test-node",
                  db_name: str = "hotline.db") -> Platform:
    settings = make_settings(tmp, database_url=f"sqlite:///{tmp / db_name}", node_id=node)
    p = Platform(settings, clock=clock, store=store, bus=InProcessBus(node, clock))  # type: ignore[arg-type]
    p.migrate()
    return p


def _on_redis(tmp: Path, clock: FakeClock) -> Iterator[Platform]:
    services.require("redis")
    prefix = services.redis_prefix()
    p = make_platform(tmp, clock, RedisStore(services.REDIS_URL, prefix=prefix))
    yield p
    p.close()
    services.flush_prefix(prefix)


@pytest.fixture
def redis_acd(tmp_path: Path, clock: FakeClock) -> Iterator[Platform]:
    """An ACD on real Redis only (what only Redis has: round trips)."""
    yield from _on_redis(tmp_path, clock)


@pytest.fixture(params=["memory", "redis"])
def acd(request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock) -> Iterator[Platform]:
    """The ACD conformance suite runs against both state stores."""
    if request.param == "memory":
        p = make_platform(tmp_path, clock, MemoryStore(clock))
        yield p
        p.close()
        return
    yield from _on_redis(tmp_path, clock)


def add_agent(p: Platform, username: str, center: str, skills: tuple[str, ...], *,
              languages: tuple[str, ...] = ("zh",), level: int = 1, login: bool = True, ready: bool = False) -> int:
    with p.db.session() as s:
        user = User(username=username, display_name=username, password_hash="!", roles="agent",
                    province_scope=center, created_at=p.clock.now())
        s.add(user)
        s.flush()
        user_id = user.id
    agent_id = p.agents.create_agent(user_id, name=username, center_code=center, skills=skills,
                                     languages=languages, level=level)
    if login:
        p.agents.login(agent_id)
    if ready:
        p.agents.set_ready(agent_id)
    return agent_id


def call(call_id: str, queue_id: str, *, priority: int = 0, caller: str | None = "13800138000",
         language: str = "zh", context: dict | None = None) -> QueuedCall:
    center, _, topic = queue_id.partition("-")
    return QueuedCall(call_id=call_id, queue_id=queue_id, center_code=center, topic=topic, skills=(topic,),
                      priority=priority, caller=caller, language=language, context=context or {"ivr_path": ["1"]})


class Recorder:
    def __init__(self, p: Platform, prefix: str = "acd.") -> None:
        self.events: list[Event] = []
        p.bus.subscribe(self.events.append, (prefix,))

    def types(self) -> list[str]:
        return [e.type for e in self.events]

    def of(self, kind: str) -> list[Event]:
        return [e for e in self.events if e.type == kind]


@pytest.fixture
def recorder(acd: Platform) -> Recorder:
    return Recorder(acd)
