"""Learning from use: feedback is recorded, grouped into an editors' review queue, and an accepted
suggestion becomes an alternative question in a draft (published only after review)."""

from __future__ import annotations

import pytest

from knowledge.errors import KnowledgeError, NotFound, PermissionDenied
from tests.knowledge.conftest import publish


def test_feedback_becomes_a_suggested_question_in_a_draft_never_published_directly(kb, users) -> None:
    publish(kb, users, article_id="kb-u1")
    kb.feedback("kb-u1", helpful=True, query="被裁员了失业金去哪领", channel="ivr")
    kb.feedback("kb-u1", helpful=True, query="被裁员了 失业金去哪领？", channel="sms")
    kb.feedback("kb-u1", used=True, query="被裁员了失业金去哪领", source="agent", channel="console",
                call_id="c-1", user_id=users["agent"].id)
    kb.feedback("kb-u1", helpful=True, query="失业保险金怎么申领", channel="ivr")  # the title itself: nothing to add
    queue = kb.suggestions()
    assert len(queue) == 1
    s = queue[0]
    assert s.kind == "add_question" and s.article_id == "kb-u1" and s.helpful == 2 and s.used == 1
    assert len(s.feedback_ids) == 3
    with pytest.raises(PermissionDenied):
        kb.accept_suggestion(users["agent"], s.feedback_ids[0])
    draft = kb.accept_suggestion(users["editor"], s.feedback_ids[0])
    assert draft.status == "draft" and s.question in draft.questions
    assert kb.article("kb-u1").questions == []  # the published answer is unchanged until reviewed
    assert kb.suggestions() == []  # accepted: off the queue
    kb.submit(users["editor"], draft.id)
    kb.approve(users["reviewer"], draft.id, "ok")
    assert s.question in kb.article("kb-u1").questions


def test_not_helpful_asks_for_a_review_and_can_be_dismissed(kb, users) -> None:
    publish(kb, users, article_id="kb-u2")
    for _ in range(2):
        kb.feedback("kb-u2", helpful=False, query="失业金多久到账 身份证号110105194912310021", channel="ivr")
    [s] = kb.suggestions()
    assert s.kind == "review_answer" and s.not_helpful == 2
    assert "110105194912310021" not in s.question  # scrubbed of ID numbers
    with pytest.raises(ValueError):
        kb.accept_suggestion(users["editor"], s.feedback_ids[0])  # nothing to add: review the answer instead
    kb.dismiss_suggestion(users["editor"], s.feedback_ids[0])
    assert kb.suggestions() == []


def test_bad_feedback_is_refused(kb, users) -> None:
    publish(kb, users, article_id="kb-u3")
    with pytest.raises(NotFound):
        kb.feedback("kb-nope", helpful=True)
    with pytest.raises(KnowledgeError):
        kb.feedback("kb-u3")  # neither helpful nor used
    with pytest.raises(KnowledgeError):
        kb.feedback("kb-u3", helpful=True, channel="pigeon")
