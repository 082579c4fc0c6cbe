"""The demo knowledge base loads, is searchable, and loads again without duplicating anything."""

from __future__ import annotations

from knowledge.demo import load_demo

LIBRARIES = {"养老保险", "医疗保险", "失业保险", "就业服务", "工伤保险", "生育保险", "劳动关系", "工资与休假",
             "社会保障卡", "人事人才", "政策文件"}


def test_demo_loads_idempotently_and_answers_questions(platform) -> None:  # type: ignore[no-untyped-def]
    first = load_demo(platform)
    kb = platform.knowledge
    articles = kb.list(status="published", limit=500)
    assert len(articles) >= 110 and "2 notices posted" in first
    assert {a.category for a in articles} == LIBRARIES
    assert {a.province for a in articles} >= {"00", "11", "31", "42", "44", "51"}
    second = load_demo(platform)
    assert "0 new" in second and "0 notices posted" in second
    assert len(kb.list(limit=500)) == len(articles) and len(kb.list_notices()) == 2
    assert kb.search("社保卡丢了怎么办", log_query=False).hits[0].article_id == "demo-sk-02"
    assert kb.search("最低工资是多少", province="11", log_query=False).hits[0].article_id == "demo-gz-02-11"
    assert kb.search("养老保险怎么转到新城市", log_query=False).hits[0].article_id == "demo-yl-04"
    assert [n.title for n in kb.article("demo-yl-04").notices] == ["系统升级期间暂停部分网上业务"]
    for a in articles:
        art = kb.article(a.article_id)
        assert art.title and 0 < len(art.short_answer) <= 60 and "演示" in art.body_html
        assert art.effective_from is not None and "演示内容" in art.keywords
        if art.province == "00":
            assert art.questions, a.article_id  # national articles carry alternative questions
