"""The tantivy backend: filters by province and effective date on both of its paths (dates checked
after an over-fetch, or in the index when many documents carry dates), upsert and remove."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from knowledge.backend import IndexDoc
from knowledge.tantivy_backend import MAX_DATED_OVERFETCH, TantivyBackend

WEIGHTS = {"title": 3.0, "questions": 2.5, "keywords": 2.0, "body": 1.0}
DAY = date(2026, 11, 24)


def doc(article_id: str, title: str, province: str = "00", start: date | None = None,
        end: date | None = None) -> IndexDoc:
    return IndexDoc(article_id=article_id, revision_id=1, title=title, short_answer="", province=province,
                    category="c", effective_from=start, effective_to=end, body_text=title,
                    tokens={"title": title, "body": title})


def ids(backend: TantivyBackend, *terms: str, provinces=("00",), day: date = DAY, limit: int = 5) -> list[str]:  # type: ignore[no-untyped-def]
    found = backend.query([(t, 1.0) for t in terms], field_weights=WEIGHTS, provinces=provinces, day=day,
                          limit=limit)
    return [c.doc.article_id for c in found]


@pytest.mark.parametrize("expired", [3, MAX_DATED_OVERFETCH + 5])
def test_expired_and_future_documents_are_filtered(expired: int) -> None:
    b = TantivyBackend()
    docs = [doc(f"old-{i}", "养老金 养老金 养老金", end=DAY - timedelta(days=1)) for i in range(expired)]
    docs.append(doc("current", "养老金", start=DAY - timedelta(days=10)))
    docs.append(doc("ends-today", "养老金", end=DAY))
    b.rebuild(docs)
    assert sorted(ids(b, "养老金", limit=2)) == ["current", "ends-today"]
    assert ids(b, "养老金", day=DAY + timedelta(days=1), limit=3) == ["current"]
    b.upsert(doc("future", "养老金 养老金", start=DAY + timedelta(days=5)))
    assert "future" not in ids(b, "养老金", limit=10)
    assert ids(b, "养老金", day=DAY + timedelta(days=5), limit=1) == ["future"]


def test_province_filter_upsert_and_remove() -> None:
    b = TantivyBackend()
    b.rebuild([doc("n", "失业金"), doc("gd", "失业金 广东", "44"), doc("sc", "失业金 四川", "51")])
    assert sorted(ids(b, "失业金", provinces=("00", "44"))) == ["gd", "n"]
    assert sorted(ids(b, "失业金", provinces=None)) == ["gd", "n", "sc"]
    b.upsert(doc("n", "医保"))
    assert ids(b, "失业金") == [] and ids(b, "医保") == ["n"] and len(b) == 3
    b.remove("gd")
    assert ids(b, "失业金", provinces=None) == ["sc"] and b.get("gd") is None


def scores(backend: TantivyBackend, *terms: str) -> dict[str, float]:
    found = backend.query([(t, 1.0) for t in terms], field_weights=WEIGHTS, provinces=None, day=DAY, limit=10)
    return {c.doc.article_id: c.score for c in found}


def test_a_term_is_queried_in_every_field_that_holds_it_after_each_change() -> None:
    """The per-term clauses are cached and cover only the fields holding the term: a change that
    brings the term into another field must be scored there at once (the cache is per commit)."""
    b = TantivyBackend()
    body_only = IndexDoc(article_id="a", revision_id=1, title="医保 报销", short_answer="", province="00",
                         category="c", effective_from=None, effective_to=None, body_text="",
                         tokens={"title": "医保 报销", "body": "生育津贴 怎么 领"})
    b.rebuild([body_only, doc("b", "养老金")])
    before = scores(b, "生育津贴")["a"]
    assert scores(b, "生育津贴")["a"] == before  # served from the cache: the same score
    b.upsert(IndexDoc(article_id="a", revision_id=2, title="生育津贴", short_answer="", province="00",
                      category="c", effective_from=None, effective_to=None, body_text="",
                      tokens={"title": "生育津贴", "body": "生育津贴 怎么 领"}))
    assert scores(b, "生育津贴")["a"] > 2 * before  # the title (weight 3) now counts too
    b.upsert(doc("c", "失业金"))
    assert scores(b, "失业金") and "c" in scores(b, "失业金")  # a term new to the index after a commit


def test_leaving_out_fields_without_the_term_changes_no_score() -> None:
    """A field that lacks a term adds nothing to BM25: scores equal those of a query over every field."""
    import tantivy

    b = TantivyBackend()
    b.rebuild([IndexDoc(article_id=f"d{i}", revision_id=1, title=t, short_answer="", province="00", category="c",
                        effective_from=None, effective_to=None, body_text="",
                        tokens={"title": t, "keywords": k, "body": body})
               for i, (t, k, body) in enumerate([("养老金 领取", "退休", "养老金 领取 条件 年龄"),
                                                 ("医保 报销", "门诊", "医保 报销 比例 养老金"),
                                                 ("失业金", "失业", "失业金 申领 条件")])])
    terms = [("养老金", 1.0), ("条件", 0.6), ("门诊", 0.8)]
    ours = {c.doc.article_id: c.score for c in b.query(terms, field_weights=WEIGHTS, provinces=None, day=DAY,
                                                       limit=10)}
    Q, should = tantivy.Query, tantivy.Occur.Should
    every_field = Q.boolean_query([(should, Q.boost_query(Q.term_query(b._schema, f, t), w * weight))
                                   for f, w in WEIGHTS.items() for t, weight in terms])
    searcher = b._searcher
    hits = searcher.search(every_field, 10).hits
    slots = searcher.fast_field_values("slot", [addr for _, addr in hits])
    full = {b._slots[slot].article_id: score for (score, _), slot in zip(hits, slots, strict=True)}
    assert ours == pytest.approx(full, rel=1e-6) and len(ours) == 3
