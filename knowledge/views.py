"""Read-only views the service hands to other homes and to the console (no ORM objects leak out)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from knowledge.content import html_to_text
from knowledge.models import KbChange, KbFlag, KbNotice, KbRevision


def _jsonable(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


class _View:
    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))  # type: ignore[call-overload,no-any-return]


@dataclass(frozen=True)
class RevisionView(_View):
    id: int
    article_id: str
    number: int
    status: str
    title: str
    questions: list[str]
    body_html: str
    short_answer: str
    category: str
    keywords: list[str]
    synonyms: list[str]
    province: str
    city: str | None
    effective_from: date | None
    effective_to: date | None
    links: list[dict[str, str]]
    author_id: int | None
    change_reason: str
    created_at: datetime
    updated_at: datetime
    reviewer_id: int | None
    review_comment: str
    published_at: datetime | None

    @property
    def body_text(self) -> str:
        return html_to_text(self.body_html)

    @classmethod
    def of(cls, rev: KbRevision) -> RevisionView:
        return cls(**{f: getattr(rev, f) for f in cls.__dataclass_fields__})


@dataclass(frozen=True)
class ArticleView(_View):
    """An article as agents, the IVR and SMS see it: its current published revision and notices."""

    article_id: str
    revision_id: int
    revision_number: int
    title: str
    short_answer: str
    body_html: str
    category: str
    province: str
    city: str | None
    keywords: list[str]
    questions: list[str]
    effective_from: date | None
    effective_to: date | None
    links: list[dict[str, str]]
    published_at: datetime | None
    notices: list[NoticeView] = field(default_factory=list)

    @classmethod
    def of(cls, rev: KbRevision, notices: list[NoticeView]) -> ArticleView:
        return cls(article_id=rev.article_id, revision_id=rev.id, revision_number=rev.number, title=rev.title,
                   short_answer=rev.short_answer, body_html=rev.body_html, category=rev.category,
                   province=rev.province, city=rev.city, keywords=list(rev.keywords), questions=list(rev.questions),
                   effective_from=rev.effective_from, effective_to=rev.effective_to, links=list(rev.links),
                   published_at=rev.published_at, notices=notices)


@dataclass(frozen=True)
class NoticeView(_View):
    id: int
    title: str
    body_html: str
    province: str
    article_id: str | None
    starts_at: datetime
    ends_at: datetime
    created_by: int | None
    created_at: datetime
    withdrawn: bool
    status: str = "published"
    reviewed_by: int | None = None

    @classmethod
    def of(cls, n: KbNotice) -> NoticeView:
        return cls(**{f: getattr(n, f) for f in cls.__dataclass_fields__})


@dataclass(frozen=True)
class FlagView(_View):
    id: int
    article_id: str
    revision_id: int | None
    user_id: int
    reason: str
    note: str
    created_at: datetime
    resolved_by: int | None
    resolved_at: datetime | None
    resolution: str

    @classmethod
    def of(cls, f: KbFlag) -> FlagView:
        return cls(**{k: getattr(f, k) for k in cls.__dataclass_fields__})


@dataclass(frozen=True)
class ChangeView(_View):
    id: int
    article_id: str
    revision_id: int | None
    action: str
    user_id: int | None
    at: datetime
    reason: str

    @classmethod
    def of(cls, c: KbChange) -> ChangeView:
        return cls(**{k: getattr(c, k) for k in cls.__dataclass_fields__})


@dataclass(frozen=True)
class ArticleSummary(_View):
    """One row of the editors' list: the newest revision and what is published."""

    article_id: str
    title: str
    category: str
    province: str
    latest_revision_id: int
    latest_number: int
    latest_status: str
    published_revision_id: int | None
    effective_to: date | None
    archived: bool
    open_flags: int
    updated_at: datetime


@dataclass(frozen=True)
class FieldDiff(_View):
    field: str
    old: Any
    new: Any
    unified: list[str]  # unified diff lines for text fields


@dataclass(frozen=True)
class QueryStat(_View):
    query: str
    count: int
    no_answer: int
    last_at: datetime
