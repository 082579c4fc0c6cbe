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

import functools
import html
import json
import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from knowledge.analysis import Analyzer, HomophoneTable, QueryTerm, normalize
from knowledge.backend import FIELDS, Candidate, IndexDoc, SearchBackend, han_bigrams
from knowledge.config import SemanticMode
from knowledge.places import named_province
from knowledge.query import clauses, understand
from knowledge.semantic import BODY_CHARS, Embedder, cosine

NATIONAL = "00"


@dataclass(frozen=True)
class Hit:
    article_id: str
    revision_id: int
    title: str
    short_answer: str
    score: float
    province: str
    category: str = ""
    body: str = field(default="", repr=False, compare=False)
    terms: tuple[str, ...] = field(default=(), repr=False, compare=False)  # the query's, to mark

    @functools.cached_property
    def snippet(self) -> str:
        """The body's best sentence with the query's terms marked (safe HTML), built when first read:
        the IVR and SMS answer with the short answer and never pay for it."""
        return make_snippet(self.body, _marker_of(self.terms))

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


TOPIC_CATEGORIES: dict[str, tuple[str, ...]] = {
    # The IVR's intents (ivr/nlu/intents.yml) and the article categories each covers.
    "pension": ("养老保险",),
    "medical": ("医疗保险", "生育保险"),
    "employment": ("失业保险", "就业服务", "就业和失业保险"),
    "injury_maternity": ("工伤保险", "生育保险"),
    "labour": ("劳动关系", "工资与休假", "劳动关系和工资"),
    "card": ("社会保障卡",),
    "talent": ("人事人才",),
    "policy": ("政策文件",),
}

FEATURES = ("bm25", "title", "questions", "keywords", "body", "bigram", "title_cover", "own_province", "topic",
            "need_bigram", "body_bigram", "sem_strong", "sem_body")
CONFIDENCE_FEATURES = ("strong", "body", "cover", "bigram", "title_cover", "outside", "semantic")
LEXICON = Path(__file__).resolve().parent / "lexicon"


def ranking_file(semantic: SemanticMode = "off") -> Path:
    """The shipped ranking: lexical, or with the semantic features (HOTLINE_KB_SEMANTIC=use)."""
    return LEXICON / ("ranking-semantic.json" if semantic == "use" else "ranking.json")


@dataclass
class RankModel:
    """The learned part of the search: a linear re-ranker over `FEATURES`, a logistic "is this
    answerable" model over `CONFIDENCE_FEATURES`, the threshold below which the search says it has no
    answer, and how much scene-setting clauses of a spoken question count. Learned by
    `knowledge.tuning` (`hotline kb eval --tune`) and shipped in lexicon/ranking.json."""

    weights: dict[str, float] = field(default_factory=lambda: {
        "bm25": 1.0, "title": 0.4, "questions": 0.3, "keywords": 0.3, "body": 0.1, "bigram": 0.3,
        "title_cover": 0.3, "own_province": 0.5, "topic": 0.2})
    confidence: dict[str, float] = field(default_factory=lambda: {
        "bias": -3.0, "strong": 3.0, "body": 0.5, "cover": 2.0, "bigram": 1.0, "outside": -3.0})
    threshold: float = 0.5
    context_weight: float = 0.5
    trained_on: str = ""

    @classmethod
    def load(cls, path: Path | None = None) -> RankModel:
        path = path or ranking_file()
        if not path.exists():
            return cls()
        raw = json.loads(path.read_text(encoding="utf-8"))
        model = cls()
        model.weights.update({k: float(v) for k, v in raw.get("weights", {}).items() if k in FEATURES})
        model.confidence.update({k: float(v) for k, v in raw.get("confidence", {}).items()})
        model.threshold = float(raw.get("threshold", model.threshold))
        model.context_weight = float(raw.get("context_weight", model.context_weight))
        model.trained_on = str(raw.get("trained_on", ""))
        return model

    def to_dict(self) -> dict[str, object]:
        return {"weights": {k: round(v, 4) for k, v in self.weights.items()},
                "confidence": {k: round(v, 4) for k, v in self.confidence.items()},
                "threshold": round(self.threshold, 4), "context_weight": self.context_weight,
                "trained_on": self.trained_on}

    def score(self, feats: dict[str, float]) -> float:
        w = self.weights
        return sum(w[k] * v for k, v in feats.items() if k in w)

    def answerable(self, feats: dict[str, float]) -> float:
        c = self.confidence
        z = c.get("bias", 0.0) + sum(c.get(k, 0.0) * v for k, v in feats.items())
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


@dataclass
class SearchConfig:
    field_weights: dict[str, float] = field(default_factory=lambda: {
        "title": 3.0, "questions": 2.5, "keywords": 2.0, "body": 1.0})
    candidates: int = 10  # articles BM25 hands to the feature ranking (see docs/knowledge.md: recall, latency)
    model: RankModel = field(default_factory=RankModel.load)
    semantic: SemanticMode = "off"

    @classmethod
    def for_mode(cls, semantic: SemanticMode) -> SearchConfig:
        """The shipped ranking of that mode (KnowledgeSettings.semantic)."""
        return cls(model=RankModel.load(ranking_file(semantic)), semantic=semantic)


@dataclass
class Scored:
    """One candidate with its features (kept for tuning)."""

    candidate: Candidate
    features: dict[str, float]
    score: float = 0.0


@dataclass
class Analysis:
    """Everything the ranking needs from one query, computed once (tuning re-ranks these offline)."""

    query: str
    province: str | None
    terms: list[QueryTerm]
    scored: list[Scored]
    idf: dict[str, float]  # query term -> IDF × term weight
    qbig: dict[str, float] = field(default_factory=dict)  # query character bigram -> weighted IDF
    need: dict[str, float] = field(default_factory=dict)  # bigram -> IDF, of the clause that states the need
    qvec: Any = None  # the query's semantic vector (knowledge.semantic), or None


_SENTENCE = re.compile(r"[^。！？；\n]+[。！？；]?")


class Searcher:
    """Turns a query into ranked hits; owns the homophone table derived from the indexed terms."""

    def __init__(self, backend: SearchBackend, analyzer: Analyzer, config: SearchConfig | None = None) -> None:
        self.backend = backend
        self.analyzer = analyzer
        self.config = config or SearchConfig()
        self.homophones = HomophoneTable()
        self.homophones.add(analyzer.domain_terms)
        self._bigram_df: Counter[str] = Counter()
        self._bigram_docs: dict[str, frozenset[str]] = {}
        self._title_cache: dict[str, tuple[IndexDoc, dict[str, float], float]] = {}
        self._body_cache: dict[str, tuple[IndexDoc, frozenset[str]]] = {}
        self.embedder = Embedder.shared(self.config.semantic)
        self._sem_cache: dict[str, tuple[IndexDoc, Any, Any]] = {}
        self._bigram_idf: dict[str, float | None] = {}  # bigram -> IDF, None for a stop bigram
        self._term_idf: dict[str, float] = {}
        self._term_idf_n = -1  # the index size `_term_idf` was computed for

    # --- indexing -------------------------------------------------------------------------------
    def make_doc(self, *, article_id: str, revision_id: int, title: str, questions: Iterable[str],
                 keywords: Iterable[str], body_text: str, short_answer: str, province: str, category: str,
                 effective_from: date | None, effective_to: date | None) -> IndexDoc:
        keywords = list(keywords)
        questions = list(questions)
        self.analyzer.add_words(keywords)
        tokens = {
            "title": self.analyzer.index_text(title),
            "questions": self.analyzer.index_text(" ".join(questions)),
            "keywords": self.analyzer.index_text(" ".join([*keywords, category])),
            "body": self.analyzer.index_text(body_text),
        }
        strong_text = normalize(" ".join([title, *questions, *keywords]))
        return IndexDoc(article_id=article_id, revision_id=revision_id, title=title, short_answer=short_answer,
                        province=province or NATIONAL, category=category, effective_from=effective_from,
                        effective_to=effective_to, body_text=body_text, tokens=tokens, strong_text=strong_text)

    def learn(self, docs: Iterable[IndexDoc]) -> None:
        """Add the strong-field terms of documents to the homophone table, and their character
        bigrams to the bigram document frequencies."""
        docs = list(docs)
        terms: set[str] = set()
        warm = self._uses_semantic() and len(docs) <= self.SEMANTIC_WARM
        for doc in docs:
            terms.update(t for t in doc.strong_terms() if len(t) >= 2)
            old = self._bigram_docs.get(doc.article_id)
            if old is not None:
                self._bigram_df.subtract(old)
            self._bigram_docs[doc.article_id] = doc.bigrams
            self._bigram_df.update(doc.bigrams)
            if warm:
                self._doc_vectors(doc)
        self.homophones.add(terms)
        # new dicts, not cleared ones: a search that began before this keeps writing into the old one
        self._bigram_idf = {}
        self._term_idf = {}

    SEMANTIC_WARM = 1_000  # up to this many articles, their semantic vectors are built with the index

    def _uses_semantic(self) -> bool:
        model = self.config.model
        return self.embedder.available and bool(model.weights.get("sem_strong") or model.weights.get("sem_body")
                                                or model.confidence.get("semantic"))

    def rebuild(self, docs: list[IndexDoc]) -> int:
        self._bigram_df = Counter()
        self._bigram_docs = {}
        self._title_cache = {}
        self._body_cache = {}
        self._sem_cache = {}
        count = self.backend.rebuild(docs)
        self.learn(docs)
        return count

    def upsert(self, doc: IndexDoc) -> None:
        self.backend.upsert(doc)
        self.learn([doc])

    # --- searching ------------------------------------------------------------------------------
    def _idfs(self, n: int) -> dict[str, float]:
        """The cache of query terms' IDF over the `n` indexed articles: kept until the index changes
        (`learn` after an upsert or rebuild replaces it; a removal changes `n`)."""
        if n != self._term_idf_n:
            self._term_idf, self._term_idf_n = {}, n
        return self._term_idf

    def _idf(self, term: str, n: int, cache: dict[str, float]) -> float:
        idf = cache.get(term)
        if idf is None:
            df = self.backend.doc_freq(term)
            idf = cache[term] = math.log(1 + (n - df + 0.5) / (df + 0.5))
        return idf

    def _bigram_weight(self, bigram: str, n: int, cache: dict[str, float | None]) -> float | None:
        """A character bigram's IDF over the articles' strong fields, None for a bigram of stop
        characters; `cache` (`_bigram_idf`) keeps it until `learn` changes the frequencies."""
        if bigram in cache:
            return cache[bigram]
        stop = self.analyzer.stopwords
        if bigram in stop or (bigram[0] in stop and bigram[1] in stop):
            idf = None
        else:
            df = self._bigram_df.get(bigram, 0)
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
        cache[bigram] = idf
        return idf

    def _query_bigrams(self, query: str, context_weight: float
                       ) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
        """IDF-weighted character bigrams of the query, stop words aside: with scene-setting clauses
        counting `context_weight`; all clauses counting fully; and only those of the clause that states
        the need (the first asking clause — a caller asks the main thing first; the first clause when
        none asks)."""
        n = max(len(self._bigram_docs), 1)
        cache = self._bigram_idf
        out: dict[str, float] = {}
        flat: dict[str, float] = {}
        need: dict[str, float] = {}
        parts = clauses(query)
        asking = any(c.asking for c in parts)
        first = next((i for i, c in enumerate(parts) if c.asking or not asking), -1)
        for i, clause in enumerate(parts):
            w = 1.0 if clause.asking or not asking else context_weight
            for bg in han_bigrams(clause.text):
                idf = self._bigram_weight(bg, n, cache)
                if idf is None:
                    continue
                if w * idf > out.get(bg, 0.0):
                    out[bg] = w * idf
                flat[bg] = idf
                if i == first:
                    need[bg] = idf
        return out, flat, need

    def analyse(self, query: str, *, province: str | None, day: date, topic: str | None = None,
                include_other_provinces: bool = False, context_weight: float | None = None,
                all_features: bool = False) -> Analysis | None:
        """Query terms, candidates and their features; None when nothing can match. Features the
        ranking gives no weight are skipped unless `all_features` (tuning needs them all)."""
        cfg = self.config
        cw = cfg.model.context_weight if context_weight is None else context_weight
        if province in (None, "", NATIONAL):
            province = named_province(normalize(query))
        terms = understand(query, self.analyzer, self.homophones, cw)
        if not query or not terms or len(self.backend) == 0:
            return None
        provinces = None if include_other_provinces else ([NATIONAL, province] if province else [NATIONAL])
        n = len(self.backend)
        cache = self._idfs(n)
        idf = {t.text: self._idf(t.text, n, cache) * t.weight for t in terms}
        total = sum(idf.values()) or 1.0  # words the index lacks count here: they are part of the question
        known = [t for t in terms if self.backend.doc_freq(t.text) > 0]  # the others match nothing
        candidates = self.backend.query([(t.text, t.weight) for t in known], field_weights=cfg.field_weights,
                                        provinces=provinces, day=day, limit=cfg.candidates)
        if not candidates:
            return Analysis(query, province, terms, [], idf)
        known_idf = [(t.text, idf[t.text]) for t in known]
        qbig, flat, need = self._query_bigrams(query, cw)
        qbig_total = sum(qbig.values()) or 1.0
        flat_total = sum(flat.values()) or 1.0
        need_total = sum(need.values()) or 1.0
        top = max(c.score for c in candidates) or 1.0
        cats = TOPIC_CATEGORIES.get(topic or "", (topic,) if topic else ())
        qidf = dict(known_idf)
        # frozensets, not dict views: `view & frozenset` walks the whole (long) right-hand side
        qterms = frozenset(qidf)
        qbig_keys = frozenset(qbig)
        flat_keys = frozenset(flat)
        need_keys = frozenset(need)
        weights = cfg.model.weights
        fields = [f for f in FIELDS if all_features or weights.get(f)]
        want_bigram = all_features or bool(weights.get("bigram"))
        want_title = all_features or bool(weights.get("title_cover"))
        want_body = all_features or bool(weights.get("body_bigram"))
        want_need = all_features or bool(weights.get("need_bigram"))
        want_sem = self.embedder.available and (all_features or self._uses_semantic())
        qvec = self.embedder.vector(normalize(query)) if want_sem else None
        scored = []
        for c in candidates:
            doc = c.doc
            ft = doc.field_terms
            feats = {"bm25": c.score / top}
            for f in fields:
                feats[f] = sum(map(qidf.__getitem__, qterms & ft[f])) / total
            if want_bigram:
                feats["bigram"] = sum(map(qbig.__getitem__, qbig_keys & doc.bigrams)) / qbig_total
            if want_title:
                feats["title_cover"] = self._title_cover(doc, qbig_keys)
            if want_body or want_need:
                body = self._body_bigrams(doc)
            if want_body:
                feats["body_bigram"] = sum(map(flat.__getitem__, flat_keys & body)) / flat_total
            if want_need:
                feats["need_bigram"] = sum(map(need.__getitem__, (need_keys & doc.bigrams) | (need_keys & body))
                                           ) / need_total
            if qvec is not None:
                strong_vec, body_vec = self._doc_vectors(doc)
                feats["sem_strong"] = cosine(qvec, strong_vec)
                feats["sem_body"] = cosine(qvec, body_vec)
            feats["own_province"] = 1.0 if province and doc.province == province else 0.0
            feats["topic"] = 1.0 if cats and doc.category in cats else 0.0
            scored.append(Scored(c, feats))
        return Analysis(query, province, terms, scored, idf, qbig, need, qvec)

    def _doc_vectors(self, doc: IndexDoc) -> tuple[Any, Any]:
        """Semantic vectors of an article's strong fields (title, questions, keywords) and of the start
        of its body; cached per document until the next change, built on first use."""
        cached = self._sem_cache.get(doc.article_id)
        if cached is not None and cached[0] is doc:
            return cached[1], cached[2]
        if len(self._sem_cache) >= self.BODY_CACHE:
            self._sem_cache.clear()
        strong = self.embedder.vector(doc.strong_text or normalize(doc.title))
        body = self.embedder.vector(normalize(doc.body_text[:BODY_CHARS]))
        self._sem_cache[doc.article_id] = (doc, strong, body)
        return strong, body

    def _title_weights(self, doc: IndexDoc) -> tuple[dict[str, float], float]:
        """IDF weights of a title's character bigrams (cached per document until the next change)."""
        cached = self._title_cache.get(doc.article_id)
        if cached is not None and cached[0] is doc:
            return cached[1], cached[2]
        n = max(len(self._bigram_docs), 1)
        weights = {}
        for bg in doc.title_bigrams:
            if bg not in self.analyzer.stopwords:
                df = self._bigram_df.get(bg, 0)
                weights[bg] = math.log(1 + (n - df + 0.5) / (df + 0.5))
        total = sum(weights.values())
        self._title_cache[doc.article_id] = (doc, weights, total)
        return weights, total

    BODY_CACHE = 20_000  # articles whose body bigrams are kept (a candidate's, built on first use)

    def _body_bigrams(self, doc: IndexDoc) -> frozenset[str]:
        """The character bigrams of an article's body, cached per document until the next change;
        built lazily, not kept on every `IndexDoc`, so a large base does not hold them all."""
        cached = self._body_cache.get(doc.article_id)
        if cached is not None and cached[0] is doc:
            return cached[1]
        if len(self._body_cache) >= self.BODY_CACHE:
            self._body_cache.clear()
        bigrams = frozenset(han_bigrams(doc.body_text))
        self._body_cache[doc.article_id] = (doc, bigrams)
        return bigrams

    def _title_cover(self, doc: IndexDoc, qbig: frozenset[str]) -> float:
        """The IDF-weighted share of the title's character bigrams that the query says."""
        weights, total = self._title_weights(doc)
        if not total:
            return 0.0
        return sum(map(weights.__getitem__, filter(weights.__contains__, qbig))) / total

    def confidence_features(self, analysis: Analysis, best: Scored) -> dict[str, float]:
        """What the "is there an answer" model sees about the best article."""
        n = max(len(self.backend), 1)
        unit = math.log(1 + (n - 0.5) / 1.5)
        doc = best.candidate.doc
        idf = analysis.idf
        strong = sum(v for t, v in idf.items() if len(t) >= 2 and t in doc.strong)
        body = sum(v for t, v in idf.items() if len(t) >= 2 and t in doc.field_terms["body"] and t not in doc.strong)
        total = sum(idf.values()) or 1.0
        cover = sum(v for t, v in idf.items() if t in doc.strong or t in doc.field_terms["body"]) / total
        outside = self.analyzer.outside(analysis.query)
        off = bool(outside) and not any(w in doc.body_text or w in doc.title for w in outside)
        feats = best.features
        if "bigram" in feats:
            bigram = feats["bigram"]
        else:
            qtotal = sum(analysis.qbig.values()) or 1.0
            bigram = sum(analysis.qbig[b] for b in frozenset(analysis.qbig) & doc.bigrams) / qtotal
        title_cover = (feats["title_cover"] if "title_cover" in feats
                       else self._title_cover(doc, frozenset(analysis.qbig)))
        if "sem_strong" in feats:
            semantic = feats["sem_strong"]
        elif analysis.qvec is not None:
            semantic = cosine(analysis.qvec, self._doc_vectors(doc)[0])
        else:
            semantic = 0.0
        return {"strong": 1.0 - math.exp(-strong / unit), "body": 1.0 - math.exp(-body / unit), "cover": cover,
                "bigram": bigram, "title_cover": title_cover,
                "outside": 1.0 if off else 0.0, "semantic": semantic}

    def rank(self, analysis: Analysis, model: RankModel | None = None) -> list[Scored]:
        model = model or self.config.model
        for sc in analysis.scored:
            sc.score = model.score(sc.features)
        return sorted(analysis.scored, key=lambda sc: -sc.score)

    def search(self, query: str, *, province: str | None, day: date, limit: int = 5,
               include_other_provinces: bool = False, topic: str | None = None) -> SearchResult:
        query = (query or "").strip()
        analysis = self.analyse(query, province=province, day=day, topic=topic,
                                include_other_provinces=include_other_provinces)
        if analysis is None:
            return SearchResult(query=query, no_answer=True,
                                province=province if province not in ("", NATIONAL) else None)
        if not analysis.scored:
            return SearchResult(query=query, no_answer=True, province=analysis.province)
        model = self.config.model
        ranked = self.rank(analysis, model)
        confidence = model.answerable(self.confidence_features(analysis, ranked[0]))
        if confidence < model.threshold:
            return SearchResult(query=query, no_answer=True, confidence=confidence, province=analysis.province)
        known = [t.text for t in analysis.terms if t.text in ranked[0].candidate.doc.strong
                 or t.text in ranked[0].candidate.doc.field_terms["body"]]
        marks = tuple(known or [t.text for t in analysis.terms])
        hits = [Hit(article_id=sc.candidate.doc.article_id, revision_id=sc.candidate.doc.revision_id,
                    title=sc.candidate.doc.title, short_answer=sc.candidate.doc.short_answer, score=sc.score,
                    province=sc.candidate.doc.province, category=sc.candidate.doc.category,
                    body=sc.candidate.doc.body_text, terms=marks)
                for sc in ranked[:limit]]
        return SearchResult(query=query, no_answer=False, hits=hits, confidence=confidence,
                            province=analysis.province)


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


make_snippet = snippet  # the name `Hit.snippet` reads it by (its own name is the property's)
_marker_of = functools.lru_cache(maxsize=256)(marker)  # the hits of one search share one Marker
