"""Ranking, the "no answer" decision and snippets, over any `SearchBackend`.

Score = BM25 of the weighted query terms over the weighted fields (backend), times (1 + the share of
the query's IDF weight found in the article's title/questions/keywords), times a province factor (the
caller's own province variant above the national article). Confidence = the IDF weight of query terms
found in the best article's title/questions/keywords, in units of the largest possible IDF, squashed
to 0..1 (and cut to a third for another department's topic the article never mentions); below
`no_answer_threshold` the search says it has no answer. The figures were calibrated on
../shared/kb-eval/dev.jsonl; see docs/knowledge.md.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from knowledge.analysis import Analyzer, HomophoneTable, QueryTerm, normalize
from knowledge.backend import Candidate, IndexDoc, SearchBackend
from knowledge.places import named_province

NATIONAL = "00"


@dataclass(frozen=True)
class Hit:
    article_id: str
    revision_id: int
    title: str
    short_answer: str
    score: float
    snippet: str
    province: str
    category: str = ""

    def to_dict(self) -> dict[str, object]:
        return {"id": self.article_id, "revision_id": self.revision_id, "title": self.title,
                "short_answer": self.short_answer, "score": round(self.score, 4), "snippet": self.snippet,
                "province": self.province, "category": self.category}


@dataclass(frozen=True)
class SearchResult:
    query: str
    no_answer: bool
    hits: list[Hit] = field(default_factory=list)
    confidence: float = 0.0
    province: str | None = None  # the province the ranking used (the caller's, or one the query names)

    @property
    def best(self) -> Hit | None:
        return self.hits[0] if self.hits else None

    def to_dict(self) -> dict[str, object]:
        return {"query": self.query, "no_answer": self.no_answer, "confidence": round(self.confidence, 4),
                "province": self.province, "hits": [h.to_dict() for h in self.hits]}


@dataclass
class SearchConfig:
    field_weights: dict[str, float] = field(default_factory=lambda: {
        "title": 3.0, "questions": 2.5, "keywords": 2.0, "body": 1.0})
    province_boost: float = 1.6
    coverage_boost: float = 1.0  # score × (1 + coverage_boost × share of the query's weight in strong fields)
    no_answer_threshold: float = 0.45
    candidates: int = 20


_SENTENCE = re.compile(r"[^。！？；\n]+[。！？；]?")


class Searcher:
    """Turns a query into ranked hits; owns the homophone table derived from the indexed terms."""

    def __init__(self, backend: SearchBackend, analyzer: Analyzer, config: SearchConfig | None = None) -> None:
        self.backend = backend
        self.analyzer = analyzer
        self.config = config or SearchConfig()
        self.homophones = HomophoneTable()
        self.homophones.add(analyzer.domain_terms)

    # --- indexing -------------------------------------------------------------------------------
    def make_doc(self, *, article_id: str, revision_id: int, title: str, questions: Iterable[str],
                 keywords: Iterable[str], body_text: str, short_answer: str, province: str, category: str,
                 effective_from: date | None, effective_to: date | None) -> IndexDoc:
        keywords = list(keywords)
        self.analyzer.add_words(keywords)
        tokens = {
            "title": self.analyzer.index_text(title),
            "questions": self.analyzer.index_text(" ".join(questions)),
            "keywords": self.analyzer.index_text(" ".join([*keywords, category])),
            "body": self.analyzer.index_text(body_text),
        }
        return IndexDoc(article_id=article_id, revision_id=revision_id, title=title, short_answer=short_answer,
                        province=province or NATIONAL, category=category, effective_from=effective_from,
                        effective_to=effective_to, body_text=body_text, tokens=tokens)

    def learn(self, docs: Iterable[IndexDoc]) -> None:
        """Add the strong-field terms of documents to the homophone table."""
        terms: set[str] = set()
        for doc in docs:
            terms.update(t for t in doc.strong_terms() if len(t) >= 2)
        self.homophones.add(terms)

    def rebuild(self, docs: list[IndexDoc]) -> int:
        count = self.backend.rebuild(docs)
        self.learn(docs)
        return count

    def upsert(self, doc: IndexDoc) -> None:
        self.backend.upsert(doc)
        self.learn([doc])

    # --- searching ------------------------------------------------------------------------------
    def _idf(self, term: str, n: int) -> float:
        df = self.backend.doc_freq(term)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def search(self, query: str, *, province: str | None, day: date, limit: int = 5,
               include_other_provinces: bool = False) -> SearchResult:
        cfg = self.config
        query = (query or "").strip()
        if province in (None, "", NATIONAL):
            province = named_province(normalize(query))
        terms = self.analyzer.expand(query, self.homophones)
        if not query or not terms or len(self.backend) == 0:
            return SearchResult(query=query, no_answer=True, province=province)
        provinces = None if include_other_provinces else ([NATIONAL, province] if province else [NATIONAL])
        n = len(self.backend)
        idf = {t.text: self._idf(t.text, n) * t.weight for t in terms}
        total = sum(idf.values()) or 1.0  # words the index lacks count here: they are part of the question
        known = [t for t in terms if self.backend.doc_freq(t.text) > 0]  # the others match nothing
        weighted = [(t.text, t.weight) for t in known]
        known_idf = [(t.text, idf[t.text]) for t in known]
        candidates = self.backend.query(weighted, field_weights=cfg.field_weights, provinces=provinces,
                                        day=day, limit=max(cfg.candidates, limit))
        if not candidates:
            return SearchResult(query=query, no_answer=True, province=province)

        def final(c: Candidate) -> float:
            strong = c.doc.strong
            cov = sum(v for t, v in known_idf if t in strong) / total
            boost = cfg.province_boost if province and c.doc.province == province else 1.0
            return c.score * (1.0 + cfg.coverage_boost * cov) * boost

        ranked = sorted(((final(c), c) for c in candidates), key=lambda sc: -sc[0])
        confidence = self.confidence(query, terms, ranked[0][1], idf)
        if confidence < cfg.no_answer_threshold:
            return SearchResult(query=query, no_answer=True, confidence=confidence, province=province)
        marks = marker([t.text for t in known])
        hits = [Hit(article_id=c.doc.article_id, revision_id=c.doc.revision_id, title=c.doc.title,
                    short_answer=c.doc.short_answer, score=score, snippet=snippet(c.doc.body_text, marks),
                    province=c.doc.province, category=c.doc.category)
                for score, c in ranked[:limit]]
        return SearchResult(query=query, no_answer=False, hits=hits, confidence=confidence, province=province)

    def confidence(self, query: str, terms: list[QueryTerm], best: Candidate,
                   weighted_idf: dict[str, float] | None = None) -> float:
        """How sure we are that the best article answers the query, 0..1.

        Evidence = the IDF weight of query terms (two characters or more) found in the article's title,
        questions or keywords, in units of the rarest possible term's IDF, squashed to 0..1. A query
        about another department's topic (lexicon/outside.txt) that the article never mentions keeps a
        third of it."""
        n = max(len(self.backend), 1)
        strong = best.doc.strong
        if weighted_idf is None:
            weighted_idf = {t.text: self._idf(t.text, n) * t.weight for t in terms}
        evidence = sum(v for t, v in weighted_idf.items() if len(t) >= 2 and t in strong)
        unit = math.log(1 + (n - 0.5) / 1.5)
        conf = 1.0 - math.exp(-evidence / unit)
        outside = self.analyzer.outside(query)
        if outside and not any(w in best.doc.body_text or w in best.doc.title for w in outside):
            conf *= 1 / 3
        return conf


@dataclass(frozen=True)
class Marker:
    """The query terms to highlight, longest first, and one regex for them (built once per query)."""

    terms: tuple[str, ...]
    pattern: re.Pattern[str] | None  # over escaped text, to insert <mark>
    raw: re.Pattern[str] | None  # over plain text, to pick the sentence


def marker(terms: Iterable[str]) -> Marker:
    ordered = tuple(sorted({t for t in terms if len(t) >= 2}, key=len, reverse=True))
    if not ordered:
        return Marker(ordered, None, None)
    return Marker(ordered, re.compile("|".join(re.escape(html.escape(t)) for t in ordered)),
                  re.compile("|".join(re.escape(t) for t in ordered)))


def snippet(text: str, marks: Marker | list[str], width: int = 90) -> str:
    """The sentence(s) of `text` with the most query terms, terms wrapped in <mark>; safe HTML."""
    if not isinstance(marks, Marker):
        marks = marker(marks)
    sentences = _SENTENCE.findall(text or "")
    if not sentences:
        return ""
    raw = marks.raw
    best_i = 0 if raw is None else max(range(len(sentences)),
                                       key=lambda i: (len(set(raw.findall(sentences[i]))), -i))
    out = sentences[best_i]
    j = best_i + 1
    while len(out) < width // 2 and j < len(sentences):
        out += sentences[j]
        j += 1
    if len(out) > width:
        out = out[:width] + "…"
    # Safe by construction: everything is escaped, then only <mark> tags are inserted (around escaped
    # terms). nh3 is not needed here and would cost more than the rest of the snippet.
    escaped = html.escape(out)
    if marks.pattern is not None:
        escaped = marks.pattern.sub(lambda m: f"<mark>{m.group(0)}</mark>", escaped)
    return escaped
