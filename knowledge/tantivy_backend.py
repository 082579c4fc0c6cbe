"""The embedded search backend: an in-memory tantivy index over pre-segmented text.

Each field is indexed with a whitespace tokenizer (tokens come from jieba already) and ranked with
tantivy's BM25; field weights and query-term weights become boosts. Province and effective-date
filters are non-scoring clauses. A `slot` fast field maps hits back to the documents kept in memory.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from datetime import date

import tantivy

from knowledge.backend import FIELDS, Candidate, IndexDoc

_OPEN_END = date(9999, 12, 31).toordinal()
MAX_DATED_OVERFETCH = 64
FieldWeights = tuple[tuple[str, float], ...]
Clause = tuple[tantivy.Occur, tantivy.Query]


def _schema() -> tantivy.Schema:
    b = tantivy.SchemaBuilder()
    for name in FIELDS:
        b.add_text_field(name, tokenizer_name="ws", index_option="freq")
    b.add_text_field("article", tokenizer_name="raw", index_option="basic")
    b.add_text_field("province", tokenizer_name="raw", index_option="basic")
    b.add_integer_field("slot", fast=True)
    b.add_integer_field("eff_from", indexed=True, fast=True)
    b.add_integer_field("eff_to", indexed=True, fast=True)
    return b.build()


class TantivyBackend:
    def __init__(self, heap_bytes: int = 50_000_000) -> None:
        self._schema = _schema()
        self._heap = heap_bytes
        self._lock = threading.RLock()
        self._docs: dict[str, IndexDoc] = {}
        self._slots: dict[int, IndexDoc] = {}
        self._slot_of: dict[str, int] = {}
        self._used: set[str] = set()  # fields some document has text in (others are left out of queries)
        self._dated: set[str] = set()  # documents with an end date
        self._max_from = 0  # the latest start date of any document (ordinal)
        self._next_slot = 0
        self._open()

    def _open(self) -> None:
        self._index = tantivy.Index(self._schema)
        self._index.register_tokenizer("ws", tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build())
        self._pending: tantivy.IndexWriter | None = None
        self._searcher = self._index.searcher()
        self._df: dict[str, int] = {}
        self._fdf: dict[str, tuple[int, ...]] = {}
        self._clauses: dict[tuple[str, float, FieldWeights], dict[str, Clause]] = {}

    @property
    def _writer(self) -> tantivy.IndexWriter:
        """A writer for the current batch of changes; it lives only until the next commit.

        A tantivy writer owns worker threads. Keeping none between operations means no thread
        outlives a change, so a process forked afterwards (gunicorn's worker) inherits none.
        """
        if self._pending is None:
            self._pending = self._index.writer(self._heap, 1)
        return self._pending

    def __len__(self) -> int:
        return len(self._docs)

    def _add(self, doc: IndexDoc) -> None:
        slot = self._next_slot
        self._next_slot += 1
        self._slots[slot] = doc
        self._slot_of[doc.article_id] = slot
        self._docs[doc.article_id] = doc
        fields = {name: doc.tokens.get(name, "") for name in FIELDS}
        self._used.update(name for name, text in fields.items() if text)
        if doc.effective_to is not None:
            self._dated.add(doc.article_id)
        if doc.effective_from is not None:
            self._max_from = max(self._max_from, doc.effective_from.toordinal())
        self._writer.add_document(tantivy.Document(
            **fields, article=doc.article_id, province=doc.province, slot=slot,
            eff_from=doc.effective_from.toordinal() if doc.effective_from else 0,
            eff_to=doc.effective_to.toordinal() if doc.effective_to else _OPEN_END))

    def _commit(self) -> None:
        writer, self._pending = self._writer, None
        writer.commit()
        writer.wait_merging_threads()
        self._index.reload()
        self._searcher = self._index.searcher()
        self._df = {}
        self._fdf = {}
        self._clauses = {}  # the fields in use and the terms in each may have changed

    def rebuild(self, docs: Iterable[IndexDoc]) -> int:
        with self._lock:
            self._writer.delete_all_documents()
            self._docs, self._slots, self._slot_of, self._next_slot = {}, {}, {}, 0
            self._used, self._dated, self._max_from = set(), set(), 0
            for doc in docs:
                self._add(doc)
            self._commit()
            return len(self._docs)

    def _delete(self, article_id: str) -> None:
        if self._docs.pop(article_id, None) is not None:
            self._slots.pop(self._slot_of.pop(article_id), None)
            self._dated.discard(article_id)
            self._writer.delete_documents_by_term("article", article_id)

    def upsert(self, doc: IndexDoc) -> None:
        with self._lock:
            self._delete(doc.article_id)
            self._add(doc)
            self._commit()

    def remove(self, article_id: str) -> None:
        with self._lock:
            if article_id in self._docs:
                self._delete(article_id)
                self._commit()

    def get(self, article_id: str) -> IndexDoc | None:
        return self._docs.get(article_id)

    def docs(self) -> list[IndexDoc]:
        return list(self._docs.values())

    def doc_freq(self, term: str) -> int:
        """Documents with the term in any field (the most of the per-field counts), cached per commit."""
        df = self._df.get(term)
        if df is None:
            df = self._df[term] = max(self._field_dfs(term))
        return df

    def _field_dfs(self, term: str) -> tuple[int, ...]:
        """Documents with the term, per field of FIELDS, cached per commit."""
        dfs = self._fdf.get(term)
        if dfs is None:
            searcher = self._searcher
            dfs = self._fdf[term] = tuple(searcher.doc_freq(f, term) for f in FIELDS)
        return dfs

    def query(self, terms: Sequence[tuple[str, float]], *, field_weights: dict[str, float],
              provinces: Sequence[str] | None, day: date, limit: int) -> list[Candidate]:
        if not terms:
            return []
        schema, Q, Occur = self._schema, tantivy.Query, tantivy.Occur
        weights = tuple(field_weights.items())
        per_term = [self._term_clauses(t, weight, weights) for t, weight in terms]
        # field by field, the order tantivy sums the scores in (float sums: the same order, the same score)
        should = [clauses[f] for f, _ in weights for clauses in per_term if f in clauses]
        if not should:
            return []
        clauses = [(Occur.Must, Q.boolean_query(should))]
        if provinces is not None:  # a disjunction of term queries: much cheaper than term_set_query here
            either = Q.boolean_query([(Occur.Should, Q.term_query(schema, "province", p)) for p in provinces])
            clauses.append((Occur.Must, Q.const_score_query(either, 0.0)))
        # A range filter over every document costs more than the search itself, and few documents have
        # dates that can exclude them: over-fetch by that many and check their dates here instead.
        ordinal = day.toordinal()
        extra = len(self._dated)
        in_tantivy = extra > MAX_DATED_OVERFETCH or ordinal < self._max_from
        if in_tantivy:
            clauses.append((Occur.Must, Q.const_score_query(
                Q.range_query(schema, "eff_from", tantivy.FieldType.Integer, None, ordinal), 0.0)))
            clauses.append((Occur.Must, Q.const_score_query(
                Q.range_query(schema, "eff_to", tantivy.FieldType.Integer, ordinal, None), 0.0)))
            extra = 0
        searcher = self._searcher
        hits = searcher.search(Q.boolean_query(clauses), limit + extra, count=False).hits
        if not hits:
            return []
        slots = searcher.fast_field_values("slot", [addr for _, addr in hits])
        out = []
        for (score, _), slot in zip(hits, slots, strict=True):
            doc = self._slots.get(slot) if isinstance(slot, int) else None
            if doc is not None and (in_tantivy or _effective(doc, day)):
                out.append(Candidate(doc, float(score)))
        return out[:limit]


    CLAUSE_CACHE = 50_000  # (term, weight) pairs whose field clauses are kept between searches

    def _term_clauses(self, term: str, weight: float, field_weights: FieldWeights) -> dict[str, Clause]:
        """The boosted term queries of one query term, one per field that holds it, in the order of
        `field_weights`. A field without the term adds nothing to any score, so it is left out
        (a long spoken question's ~90 term queries are about half that). Built once per commit and
        reused: building them was a tenth of the search (tantivy's queries are immutable and can sit
        in many boolean queries)."""
        key = (term, weight, field_weights)
        clauses = self._clauses.get(key)
        if clauses is None:
            if len(self._clauses) >= self.CLAUSE_CACHE:
                self._clauses = {}
            Q, should = tantivy.Query, tantivy.Occur.Should
            holds = dict(zip(FIELDS, self._field_dfs(term), strict=True))
            clauses = self._clauses[key] = {
                f: (should, Q.boost_query(Q.term_query(self._schema, f, term), w * weight))
                for f, w in field_weights if w > 0 and holds.get(f)}
        return clauses


def _effective(doc: IndexDoc, day: date) -> bool:
    return (doc.effective_from is None or doc.effective_from <= day) and (doc.effective_to is None
                                                                         or day <= doc.effective_to)
