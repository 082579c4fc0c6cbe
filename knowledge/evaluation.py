"""Relevance measurement: MRR@5, P@1 (against gold[0]), recall@5 and the "no answer" rates, for our
search and for a plain BM25-over-jieba baseline on the same articles (query sets in the format of
../shared/kb-eval/dev.jsonl)."""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import jieba

# A ranker takes (query, province) and returns (ranked article ids, no_answer).
Ranker = Callable[[str, str | None], tuple[list[str], bool]]


def load_queries(path: str | Path) -> list[dict]:
    rows = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{n}: not JSON ({exc.msg})") from exc
        if not isinstance(row, dict) or not isinstance(row.get("q"), str):
            raise ValueError(f"{path}:{n}: expected an object with a string 'q'")
        rows.append(row)
    return rows


@dataclass
class Metrics:
    queries: int = 0
    answerable: int = 0
    out_of_scope: int = 0
    mrr5: float = 0.0
    p1: float = 0.0
    recall5: float = 0.0
    oos_rejected: float = 0.0  # out-of-scope queries answered "no answer"
    answerable_rejected: float = 0.0  # answerable queries wrongly answered "no answer"
    by_kind: dict[str, dict[str, float]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


def evaluate(rank: Ranker, queries: Sequence[dict]) -> Metrics:
    m = Metrics(queries=len(queries))
    rr_sum = p1_sum = rec_sum = 0.0
    oos_ok = ans_rej = 0
    kind_rr: dict[str, list[float]] = defaultdict(list)
    for row in queries:
        gold = list(row.get("gold") or [])
        province = row.get("province")
        ids, no_answer = rank(row["q"], None if province in (None, "", "00") else province)
        top5 = [] if no_answer else ids[:5]
        if not gold:
            m.out_of_scope += 1
            oos_ok += bool(no_answer or not ids)
            continue
        m.answerable += 1
        ans_rej += bool(no_answer)
        rr = next((1.0 / (i + 1) for i, a in enumerate(top5) if a == gold[0]), 0.0)
        rr_sum += rr
        p1_sum += float(bool(top5) and top5[0] == gold[0])
        rec_sum += len(set(top5) & set(gold)) / len(gold)
        kind_rr[row.get("kind", "?")].append(rr)
    if m.answerable:
        m.mrr5, m.p1, m.recall5 = rr_sum / m.answerable, p1_sum / m.answerable, rec_sum / m.answerable
        m.answerable_rejected = ans_rej / m.answerable
    if m.out_of_scope:
        m.oos_rejected = oos_ok / m.out_of_scope
    m.by_kind = {k: {"n": len(v), "mrr5": round(sum(v) / len(v), 4)} for k, v in sorted(kind_rr.items())}
    return m


class PlainBM25:
    """The reference point: BM25 (k1=1.5, b=0.75) over stock-jieba search-mode tokens of title +
    keywords + body, every article, no filters, never "no answer"."""

    def __init__(self, docs: Iterable[tuple[str, str]], k1: float = 1.5, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.ids: list[str] = []
        self.tfs: list[Counter[str]] = []
        self.lengths: list[int] = []
        df: Counter[str] = Counter()
        for article_id, text in docs:
            toks = [t for t in jieba.cut_for_search(text) if t.strip()]
            tf = Counter(toks)
            self.ids.append(article_id)
            self.tfs.append(tf)
            self.lengths.append(len(toks))
            df.update(tf.keys())
        n = len(self.ids) or 1
        self.avg = (sum(self.lengths) / n) or 1.0
        self.idf = {t: math.log(1 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}

    def rank(self, query: str, province: str | None = None) -> tuple[list[str], bool]:
        q = [t for t in jieba.cut_for_search(query) if t.strip()]
        scores = []
        for i, tf in enumerate(self.tfs):
            s = 0.0
            for t in q:
                f = tf.get(t, 0)
                if f:
                    norm = 1 - self.b + self.b * self.lengths[i] / self.avg
                    s += self.idf[t] * f * (self.k1 + 1) / (f + self.k1 * norm)
            if s > 0:
                scores.append((s, self.ids[i]))
        scores.sort(key=lambda x: -x[0])
        return [a for _, a in scores[:5]], False
