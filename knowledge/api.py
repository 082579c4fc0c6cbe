"""The contract of `platform.knowledge`: what other homes and the front ends may call."""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Protocol

from core.kernel import Kernel

if TYPE_CHECKING:
    from datetime import datetime
    from typing import Any

    from knowledge.articles import Actor
    from knowledge.index import KnowledgeIndex
    from knowledge.querylog import QueryLog
    from knowledge.search import SearchResult
    from knowledge.views import (
        ArticleSummary,
        ArticleView,
        ChangeView,
        FieldDiff,
        FlagView,
        NoticeView,
        QueryStat,
        RevisionView,
    )


class KnowledgeApi(Protocol):
    """`platform.knowledge`."""

    @property
    def index(self) -> KnowledgeIndex:
        """The search index (rebuilt and refreshed by the node's timer)."""

    @property
    def queries(self) -> QueryLog:
        """The query log (flushed by the node's timer)."""

    def accept_suggestion(self, user: Actor | None, feedback_id: int, question: str | None = ...) -> RevisionView:
        """Editor: the suggested question goes into a draft of the article (reviewed before publishing)."""

    def answer(
        self,
        *,
        query: str = ...,
        article_id: str | None = ...,
        province: str | None = ...,
        topic: str | None = ...,
        channel: str = ...,
    ) -> Any:
        """What the IVR reads for a spoken question or a menu item: `knowledge.answering.Answer` or None."""

    def approve(self, user: Actor | None, revision_id: int, comment: str = ...) -> RevisionView:
        """Publish a revision in review, or schedule it when its effective date is still ahead."""

    def approve_notice(self, user: Actor | None, notice_id: int) -> NoticeView:
        """A reviewer other than the author publishes a pending notice."""

    def archive(self, user: Actor | None, article_id: str, reason: str = ...) -> None:
        """Withdraw an article: no longer offered by search or shown to agents."""

    def article(self, article_id: str) -> ArticleView | None:
        """The current published revision, with its active notices (contract for IVR, console, SMS)."""

    def close(self) -> None: ...

    def create_draft(
        self, user: Actor | None, *, article_id: str | None = ..., reason: str = ..., **content: Any
    ) -> RevisionView:
        """A new draft: of a new article, or the next revision of an existing one (fields not given are copied from its
        newest revision).
        """

    def create_notice(
        self,
        user: Actor | None,
        *,
        title: str,
        body: str,
        ends_at: datetime,
        starts_at: datetime | None = ...,
        province: str = ...,
        article_id: str | None = ...,
        status: str = ...,
    ) -> NoticeView:
        """Post a notice. `status="pending"` waits for a reviewer (`approve_notice`); the console always posts pending
        notices, or published urgent ones by a reviewer.
        """

    def diff(self, rev_a: int, rev_b: int) -> builtins.list[FieldDiff]:
        """The fields that differ between two revisions (ids), with a unified diff for text."""

    def dismiss_suggestion(self, user: Actor | None, feedback_id: int) -> None: ...

    def feedback(
        self,
        article_id: str,
        *,
        helpful: bool | None = ...,
        used: bool = ...,
        query: str = ...,
        source: str = ...,
        channel: str = ...,
        call_id: str | None = ...,
        user_id: int | None = ...,
    ) -> int:
        """Record whether an answer helped (or that an agent used the article); returns the id."""

    def flag(self, article_id: str, user_id: int, reason: str, note: str = ...) -> None:
        """An agent marks an answer wrong/outdated/unclear/other (contract)."""

    def flags(self, *, open_only: bool = ..., article_id: str | None = ...) -> builtins.list[FlagView]: ...

    def get(self, article_id: str) -> dict[str, Any]:
        """Everything an editor's page shows: published and newest revision, history, flags, notices."""

    def history(self, article_id: str) -> builtins.list[ChangeView]: ...

    def import_article(
        self,
        article_id: str,
        content: dict[str, Any],
        *,
        publish: bool,
        user_id: int | None = ...,
        reason: str = ...,
        announce: bool = ...,
    ) -> str: ...

    def list(
        self,
        *,
        category: str | None = ...,
        province: str | None = ...,
        status: str | None = ...,
        expiring_soon: bool = ...,
        flagged: bool = ...,
        text: str | None = ...,
        limit: int = ...,
        offset: int = ...,
    ) -> builtins.list[ArticleSummary]:
        """Articles for the editors' list, newest change first. `status` filters the newest revision's status
        ("archived" lists archived articles); `expiring_soon` = published and ending within 30 days.
        """

    def list_notices(self, *, include_inactive: bool = ...) -> builtins.list[NoticeView]: ...

    def notices(self, province: str | None = ...) -> builtins.list[NoticeView]:
        """Active notices for a province (national ones included), newest first (contract)."""

    def publish_due(self) -> builtins.list[int]:
        """Publish scheduled revisions whose effective date has come (the runtime timer calls this)."""

    def reindex(self) -> int: ...

    def reject(self, user: Actor | None, revision_id: int, comment: str) -> RevisionView:
        """Send a revision in review back to draft with the reviewer's comment (required)."""

    def resolve_flag(self, user: Actor | None, flag_id: int, resolution: str) -> FlagView: ...

    def revision(self, revision_id: int) -> RevisionView: ...

    def revisions(self, article_id: str) -> builtins.list[RevisionView]: ...

    def rollback(self, user: Actor | None, article_id: str, to_revision: int, reason: str = ...) -> RevisionView:
        """Publish the content of an earlier revision (its number) as a new revision."""

    def search(
        self,
        query: str,
        *,
        province: str | None = ...,
        limit: int = ...,
        channel: str = ...,
        include_other_provinces: bool = ...,
        log_query: bool = ...,
        topic: str | None = ...,
    ) -> SearchResult:
        """Ranked answers, or `no_answer` (contract: docs/contracts.md). `topic` is the IVR's recognised intent
        (pension, medical, …) or a category: a prior that favours articles of that topic.
        """

    def submit(self, user: Actor | None, revision_id: int, reason: str = ...) -> RevisionView: ...

    def suggestions(self, *, limit: int = ..., province: str | None = ...) -> builtins.list[Any]:
        """The editors' review queue built from feedback (`knowledge.feedback.Suggestion`)."""

    def top_queries(self, days: int = ..., limit: int = ...) -> builtins.list[QueryStat]: ...

    def unanswered_queries(self, days: int = ..., limit: int = ...) -> builtins.list[QueryStat]: ...

    def update_draft(
        self, user: Actor | None, revision_id: int, *, reason: str = ..., **content: Any
    ) -> RevisionView: ...

    def update_notice(self, user: Actor | None, notice_id: int, **changes: Any) -> NoticeView: ...

    def withdraw_notice(self, user: Actor | None, notice_id: int) -> None: ...


class KnowledgeHost(Kernel, Protocol):
    """What `knowledge` takes from the node: the kernel."""

    @property
    def knowledge(self) -> KnowledgeApi: ...
