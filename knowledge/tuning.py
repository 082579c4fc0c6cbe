"""Learning the ranking from labelled queries, and checking that it generalises.

`fit(searcher, queries)` learns a `RankModel`: the weight of scene-setting clauses (a small grid),
the re-ranker's feature weights (coordinate ascent on MRR@5 against gold[0]), the "is there an answer"
model (logistic regression: answerable or not) and the no-answer threshold (the highest that keeps
wrongly refused answerable queries at or below `max_refused` on the tuning set). `cross_validate`
tunes on one set and measures on the other, both ways: the figure that says whether a change
generalises to questions nobody tuned for.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

from knowledge.evaluation import Metrics, evaluate
from knowledge.search import CONFIDENCE_FEATURES, FEATURES, Analysis, RankModel, Searcher

TopicFn = Callable[[str], str | None]
GRID = (0.0, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0, 1.5, 2.5, 4.0)
CONTEXT_GRID = (0.35, 0.6, 1.0)


@dataclass
class Collected:
    row: dict
    analysis: Analysis | None


def _province(row: dict) -> str | None:
    p = row.get("province")
    return None if p in (None, "", "00") else str(p)


def collect(searcher: Searcher, queries: Sequence[dict], day: date, context_weight: float,
            topic: TopicFn | None = None) -> list[Collected]:
    return [Collected(row, searcher.analyse(row["q"], province=_province(row), day=day,
                                            topic=topic(row["q"]) if topic else None,
                                            context_weight=context_weight, all_features=True))
            for row in queries]


def measure(searcher: Searcher, collected: Sequence[Collected], model: RankModel) -> Metrics:
    """Metrics of `model` over precomputed analyses (the same decisions `Searcher.search` makes)."""
    by_q = {id(c.row): c for c in collected}

    def rank(row: dict) -> tuple[list[str], bool]:
        c = by_q[id(row)]
        if c.analysis is None or not c.analysis.scored:
            return [], True
        ranked = searcher.rank(c.analysis, model)
        conf = model.answerable(searcher.confidence_features(c.analysis, ranked[0]))
        return [sc.candidate.doc.article_id for sc in ranked[:5]], conf < model.threshold

    rows = [c.row for c in collected]
    queue = iter(rows)  # evaluate() ranks the rows in order: each call answers the next one

    def ranker(q: str, province: str | None) -> tuple[list[str], bool]:
        return rank(next(queue))

    return evaluate(ranker, rows)


def _mrr(searcher: Searcher, collected: Sequence[Collected], model: RankModel) -> float:
    total = 0.0
    n = 0
    for c in collected:
        gold = c.row.get("gold") or []
        if not gold:
            continue
        n += 1
        if c.analysis is None or not c.analysis.scored:
            continue
        ranked = searcher.rank(c.analysis, model)
        for i, sc in enumerate(ranked[:5]):
            if sc.candidate.doc.article_id == gold[0]:
                total += 1.0 / (i + 1)
                break
    return total / max(n, 1)


def fit_weights(searcher: Searcher, collected: Sequence[Collected], start: RankModel, passes: int = 3) -> RankModel:
    model = replace(start, weights=dict(start.weights))
    best = _mrr(searcher, collected, model)
    for _ in range(passes):
        improved = False
        for name in FEATURES:
            if name == "bm25":
                continue  # the scale
            for value in GRID:
                trial = replace(model, weights={**model.weights, name: value})
                score = _mrr(searcher, collected, trial)
                if score > best + 1e-9:
                    best, model, improved = score, trial, True
        if not improved:
            break
    return model


MAX_REFUSED = 0.012  # share of the tuning set's answerable queries the threshold may refuse


def fit_confidence(searcher: Searcher, collected: Sequence[Collected], model: RankModel,
                   max_refused: float = MAX_REFUSED) -> RankModel:
    from sklearn.linear_model import LogisticRegression

    xs, ys = [], []
    for c in collected:
        if c.analysis is None or not c.analysis.scored:
            continue
        best = searcher.rank(c.analysis, model)[0]
        feats = searcher.confidence_features(c.analysis, best)
        xs.append([feats[k] for k in CONFIDENCE_FEATURES])
        ys.append(1 if c.row.get("gold") else 0)
    if len(set(ys)) < 2:
        return model
    lr = LogisticRegression(C=1.0, class_weight="balanced", max_iter=1000).fit(xs, ys)
    conf = {"bias": float(lr.intercept_[0]), **{k: float(w) for k, w in zip(CONFIDENCE_FEATURES, lr.coef_[0],
                                                                             strict=True)}}
    model = replace(model, confidence=conf)
    probs = sorted(model.answerable(dict(zip(CONFIDENCE_FEATURES, x, strict=True))) for x, y in zip(xs, ys, strict=True)
                   if y == 1)
    answerable = sum(1 for c in collected if c.row.get("gold"))
    allowed = int(max_refused * answerable)  # answerable queries that may fall below the threshold
    threshold = probs[allowed] if allowed < len(probs) else 0.5
    return replace(model, threshold=max(0.0, threshold - 1e-6))


def fit(searcher: Searcher, queries: Sequence[dict], day: date, topic: TopicFn | None = None,
        trained_on: str = "") -> RankModel:
    """The best model for these queries (see the module docstring)."""
    best_model, best_score = None, -1.0
    for cw in CONTEXT_GRID:
        collected = collect(searcher, queries, day, cw, topic)
        model = fit_weights(searcher, collected, RankModel(context_weight=cw))
        score = _mrr(searcher, collected, model)
        if score > best_score + 1e-9:
            best_model, best_score, best_collected = model, score, collected
    assert best_model is not None
    model = fit_confidence(searcher, best_collected, best_model)
    model.trained_on = trained_on
    return model


def cross_validate(searcher: Searcher, sets: Mapping[str, Sequence[dict]], day: date,
                   topic: TopicFn | None = None) -> dict[str, tuple[RankModel, Metrics]]:
    """For each set: a model tuned on all the *other* sets, measured on this one."""
    out: dict[str, tuple[RankModel, Metrics]] = {}
    for name, queries in sets.items():
        others = [q for other, qs in sets.items() if other != name for q in qs]
        if not others:
            continue
        model = fit(searcher, others, day, topic, trained_on="+".join(o for o in sets if o != name))
        collected = collect(searcher, queries, day, model.context_weight, topic)
        out[name] = (model, measure(searcher, collected, model))
    return out
