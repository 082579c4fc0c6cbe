"""Segmentation, normalisation and query expansion."""

from __future__ import annotations

import re

from knowledge.analysis import HomophoneTable, default_analyzer, fuzzy_pinyin, normalize
from knowledge.places import named_province


def test_normalize_folds_width_case_and_spoken_digits() -> None:
    assert normalize("幺二三三三转人工") == "12333转人工"
    assert normalize("ＡＢＣ１２") == "abc12"
    assert normalize("一个月") == "一个月"  # short runs of number words stay words


def test_domain_terms_stay_whole_and_stop_words_go() -> None:
    tokens = default_analyzer().tokens("请问工伤认定怎么申请啊")
    assert "工伤认定" in tokens and "工伤" in tokens and "认定" in tokens
    assert not {"请问", "怎么", "啊"} & set(tokens)


def test_synonyms_expand_with_lower_weight() -> None:
    terms = {t.text: t for t in default_analyzer().expand("退休工资怎么算")}
    assert terms["养老金"].source == "synonym" and terms["养老金"].weight < 1.0
    assert terms["退休"].source == "query" and terms["退休"].weight == 1.0


def test_homophones_repair_only_what_sounds_like_a_known_term() -> None:
    table = HomophoneTable()
    table.add(["养老金", "工伤认定", "失业保险金"])
    an = default_analyzer()
    assert fuzzy_pinyin("养老经") == fuzzy_pinyin("养老金")  # jing ~ jin
    assert table.corrections(normalize("养老经怎么算"), an) == ["养老金"]
    assert table.corrections(normalize("工商认定"), an) == ["工伤认定"]
    assert table.corrections(normalize("养老金怎么算"), an) == []  # already right
    assert table.corrections(normalize("今天天气很好"), an) == []


def test_named_province() -> None:
    assert named_province("东莞最低工资") == "44"
    assert named_province("湖北省失业金") == "42"
    assert named_province("北京和上海") is None
    assert named_province("失业金") is None


def _every_window(table: HomophoneTable, norm: str, an) -> list[str]:  # type: ignore[no-untyped-def]
    """The plain scan the table's search prunes: every window of 2-6 Han characters of every run."""
    found = []
    for run in re.findall(r"[\u4e00-\u9fff]+", norm):
        for size in range(2, min(6, len(run)) + 1):
            for i in range(len(run) - size + 1):
                window = run[i:i + size]
                if window in table._known or (size == 2 and an.is_word(window)):
                    continue
                found += [t for t in table._by_sound.get(fuzzy_pinyin(window), ()) if t not in norm]
    return found


def test_the_pruned_homophone_search_finds_what_every_window_would() -> None:
    an = default_analyzer()
    table = HomophoneTable()
    table.add(an.domain_terms + [w for group in an.synonym_groups for w in group])
    questions = ["养老经怎么算", "我想问一下工商认定要多久", "生于保险报销比例是多少呀", "失业金领取条件",
                 "社保卡挂时了怎么办", "灵活就叶人员交社保", "医保转一接续手续", "今天天气很好"]
    for q in questions:
        norm = normalize(q)
        assert table.corrections(norm, an) == _every_window(table, norm, an), q
    assert any(table.corrections(normalize(q), an) for q in questions)  # the sample does contain repairs
