"""Fixtures shared by every test: settings in a temporary data dir, a Platform on SQLite or
PostgreSQL, a fake clock, state stores and buses of both kinds, the Flask app and client."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HOTLINE_DEMO", "1")

from core.clock import FakeClock
from core.events import InProcessBus, RedisBus
from core.settings import Settings
from core.state import MemoryStore, RedisStore
from hotline.platform import Platform
from tests import services


def make_settings(tmp: Path, **overrides: object) -> Settings:
    values: dict[str, object] = dict(
        data_dir=tmp,
        database_url=f"sqlite:///{tmp / 'hotline.db'}",
        records_database_url=f"sqlite:///{tmp / 'core-records.db'}",
        redis_url=None,
        secret_key="test-secret-key",
        handoff_secret="test-handoff-secret",
        demo_mode=True,
        node_id="test-node",
    )
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def platform(settings: Settings, clock: FakeClock) -> Iterator[Platform]:
    """A migrated Platform on SQLite with in-process state and a fake clock."""
    p = Platform(settings, clock=clock, store=MemoryStore(clock), bus=InProcessBus("test-node", clock))
    p.migrate()
    yield p
    p.close()


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session."""
    with services.fresh_pg_database() as url:
        yield url


@pytest.fixture
def pg_platform(tmp_path: Path, clock: FakeClock) -> Iterator[Platform]:
    """A migrated Platform on its own fresh PostgreSQL database."""
    with services.fresh_pg_database() as url:
        p = Platform(make_settings(tmp_path, database_url=url), clock=clock, store=MemoryStore(clock),
                     bus=InProcessBus("test-node", clock))
        p.migrate()
        yield p
        p.close()


@pytest.fixture(params=["sqlite", "postgres"])
def any_platform(request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock) -> Iterator[Platform]:
    """The same test on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        p = Platform(make_settings(tmp_path), clock=clock, store=MemoryStore(clock),
                     bus=InProcessBus("test-node", clock))
        p.migrate()
        yield p
        p.close()
        return
    with services.fresh_pg_database() as url:
        p = Platform(make_settings(tmp_path, database_url=url), clock=clock, store=MemoryStore(clock),
                     bus=InProcessBus("test-node", clock))
        p.migrate()
        yield p
        p.close()


@pytest.fixture
def redis_url() -> str:
    services.require("redis")
    return services.REDIS_URL


@pytest.fixture
def redis_store(redis_url: str) -> Iterator[RedisStore]:
    prefix = services.redis_prefix()
    store = RedisStore(redis_url, prefix=prefix)
    yield store
    store.close()
    services.flush_prefix(prefix)


@pytest.fixture(params=["memory", "redis"])
def any_store(request: pytest.FixtureRequest, clock: FakeClock) -> Iterator[object]:
    """Each state-store conformance test runs against both implementations."""
    if request.param == "memory":
        yield MemoryStore(clock)
        return
    services.require("redis")
    prefix = services.redis_prefix()
    store = RedisStore(services.REDIS_URL, prefix=prefix)
    yield store
    store.close()
    services.flush_prefix(prefix)


@pytest.fixture
def redis_bus_pair(redis_url: str) -> Iterator[tuple[RedisBus, RedisBus]]:
    channel = services.redis_prefix() + "events"
    a = RedisBus(redis_url, "node-a", channel=channel)
    b = RedisBus(redis_url, "node-b", channel=channel)
    yield a, b
    a.close()
    b.close()


@pytest.fixture
def app(platform: Platform):  # type: ignore[no-untyped-def]
    from web.app import create_app

    application = create_app(platform, {"TESTING": True})
    return application


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()
