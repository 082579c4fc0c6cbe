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
