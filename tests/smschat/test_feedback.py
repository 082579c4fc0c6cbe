"""Issue 16 item 2 (learning from use) on the SMS channel: a citizen who asks for the details of an
answer ("1") counts it as helpful, one who asks again right after as not helpful; with the real
knowledge base the question then reaches the editors' review queue (never published by itself)."""

from __future__ import annotations

from hotline.platform import Platform
from sms.demo import load_demo as load_sms
from smschat.demo import load_demo as load_smschat
from tests.smschat.test_conversation import CITIZEN, install, kb


def test_details_count_as_helpful_and_a_follow_up_as_not(platform: Platform) -> None:
    knowledge = kb()
    install(platform, knowledge=knowledge)
    chat = platform.smschat
    chat.handle_inbound(CITIZEN, "我的身份证110105194912310027，失业了怎么领钱", provider="test")
    chat.handle_inbound(CITIZEN, "1", provider="test")
    chat.handle_inbound(CITIZEN, "1", provider="test")  # asking twice rates the answer once
    assert [(a, k["helpful"], k["channel"], k["source"]) for a, k in knowledge.feedback_given] == \
        [("a1", True, "sms", "citizen")]
    assert "110105194912310027" not in knowledge.feedback_given[0][1]["query"]  # scrubbed
    chat.handle_inbound(CITIZEN, "失业金多久能到账", provider="test")
    chat.handle_inbound(CITIZEN, "那失业金能领几个月", provider="test")  # asked again: the last answer fell short
    assert [k["helpful"] for _, k in knowledge.feedback_given] == [True, False]
    assert knowledge.feedback_given[1][1]["query"] == "失业金多久能到账"


def test_the_citizens_words_reach_the_editors_review_queue(platform: Platform) -> None:
    from knowledge.demo import load_demo as load_kb

    load_kb(platform)
    load_sms(platform)
    load_smschat(platform)
    question = "失业了每个月能领多少钱"
    answered = platform.knowledge.search(question, limit=1, channel="sms")
    assert answered.hits, "the demo knowledge base answers the question"
    article = answered.hits[0].article_id
    platform.smschat.handle_inbound(CITIZEN, question, provider="test")
    platform.smschat.handle_inbound(CITIZEN, "1", provider="test")
    queue = platform.knowledge.suggestions()
    mine = [s for s in queue if s.article_id == article and s.question == question]
    assert mine and mine[0].kind == "add_question" and mine[0].helpful == 1
    assert platform.knowledge.article(article).questions.count(question) == 0  # nothing published by itself
