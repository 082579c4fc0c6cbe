"""Nodes on one Redis must share their secrets: a node with another session key or handoff secret
refuses to start, with a message that says what to share."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from core import cluster
from core.state import RedisStore
from tests import services
from tests.conftest import make_settings


@pytest.fixture
def shared_redis() -> tuple[RedisStore, RedisStore]:
    services.require("redis")
    prefix = services.redis_prefix()
    a, b = RedisStore(services.REDIS_URL, prefix=prefix), RedisStore(services.REDIS_URL, prefix=prefix)
    yield a, b
    a.close()
    b.close()
    services.flush_prefix(prefix)


def test_a_node_with_another_session_key_is_refused(shared_redis, tmp_path: Path) -> None:
    a, b = shared_redis
    first = make_settings(tmp_path, node_id="node-a", redis_url=services.REDIS_URL)
    cluster.check_and_register(a, first, 1000.0)
    same = first.model_copy(update={"node_id": "node-b"})
    cluster.check_and_register(b, same, 1001.0)  # same secrets: fine
    other = first.model_copy(update={"node_id": "node-c", "secret_key": "another-session-key"})
    with pytest.raises(cluster.SecretMismatch) as refused:
        cluster.check_and_register(b, other, 1002.0)
    message = str(refused.value)
    assert "node-a" in message and "node-b" in message and "HOTLINE_SECRET_KEY" in message
    assert "HOTLINE_HANDOFF_SECRET" not in message and "another-session-key" not in message
    assert "node-c" not in {k.removeprefix(cluster.PREFIX) for k in a.keys(cluster.PREFIX + "*")}
    # the announcement holds fingerprints, never the secrets, and expires without a heartbeat
    stored = a.hgetall(cluster.PREFIX + "node-a")
    assert first.secret_key not in stored.values() and 0 < (a.ttl(cluster.PREFIX + "node-a") or 0) <= cluster.TTL_S


def test_a_different_handoff_secret_is_refused_too(shared_redis, tmp_path: Path) -> None:
    a, _ = shared_redis
    cluster.check_and_register(a, make_settings(tmp_path, node_id="n1"), 0.0)
    with pytest.raises(cluster.SecretMismatch, match="HOTLINE_HANDOFF_SECRET"):
        cluster.check_and_register(a, make_settings(tmp_path, node_id="n2", handoff_secret="other"), 0.0)


def test_run_node_refuses_to_start_with_the_message(tmp_path: Path, monkeypatch, caplog) -> None:  # type: ignore[no-untyped-def]
    services.require("redis")
    from hotline.node import run_node

    url = services.REDIS_URL.rsplit("/", 1)[0] + "/13"  # the node's default prefix, on a database of its own
    store = RedisStore(url)
    try:
        cluster.register(store, make_settings(tmp_path, node_id="gz-node-1", secret_key="the-real-key"), 0.0)
        monkeypatch.setenv("HOTLINE_DATA_DIR", str(tmp_path / "node"))
        monkeypatch.setenv("REDIS_URL", url)
        monkeypatch.setenv("HOTLINE_SECRET_KEY", "a-different-key")
        monkeypatch.setenv("HOTLINE_NODE_ID", "gz-node-2")
        for name in ("DATABASE_URL", "RECORDS_DATABASE_URL", "HOTLINE_HANDOFF_SECRET"):
            monkeypatch.delenv(name, raising=False)
        caplog.set_level(logging.ERROR)
        assert run_node(load_demo_if_empty=False) == 2
        assert "refusing to start: node(s) gz-node-1" in caplog.text and "HOTLINE_SECRET_KEY" in caplog.text
    finally:
        store.delete(*store.keys(cluster.PREFIX + "*"))
        store.close()



def test_nodes_announce_what_others_rely_on_them_doing(shared_redis, tmp_path: Path) -> None:
    """A capability counts only when every live node announces it: a node of an older release
    registers without it (issue 18: the ACD's versioned hashes)."""
    a, _ = shared_redis
    assert cluster.everyone_has(a, "acd_versions")  # nobody announced: no older node either
    cluster.register(a, make_settings(tmp_path, node_id="node-a", redis_url=services.REDIS_URL), 1000.0)
    assert a.hget(cluster.PREFIX + "node-a", "acd_versions") == "1"
    assert cluster.everyone_has(a, "acd_versions")
    a.hset(cluster.PREFIX + "node-old", {"session": "x", "center": "44"})  # as the older release registers
    assert not cluster.everyone_has(a, "acd_versions")
