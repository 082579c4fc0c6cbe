"""Publication scheduled by effective date: the runtime timer publishes due revisions."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from knowledge.runtime import KnowledgeTimer, services
from tests.knowledge.conftest import content, publish


def test_approved_revision_with_a_future_date_waits_for_it(kb, users, clock, platform) -> None:  # type: ignore[no-untyped-def]
    publish(kb, users, article_id="kb-s1", short_answer="现行口径。")
    start = (clock.now() + timedelta(days=2)).date().isoformat()
    r2 = kb.create_draft(users["editor"], article_id="kb-s1", short_answer="新口径，后天起执行。",
                         effective_from=start)
    kb.submit(users["editor"], r2.id)
    assert kb.approve(users["reviewer"], r2.id).status == "scheduled"
    assert kb.article("kb-s1").short_answer == "现行口径。"
    timer = KnowledgeTimer(platform)
    assert timer.tick() == []
    clock.advance(timedelta(days=2))
    assert timer.tick() == [r2.id]
    assert kb.article("kb-s1").short_answer == "新口径，后天起执行。"
    assert kb.search("失业保险金怎么申领", log_query=False).hits[0].revision_id == r2.id
    assert [r.status for r in kb.revisions("kb-s1")] == ["superseded", "published"]
    assert timer.tick() == []


def test_a_new_article_scheduled_ahead_is_not_searchable_yet(kb, users, clock) -> None:  # type: ignore[no-untyped-def]
    start = (clock.now() + timedelta(days=1)).date().isoformat()
    rev = kb.create_draft(users["editor"], article_id="kb-s2", **content(effective_from=start))
    kb.submit(users["editor"], rev.id)
    kb.approve(users["reviewer"], rev.id)
    assert kb.article("kb-s2") is None
    assert kb.search("失业保险金怎么申领", log_query=False).no_answer
    clock.advance(timedelta(days=1))
    assert kb.publish_due() == [rev.id]
    assert kb.search("失业保险金怎么申领", log_query=False).hits[0].article_id == "kb-s2"


def test_runtime_service_starts_and_stops(platform) -> None:  # type: ignore[no-untyped-def]
    [svc] = services(platform)

    async def run() -> None:
        await svc.start()
        await svc.stop()

    asyncio.run(run())
    assert platform.knowledge.index._searcher is not None  # built at start
