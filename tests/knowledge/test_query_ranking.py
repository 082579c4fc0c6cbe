"""Query understanding for speech, the topic prior, and learning the ranking (knowledge.tuning)."""

from __future__ import annotations

from datetime import date

import pytest

from knowledge.analysis import default_analyzer
from knowledge.query import clauses, understand
from knowledge.search import RankModel, SearchConfig, Searcher
from knowledge.tantivy_backend import TantivyBackend
from knowledge.tuning import collect, cross_validate, fit, measure

DAY = date(2026, 1, 10)
ARTICLES = [
    ("a-unemp", "失业保险金怎么申领？", "失业保险", "00", ["失业金", "申领失业金"],
     "失业后到参保地经办机构或网上申领失业保险金。"),
    ("a-inj", "工伤认定怎么申请？", "工伤保险", "00", ["工伤认定", "受伤"],
     "职工发生事故伤害的，单位应在30日内提出工伤认定申请。"),
    ("a-card", "社保卡丢了怎么挂失？", "社会保障卡", "00", ["挂失", "社保卡丢失"],
     "社保卡丢失后可拨打12333或在电子社保卡中临时挂失。"),
    ("a-card-act", "社保卡怎么激活？", "社会保障卡", "00", ["激活", "启用"],
     "领到社保卡后到银行网点激活金融功能，并设置密码。"),
    ("a-med", "医保住院报销比例是多少？", "医疗保险", "00", ["报销比例", "住院报销"],
     "住院费用在起付线以上按比例报销，退休人员比例更高。"),
]


def searcher(config: SearchConfig | None = None) -> Searcher:
    s = Searcher(TantivyBackend(), default_analyzer(), config)
    docs = [s.make_doc(article_id=a, revision_id=i, title=t, questions=[], keywords=kw, body_text=body,
                       short_answer=body[:20], province=p, category=c, effective_from=None, effective_to=None)
            for i, (a, t, c, p, kw, body) in enumerate(ARTICLES, 1)]
    s.rebuild(docs)
    return s


def test_clauses_mark_the_asking_ones() -> None:
    parts = clauses("喂 你好 我在厂里干了三年 上个月被辞退了 失业金怎么领啊")
    assert [c.asking for c in parts] == [False, False, False, False, True]
    assert parts[-1].text == "失业金怎么领啊"


def test_scene_setting_words_count_less_than_the_question() -> None:
    terms = {t.text: t.weight for t in understand("我在厂里上班 社保卡丢了怎么办", default_analyzer(), None, 0.4)}
    assert terms["社保卡"] == 1.0
    assert 0 < terms["厂里"] <= 0.4 + 1e-9
    flat = {t.text: t.weight for t in understand("我在厂里上班 社保卡丢了怎么办", default_analyzer(), None, 1.0)}
    assert flat["厂里"] == 1.0  # context weight 1: every clause counts fully


def test_the_buried_question_wins_over_the_background() -> None:
    s = searcher()
    res = s.search("喂 你好 我上个月在工地受伤了 老板说先别管 我现在社保卡丢了 怎么挂失", province=None, day=DAY)
    assert not res.no_answer and res.hits[0].article_id == "a-card"


def test_the_topic_prior_favours_the_recognised_topic() -> None:
    s = searcher()
    analysis = s.analyse("社保卡怎么办", province=None, day=DAY, topic="card")
    assert analysis is not None
    topic = {sc.candidate.doc.article_id: sc.features["topic"] for sc in analysis.scored}
    assert topic["a-card"] == 1.0 and topic["a-card-act"] == 1.0
    assert all(v == 0.0 for k, v in topic.items() if not k.startswith("a-card"))
    heavy = RankModel(weights={**RankModel().weights, "topic": 5.0})
    ranked = s.rank(s.analyse("怎么申请", province=None, day=DAY, topic="injury_maternity"), heavy)  # type: ignore[arg-type]
    assert ranked[0].candidate.doc.article_id == "a-inj"


def test_fit_learns_weights_and_a_threshold_and_cross_validation_measures_the_other_set() -> None:
    s = searcher()
    a = [{"q": "失业金怎么领", "gold": ["a-unemp"]}, {"q": "上班时受伤了怎么认定工伤", "gold": ["a-inj"]},
         {"q": "社保卡不见了", "gold": ["a-card"]}, {"q": "公积金怎么提取", "gold": []}]
    b = [{"q": "医保住院能报多少", "gold": ["a-med"]}, {"q": "新卡怎么激活", "gold": ["a-card-act"]},
         {"q": "驾驶证到期怎么换", "gold": []}]
    model = fit(s, a + b, DAY, trained_on="a+b")
    assert model.trained_on == "a+b" and 0.0 < model.threshold < 1.0
    metrics = measure(s, collect(s, a + b, DAY, model.context_weight), model)
    assert metrics.mrr5 >= 0.8  # learned on these very queries
    cv = cross_validate(s, {"a": a, "b": b}, DAY)
    assert set(cv) == {"a", "b"} and cv["a"][0].trained_on == "b" and cv["b"][0].trained_on == "a"
    assert cv["b"][1].queries == 3 and cv["b"][1].out_of_scope == 1


def test_need_bigram_is_the_share_of_the_first_asking_clause_the_article_covers() -> None:
    s = searcher()
    analysis = s.analyse("社保卡怎么激活 另外失业金怎么领", province=None, day=DAY)
    assert analysis is not None
    assert set(analysis.need) == {"社保", "保卡", "卡怎", "么激", "激活"}  # 怎么 is a stop word
    need = {sc.candidate.doc.article_id: sc.features["need_bigram"] for sc in analysis.scored}
    assert need["a-card-act"] == pytest.approx(1.0)  # every bigram of 社保卡怎么激活 is in its title
    assert need["a-unemp"] == 0.0  # the second question does not count
    assert 0.0 < need["a-card"] < 1.0  # 社保, 保卡 only


def test_body_bigram_is_the_share_of_the_query_found_in_the_body() -> None:
    s = searcher()
    analysis = s.analyse("到银行网点激活", province=None, day=DAY)
    assert analysis is not None
    body = {sc.candidate.doc.article_id: sc.features["body_bigram"] for sc in analysis.scored}
    assert body["a-card-act"] == pytest.approx(1.0)  # 领到社保卡后到银行网点激活金融功能
    assert all(v == 0.0 for k, v in body.items() if k != "a-card-act")
    # the scene-setting clause counts fully here (the weighted bigram feature discounts it)
    analysis = s.analyse("我在银行网点 社保卡怎么挂失", province=None, day=DAY, context_weight=0.35)
    assert analysis is not None
    by_id = {sc.candidate.doc.article_id: sc.features for sc in analysis.scored}
    assert by_id["a-card-act"]["body_bigram"] > by_id["a-card"]["body_bigram"] > 0.0


def _ranking(s: Searcher, query: str) -> tuple[bool, float, list[tuple[str, float]]]:
    r = s.search(query, province=None, day=DAY)
    return r.no_answer, round(r.confidence, 9), [(h.article_id, round(h.score, 9)) for h in r.hits]


def _forget(s: Searcher) -> None:
    """Empty every cache the searcher and its backend keep between searches."""
    s._bigram_idf, s._term_idf, s._term_idf_n = {}, {}, -1
    s.backend._clauses, s.backend._fdf, s.backend._df = {}, {}, {}  # type: ignore[attr-defined]


def test_the_caches_kept_between_searches_never_outlive_a_change() -> None:
    """Term and bigram IDFs and the backend's term clauses are kept between searches: after upserts
    (a new article, an edited one) the ranking must equal that of the same index with no cache."""
    queries = ["失业金怎么领", "社保卡丢了", "住院报销比例", "工伤认定 申请", "生育津贴 能领多少"]
    s = searcher()
    for q in queries:  # fills the caches
        _ranking(s, q)
    extra = [("a-birth", "生育津贴能领多少？", "生育保险", "00", ["生育津贴", "产假工资"],
              "生育津贴按职工所在用人单位上年度职工月平均工资计发。"),
             ("a-unemp", "失业保险金怎么申领？", "失业保险", "00", ["失业金", "领失业金", "失业补助"],
              "失业后到参保地经办机构、网上或在电子社保卡申领失业保险金，报销也可一并咨询。")]
    for i, (a, t, c, p, kw, body) in enumerate(extra, 10):
        s.upsert(s.make_doc(article_id=a, revision_id=i, title=t, questions=[], keywords=kw, body_text=body,
                            short_answer=body[:20], province=p, category=c, effective_from=None,
                            effective_to=None))
        warm = [_ranking(s, q) for q in queries]
        _forget(s)
        assert warm == [_ranking(s, q) for q in queries]
    assert _ranking(s, "生育津贴 能领多少")[2][0][0] == "a-birth"


def test_a_removed_article_changes_the_term_idf_at_once() -> None:
    s = searcher()
    n = len(s.backend)
    before = s._idf("挂失", n, s._idfs(n))
    s.backend.remove("a-unemp")
    m = len(s.backend)
    assert m == n - 1 and s._idf("挂失", m, s._idfs(m)) < before  # the same df among fewer articles
