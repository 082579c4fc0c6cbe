"""The IVR's knowledge node on the real knowledge home and the demo knowledge base: menu items read the
article they name (every item of the default flow), the caller's province variant wins, topic notices
are read before the answer, and a spoken question is answered within the recognised topic."""

from __future__ import annotations

from datetime import timedelta

import pytest
import yaml

from hotline.platform import Platform
from ivr.service import DEFAULT_FLOW, IvrService
from ivr.simulator import ScriptedCaller, SimulatedCall, Simulator
from knowledge.demo import load_demo

BEIJING, GUANGDONG = "13800138000", "13925001234"


@pytest.fixture
def ivr(platform: Platform) -> IvrService:
    load_demo(platform)
    service = IvrService(platform)
    service.publish(DEFAULT_FLOW.read_text(encoding="utf-8"), "12333", by="test")
    return service


def run(platform: Platform, ivr: IvrService, keys: str, *, caller: str = BEIJING,
        says: list[str] | None = None) -> SimulatedCall:
    sim = Simulator(platform, ScriptedCaller(keys, says), agent=False, ivr=ivr, patience_s=60)
    return sim.run(caller=caller)


def answers(call: SimulatedCall) -> list[dict]:
    return [e for e in call.events if e["type"] == "kb_answer"]


def prompts(call: SimulatedCall) -> list[dict]:
    return [e for e in call.events if e["type"] == "prompt"]


def menu_items() -> list[tuple[str, str, str]]:
    """(main menu key, topic menu key, label) of every knowledge item of the default flow's topic menus."""
    nodes = yaml.safe_load(DEFAULT_FLOW.read_text(encoding="utf-8"))["nodes"]
    items = []
    for key, target in nodes["main_menu"]["options"].items():
        node = nodes[target]
        if node["type"] != "set":
            continue
        menu = nodes[node["next"]]
        for sub, item in menu.get("options", {}).items():
            if nodes[item]["type"] == "knowledge":
                items.append((key, sub, nodes[item]["title"]["zh"]))
    return items


def test_the_default_flow_has_eighteen_knowledge_menu_items() -> None:
    assert len(menu_items()) == 18


@pytest.mark.parametrize("main,sub,label", menu_items())
def test_every_menu_item_reaches_the_article_its_label_names(platform, ivr, main, sub, label) -> None:
    call = run(platform, ivr, f"{main} {sub}")
    found = answers(call)
    assert found and found[0]["found"] is True, label
    assert label in found[0]["title"], (label, found[0]["title"])
    assert found[0]["how"].startswith("menu")


def test_six_three_reads_card_activation_not_the_lost_card_answer(platform, ivr) -> None:
    found = answers(run(platform, ivr, "6 3"))[0]
    assert found["article_id"] == "demo-sk-03" and "激活" in found["title"] and "挂失" not in found["title"]


def test_the_callers_province_variant_wins_and_its_notice_is_read_first(platform, ivr) -> None:
    gd = run(platform, ivr, "6 3", caller=GUANGDONG)
    found = answers(gd)[0]
    assert found["article_id"] == "demo-sk-03-44" and found["province"] == "44" and found["how"] == "menu+variant"
    said = [p["id"] for p in prompts(gd)]
    notice_at = said.index("kb_notice")
    assert said[notice_at + 1].startswith("kb-notice:") and said[notice_at + 2] == "kb_answer_intro"
    assert "周末暂停即时制卡" in prompts(gd)[notice_at]["text"]
    bj = run(platform, ivr, "6 3", caller=BEIJING)  # no Beijing variant, and the Guangdong notice is not read
    assert answers(bj)[0]["article_id"] == "demo-sk-03" and "kb_notice" not in [p["id"] for p in prompts(bj)]


def test_a_national_notice_on_the_article_is_read_to_every_caller(platform, ivr) -> None:
    call = run(platform, ivr, "1 1")
    assert answers(call)[0]["article_id"] == "demo-yl-04" and answers(call)[0]["notices"]
    assert any("系统升级" in p["text"] for p in prompts(call) if p["id"] == "kb_notice")


def test_expired_or_withdrawn_notices_are_not_read(platform, ivr, clock) -> None:
    clock.advance(timedelta(days=91).total_seconds())
    call = run(platform, ivr, "1 1")
    assert answers(call)[0]["notices"] == [] and "kb_notice" not in [p["id"] for p in prompts(call)]


def test_a_spoken_question_is_answered_within_the_recognised_topic(platform, ivr) -> None:
    call = run(platform, ivr, "h", says=["看病能报多少"])
    intent = next(e for e in call.events if e["type"] == "intent")
    assert intent["intent"] == "medical"
    found = answers(call)[0]
    assert found["found"] is True and found["topic"] == "medical"
    assert platform.knowledge.article(found["article_id"]).category in ("医疗保险", "生育保险")


def test_a_province_variant_wins_for_a_spoken_question_too(platform, ivr) -> None:
    call = run(platform, ivr, "h", says=["失业金一个月能领多少钱"], caller=GUANGDONG)
    found = answers(call)[0]
    assert found["article_id"] == "demo-sy-03-44" and found["province"] == "44"


def test_the_callers_reaction_to_an_answer_is_recorded_as_feedback(platform, ivr) -> None:
    run(platform, ivr, "1", says=["社保卡不见了咋整"])  # the answer is wanted by SMS: it helped
    run(platform, ivr, "0", says=["社保卡不见了咋整"])  # straight to an agent: it did not
    [entry] = platform.knowledge.suggestions()
    assert entry.question == "社保卡不见了咋整" and entry.helpful == 1 and entry.not_helpful == 1
