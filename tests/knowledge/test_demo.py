"""The demo knowledge base loads, is searchable, and loads again without duplicating anything."""

from __future__ import annotations

from knowledge.demo import load_demo


def test_demo_loads_idempotently_and_answers_questions(platform) -> None:  # type: ignore[no-untyped-def]
    first = load_demo(platform)
    kb = platform.knowledge
    count = len(kb.list(status="published"))
    assert count >= 40 and "notice posted" in first
    assert {a.province for a in kb.list()} >= {"00", "11", "44", "51"}
    second = load_demo(platform)
    assert "0 new" in second and "notice kept" in second
    assert len(kb.list()) == count and len(kb.list_notices()) == 1
    assert kb.search("社保卡丢了怎么办", log_query=False).hits[0].article_id == "demo-sk-01"
    assert kb.search("最低工资是多少", province="11", log_query=False).hits[0].article_id == "demo-gz-04"
    assert kb.search("养老保险怎么转到新城市", log_query=False).hits[0].article_id == "demo-yl-04"
    assert [n.title for n in kb.article("demo-yl-04").notices] == ["系统升级期间暂停部分网上业务"]
    assert all(len(a.title) and len(kb.article(a.article_id).short_answer) <= 60 for a in kb.list())
