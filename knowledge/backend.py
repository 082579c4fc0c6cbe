"""The search backend interface: a derived index of the currently published revisions.

Documents arrive pre-segmented (space-separated tokens per field, from `knowledge.analysis`), so any
backend ranks the same tokens. The embedded backend is tantivy (`knowledge.tantivy_backend`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

FIELDS = ("title", "questions", "keywords", "body")
_HAN = re.compile(r"[\u4e00-\u9fff]+")


def han_bigrams(text: str) -> list[str]:
    """Overlapping pairs of Han characters (robust to segmentation and to one wrong character)."""
    return [run[i:i + 2] for run in _HAN.findall(text) for i in range(len(run) - 1)]


@dataclass(frozen=True)
class IndexDoc:
    article_id: str
    revision_id: int
    title: str
    short_answer: str
    province: str
    category: str
    effective_from: date | None
    effective_to: date | None
    body_text: str  # plain text, for snippets
    tokens: dict[str, str] = field(default_factory=dict)  # field name -> space-separated tokens
    strong_text: str = ""  # title, questions and keywords as plain text (character bigrams for ranking)
    strong: frozenset[str] = field(init=False, repr=False, compare=False)
    field_terms: dict[str, frozenset[str]] = field(init=False, repr=False, compare=False)
    bigrams: frozenset[str] = field(init=False, repr=False, compare=False)
    title_bigrams: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Terms of the fields that say what the article is about (not the body), computed once.
        strong = frozenset(" ".join(self.tokens.get(f, "") for f in ("title", "questions", "keywords")).split())
        object.__setattr__(self, "strong", strong)
        object.__setattr__(self, "field_terms", {f: frozenset(self.tokens.get(f, "").split()) for f in FIELDS})
        object.__setattr__(self, "bigrams", frozenset(han_bigrams(self.strong_text or self.title)))
        object.__setattr__(self, "title_bigrams", frozenset(han_bigrams(self.title.lower())))

    def strong_terms(self) -> frozenset[str]:
        return self.strong


@dataclass(frozen=True)
class Candidate:
    doc: IndexDoc
    score: float


class SearchBackend(Protocol):
    def rebuild(self, docs: Iterable[IndexDoc]) -> int:
        """Replace the whole index; returns the number of documents."""
        ...

    def upsert(self, doc: IndexDoc) -> None: ...

    def remove(self, article_id: str) -> None: ...

    def get(self, article_id: str) -> IndexDoc | None: ...

    def docs(self) -> list[IndexDoc]: ...

    def query(self, terms: Sequence[tuple[str, float]], *, field_weights: dict[str, float],
              provinces: Sequence[str] | None, day: date, limit: int) -> list[Candidate]:
        """Best matches among documents effective on `day` and (unless None) in `provinces`."""
        ...

    def doc_freq(self, term: str) -> int: ...

    def __len__(self) -> int: ...
