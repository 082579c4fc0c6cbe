"""Search: province scope and ranking, effective dates, no answer, homophones, synonyms, snippets."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.knowledge.conftest import publish


@pytest.fixture
def base(kb, users):  # type: ignore[no-untyped-def]
    publish(kb, users, article_id="kb-n1", title="灵活就业人员怎么参加职工养老保险？", category="养老保险",
            body="<p>灵活就业人员可以在户籍地或就业地以个人身份参加职工养老保险，按月或按年缴费。</p>",
            short_answer="可在户籍地或就业地以个人身份参保缴费。", keywords=["灵活就业", "个人缴费"])
    publish(kb, users, article_id="kb-gd1", title="广东省灵活就业人员怎么参加养老保险？", category="养老保险",
            province="44", body="<p>广东省灵活就业人员可通过粤省事或电子税务局办理养老保险参保缴费。</p>",
            short_answer="广东可通过粤省事或电子税务局参保缴费。", keywords=["灵活就业", "广东"])
    publish(kb, users, article_id="kb-sc1", title="四川省灵活就业人员怎么参加养老保险？", category="养老保险",
            province="51", body="<p>四川省灵活就业人员可通过四川社保小程序参保缴费。</p>",
            short_answer="四川可通过四川社保小程序参保缴费。", keywords=["灵活就业", "四川"])
    publish(kb, users, article_id="kb-inj", title="工伤认定怎么申请？", category="工伤保险",
            body="<p>职工发生事故伤害的，用人单位应在30日内提出工伤认定申请；单位不申请的，职工本人一年内可以申请。</p>",
            short_answer="单位30日内申请，单位不申请的本人一年内可申请工伤认定。", keywords=["工伤认定", "工伤申请"])
    publish(kb, users, article_id="kb-pen", title="基本养老金是怎么计算的？", category="养老保险",
            body="<p>基本养老金由基础养老金和个人账户养老金组成。</p>",
            short_answer="基本养老金由基础养老金和个人账户养老金组成。", keywords=["养老金计算"])
    return kb


def ids(result):  # type: ignore[no-untyped-def]
    return [h.article_id for h in result.hits]


def test_the_callers_province_variant_ranks_above_the_national_article(base) -> None:  # type: ignore[no-untyped-def]
    gd = base.search("灵活就业人员怎么交养老保险", province="44", log_query=False)
    assert ids(gd)[:2] == ["kb-gd1", "kb-n1"]
    assert "kb-sc1" not in ids(gd)  # other provinces' variants are not offered
    national = base.search("灵活就业人员怎么交养老保险", log_query=False)
    assert ids(national)[0] == "kb-n1" and not {"kb-gd1", "kb-sc1"} & set(ids(national))
    everything = base.search("灵活就业人员怎么交养老保险", province="44", include_other_provinces=True,
                             log_query=False)
    assert {"kb-gd1", "kb-n1", "kb-sc1"} <= set(ids(everything))


def test_a_province_named_in_the_question_counts_when_the_caller_is_unknown(base) -> None:  # type: ignore[no-untyped-def]
    res = base.search("成都灵活就业怎么交养老保险", log_query=False)
    assert res.province == "51" and ids(res)[0] == "kb-sc1"


def test_hits_follow_the_contract(base) -> None:  # type: ignore[no-untyped-def]
    res = base.search("工伤认定怎么申请", province="44", limit=2, channel="console", log_query=False)
    assert not res.no_answer and 1 <= len(res.hits) <= 2
    hit = res.hits[0]
    assert hit.article_id == "kb-inj" and hit.province == "00" and hit.revision_id > 0
    assert hit.short_answer and len(hit.short_answer) <= 60 and hit.score > 0
    assert "<mark>工伤认定</mark>" in hit.snippet
    scores = [h.score for h in res.hits]
    assert scores == sorted(scores, reverse=True)


def test_speech_recognition_homophones_and_synonyms(base) -> None:  # type: ignore[no-untyped-def]
    assert ids(base.search("工商认定怎么申请", log_query=False))[0] == "kb-inj"
    assert ids(base.search("养老经怎么算", log_query=False))[0] == "kb-pen"
    assert ids(base.search("退休工资怎么计算", log_query=False))[0] == "kb-pen"


def test_no_answer_is_a_first_class_result(base) -> None:  # type: ignore[no-untyped-def]
    for q in ("住房公积金怎么提取", "护照过期了在哪里换", "今天天气怎么样", "", "   ", "？？？"):
        res = base.search(q, log_query=False)
        assert res.no_answer and res.hits == [], q


def test_only_currently_effective_articles_are_offered(base, kb, users, clock) -> None:  # type: ignore[no-untyped-def]
    today = clock.now().date()
    publish(kb, users, article_id="kb-old", title="高温津贴发放标准（旧）", category="工资与休假",
            body="<p>旧的高温津贴标准。</p>", short_answer="旧标准。", keywords=["高温津贴"],
            effective_from="2015-01-01", effective_to=(today - timedelta(days=1)).isoformat())
    publish(kb, users, article_id="kb-new", title="高温津贴发放标准", category="工资与休假",
            body="<p>新的高温津贴标准。</p>", short_answer="新标准。", keywords=["高温津贴"],
            effective_from=(today - timedelta(days=1)).isoformat(),
            effective_to=(today + timedelta(days=2)).isoformat())
    assert ids(kb.search("高温津贴标准", log_query=False)) == ["kb-new"]
    clock.advance(timedelta(days=3))  # the new one has ended too
    assert kb.search("高温津贴标准", log_query=False).no_answer


def test_snippets_are_safe_html(kb, users) -> None:  # type: ignore[no-untyped-def]
    publish(kb, users, article_id="kb-x", title="社保卡挂失怎么办？", category="社会保障卡",
            body="<p>社保卡丢失请先挂失 &lt;script&gt;alert(1)&lt;/script&gt; 然后补办。</p>",
            short_answer="先电话或网上挂失，再补办。", keywords=["挂失"])
    snip = kb.search("社保卡挂失", log_query=False).hits[0].snippet
    assert "<script" not in snip and "&lt;script&gt;" in snip
    assert "<mark>社保卡</mark>" in snip and "<mark>挂失</mark>" in snip
