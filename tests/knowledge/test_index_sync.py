"""The index is derived data: rebuilt from the database, kept in step on publish, and on other nodes
through the event bus (in-process bus shared by two platforms; real Redis pub/sub between two nodes)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.events import InProcessBus, RedisBus
from core.state import MemoryStore
from hotline.platform import Platform
from tests import services
from tests.conftest import make_settings
from tests.knowledge.conftest import publish


def found(kb, query: str = "失业保险金怎么申领") -> list[str]:  # type: ignore[no-untyped-def]
    return [h.article_id for h in kb.search(query, log_query=False).hits]


def test_rebuild_from_the_database(kb, users) -> None:  # type: ignore[no-untyped-def]
    publish(kb, users, article_id="kb-r1")
    events: list[str] = []
    kb.platform.bus.subscribe(lambda e: events.append(e.type), types=("kb.",))
    kb.index._searcher = None  # a fresh node: nothing in memory
    assert found(kb) == ["kb-r1"]
    assert kb.reindex() == 1 and events == ["kb.index.rebuilt"]


@pytest.fixture
def two_nodes(tmp_path: Path, clock) -> Iterator[tuple[Platform, Platform]]:  # type: ignore[no-untyped-def]
    bus = InProcessBus("shared", clock)
    settings = make_settings(tmp_path)
    a = Platform(settings, clock=clock, store=MemoryStore(clock), bus=bus)
    a.migrate()
    b = Platform(settings, clock=clock, store=MemoryStore(clock), bus=bus)
    yield a, b
    a.close()
    b.close()


def test_a_second_node_follows_publish_and_archive(two_nodes, users) -> None:  # type: ignore[no-untyped-def]
    a, b = two_nodes
    assert found(b.knowledge) == []  # b has built its index (empty)
    rev = publish(a.knowledge, users, article_id="kb-x1")
    assert found(b.knowledge) == ["kb-x1"]
    r2 = a.knowledge.create_draft(users["editor"], article_id="kb-x1", short_answer="第二版简短答复。")
    a.knowledge.submit(users["editor"], r2.id)
    a.knowledge.approve(users["reviewer"], r2.id)
    hit = b.knowledge.search("失业保险金怎么申领", log_query=False).hits[0]
    assert hit.revision_id == r2.id != rev.id and hit.short_answer == "第二版简短答复。"
    a.knowledge.archive(users["reviewer"], "kb-x1")
    assert found(b.knowledge) == []


def test_bulk_import_on_one_node_rebuilds_the_others(two_nodes, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from knowledge.transfer import import_file
    from tests.knowledge.test_transfer import RECORDS, write_jsonl

    a, b = two_nodes
    assert found(b.knowledge) == []
    import_file(a.knowledge, write_jsonl(tmp_path / "in.jsonl", RECORDS), publish=True)
    assert found(b.knowledge)[0] == "kb-9001"


def test_nodes_in_step_over_redis(tmp_path: Path, redis_url: str, users, platform) -> None:  # type: ignore[no-untyped-def]
    channel = services.redis_prefix() + "events"
    settings = make_settings(tmp_path)  # the same SQLite file as `platform` (and `users`)
    nodes = [Platform(settings, store=MemoryStore(), bus=RedisBus(redis_url, name, channel=channel))
             for name in ("node-a", "node-b")]
    try:
        a, b = nodes
        assert found(b.knowledge) == []
        time.sleep(0.2)  # let both pub/sub subscriptions settle
        publish(a.knowledge, users, article_id="kb-redis")
        deadline = time.time() + 5
        while time.time() < deadline and not found(b.knowledge):
            time.sleep(0.05)
        assert found(b.knowledge) == ["kb-redis"]
        a.knowledge.archive(users["reviewer"], "kb-redis")
        deadline = time.time() + 5
        while time.time() < deadline and found(b.knowledge):
            time.sleep(0.05)
        assert found(b.knowledge) == []
    finally:
        for node in nodes:
            node.close()


def test_workflow_and_search_on_postgres(pg_platform) -> None:  # type: ignore[no-untyped-def]
    from tests.knowledge.conftest import _user

    kb = pg_platform.knowledge
    users = {"editor": _user(pg_platform, "ed", "editor"), "reviewer": _user(pg_platform, "rv", "reviewer")}
    r1 = publish(kb, users, article_id="kb-pg", effective_from="2020-01-01", keywords=["失业金", "申领"])
    r2 = kb.create_draft(users["editor"], article_id="kb-pg", short_answer="第二版。")
    kb.submit(users["editor"], r2.id)
    kb.approve(users["reviewer"], r2.id)
    assert [d.field for d in kb.diff(r1.id, r2.id)] == ["short_answer"]
    kb.rollback(users["reviewer"], "kb-pg", 1)
    art = kb.article("kb-pg")
    assert art.revision_number == 3 and art.keywords == ["失业金", "申领"]
    kb.index._searcher = None
    assert found(kb) == ["kb-pg"]
    kb.search("失业金", channel="ivr")
    assert kb.top_queries()[0].query == "失业金"


def test_a_second_node_reads_changed_articles_and_notices(two_nodes, users, clock) -> None:  # type: ignore[no-untyped-def]
    """What the IVR reads on every answer is held in memory; changes on another node reach it."""
    from datetime import timedelta

    a, b = two_nodes
    publish(a.knowledge, users, article_id="kb-c1")
    assert b.knowledge.article("kb-c1").notices == []  # b now holds the article and the (empty) notices
    notice = a.knowledge.create_notice(users["editor"], title="系统升级", body="<p>暂停办理</p>", province="00",
                                       article_id="kb-c1", ends_at=clock.now() + timedelta(days=1))
    assert [n.id for n in b.knowledge.notices("44")] == [notice.id]
    assert [n.id for n in b.knowledge.article("kb-c1").notices] == [notice.id]
    r2 = a.knowledge.create_draft(users["editor"], article_id="kb-c1", short_answer="第二版简短答复。")
    a.knowledge.submit(users["editor"], r2.id)
    a.knowledge.approve(users["reviewer"], r2.id)
    assert b.knowledge.article("kb-c1").short_answer == "第二版简短答复。"
    a.knowledge.withdraw_notice(users["editor"], notice.id)
    assert b.knowledge.notices("44") == [] and b.knowledge.article("kb-c1").notices == []
    a.knowledge.archive(users["reviewer"], "kb-c1")
    assert b.knowledge.article("kb-c1") is None


def test_a_lost_event_costs_at_most_the_cache_lifetime(kb, users, clock) -> None:  # type: ignore[no-untyped-def]
    """A change the node never hears of (a direct database write here) is read once the entry is old."""
    from datetime import timedelta

    from knowledge.models import KbNotice
    from knowledge.readcache import ReadCache

    publish(kb, users, article_id="kb-c2")
    assert kb.notices("11") == []
    with kb.db.session() as s:
        s.add(KbNotice(title="直接写入", body_html="<p>.</p>", province="11", article_id=None,
                       starts_at=clock.now(), ends_at=clock.now() + timedelta(days=1), created_by=None,
                       created_at=clock.now(), withdrawn=False, status="published"))
    assert kb.notices("11") == []  # not heard of: the cached list stands
    fresh = ReadCache(kb.platform.bus, kb.store.read_article, kb.store.read_live_notices, ttl_s=0.0)
    try:
        assert [n.title for n in fresh.notices("11", clock.now())] == ["直接写入"]
        assert fresh.article("kb-c2", clock.now()).article_id == "kb-c2"
    finally:
        fresh.close()
