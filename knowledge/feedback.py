"""Learning from use: feedback on answers, and the editors' review queue built from it.

Feedback comes from citizens (the IVR's "was this helpful", a reply to an SMS answer) and agents
(helpful / not helpful, or "I used this article" for a call). The queue groups open feedback by
article and question:

- `add_question`: callers asked this (in words the article does not already list) and the answer
  helped, or an agent used the article for it: suggest the question as an alternative question.
- `review_answer`: the answer was marked not helpful for this question: the editor should look at it.

Accepting a suggestion puts the question into a draft revision of the article (the open draft if
there is one), which then goes through review like any change: nothing is published automatically.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from core.masking import scrub
from knowledge.analysis import normalize
from knowledge.articles import Actor, require
from knowledge.errors import InvalidState, KnowledgeError, NotFound
from knowledge.models import KbArticle, KbFeedback, KbRevision

if TYPE_CHECKING:
    from knowledge.articles import ArticleStore
    from knowledge.views import RevisionView
    from knowledge.workflow import Workflow

SOURCES = ("citizen", "agent")
CHANNELS = ("ivr", "sms", "console", "web", "api", "cli")


@dataclass(frozen=True)
class Suggestion:
    """One entry of the review queue: an article, a question, what to do, and the feedback behind it."""

    kind: str  # add_question, review_answer
    article_id: str
    title: str
    question: str
    helpful: int
    not_helpful: int
    used: int
    feedback_ids: list[int] = field(default_factory=list)
    last_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "article_id": self.article_id, "title": self.title, "question": self.question,
                "helpful": self.helpful, "not_helpful": self.not_helpful, "used": self.used,
                "feedback_ids": self.feedback_ids, "id": self.feedback_ids[0] if self.feedback_ids else None,
                "last_at": self.last_at.isoformat() if self.last_at else None}


def _key(question: str) -> str:
    return "".join(ch for ch in normalize(question) if ch.isalnum())


class Feedback:
    def __init__(self, store: ArticleStore, workflow: Workflow) -> None:
        self.store = store
        self.workflow = workflow

    def feedback(self, article_id: str, *, helpful: bool | None = None, used: bool = False, query: str = "",
                 source: str = "citizen", channel: str = "ivr", call_id: str | None = None,
                 user_id: int | None = None) -> int:
        """Store one piece of feedback: whether an answer helped (or that an agent used the article);
        returns its id."""
        if source not in SOURCES:
            raise KnowledgeError(f"source: one of {', '.join(SOURCES)}")
        if channel not in CHANNELS:
            raise KnowledgeError(f"channel: one of {', '.join(CHANNELS)}")
        if helpful is None and not used:
            raise KnowledgeError("say whether the answer helped, or that the article was used")
        with self.store.db.session() as s:
            art = s.get(KbArticle, article_id)
            if art is None:
                raise NotFound(f"no article {article_id}")
            row = KbFeedback(at=self.store.now(), article_id=article_id, revision_id=art.published_revision_id,
                             query=scrub((query or "").strip())[:200], helpful=helpful, used=used, source=source,
                             channel=channel, call_id=(call_id or None), user_id=user_id, status="new")
            s.add(row)
            s.flush()
            return int(row.id)

    def suggestions(self, *, limit: int = 50, province: str | None = None) -> list[Suggestion]:
        """The editors' review queue: open suggestions, most supported first."""
        with self.store.db.session() as s:
            rows = s.execute(select(KbFeedback).where(KbFeedback.status == "new").order_by(KbFeedback.id)
                             ).scalars().all()
            revs: dict[str, KbRevision | None] = {}
            for r in rows:
                if r.article_id not in revs:
                    art = s.get(KbArticle, r.article_id)
                    revs[r.article_id] = self.store.latest(s, r.article_id) if art is not None else None
            groups: dict[tuple[str, str], list[KbFeedback]] = defaultdict(list)
            for r in rows:
                if r.query.strip():
                    groups[(r.article_id, _key(r.query))].append(r)
            out: list[Suggestion] = []
            for (article_id, _), items in groups.items():
                rev = revs.get(article_id)
                if rev is None or (province and rev.province not in ("00", province)):
                    continue
                known = {_key(q) for q in [rev.title, *rev.questions]}
                helpful = sum(1 for r in items if r.helpful is True)
                unhelpful = sum(1 for r in items if r.helpful is False)
                used = sum(1 for r in items if r.used)
                question = items[-1].query
                if unhelpful > helpful + used:
                    kind = "review_answer"
                elif _key(question) not in known and (helpful or used):
                    kind = "add_question"
                else:
                    continue  # already listed, or no signal either way
                out.append(Suggestion(kind, article_id, rev.title, question, helpful, unhelpful, used,
                                      [r.id for r in items], max(r.at for r in items)))
        out.sort(key=lambda g: (-(g.helpful + g.used + g.not_helpful), g.article_id))
        return out[:limit]

    def _group_of(self, feedback_id: int) -> Suggestion:
        for g in self.suggestions(limit=10_000):
            if feedback_id in g.feedback_ids:
                return g
        raise NotFound(f"no open suggestion with feedback {feedback_id}")

    def _close(self, ids: list[int], status: str, user_id: int) -> None:
        with self.store.db.session() as s:
            for row in s.execute(select(KbFeedback).where(KbFeedback.id.in_(ids))).scalars():
                row.status, row.reviewed_by, row.reviewed_at = status, user_id, self.store.now()

    def accept_suggestion(self, user: Actor | None, feedback_id: int, question: str | None = None) -> RevisionView:
        """Put the suggested question (as given, or as edited by the editor) into a draft of the article."""
        uid = require(user, "editor", "accept a suggested question")
        group = self._group_of(feedback_id)
        if group.kind != "add_question":
            raise InvalidState("this entry asks for a review of the answer, not a new question")
        text = (question or group.question).strip()
        if not text:
            raise KnowledgeError("question: empty")
        with self.store.db.session() as s:
            draft = s.execute(select(KbRevision).where(KbRevision.article_id == group.article_id,
                                                       KbRevision.status.in_(("draft", "in_review")))
                              ).scalars().first()
            latest = self.store.latest(s, group.article_id)
            draft_id, draft_status = (draft.id, draft.status) if draft else (None, None)
            source = draft or latest
            questions = list(source.questions) if source else []
        if _key(text) not in {_key(q) for q in questions}:
            questions.append(text)
        reason = f"来自使用反馈的备选问法 / alternative question from feedback ({len(group.feedback_ids)})"
        if draft_id is not None and draft_status == "in_review":
            raise InvalidState(f"{group.article_id} has a revision in review; accept after it is decided")
        if draft_id is not None:
            view = self.workflow.update_draft(user, draft_id, reason=reason, questions=questions)
        else:
            view = self.workflow.create_draft(user, article_id=group.article_id, reason=reason, questions=questions)
        self._close(group.feedback_ids, "accepted", uid)
        return view

    def dismiss_suggestion(self, user: Actor | None, feedback_id: int) -> None:
        uid = require(user, "editor", "dismiss a suggestion")
        group = self._group_of(feedback_id)
        self._close(group.feedback_ids, "dismissed", uid)
