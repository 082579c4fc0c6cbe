"""Intent classification for speech and free text: Rasa NLU YAML training data (ivr/nlu/*.yml),
character n-grams (1-3, no word segmentation needed for Chinese) with logistic regression.

The model is trained on first use and cached as a pickle in `<data dir>/ivr/intent-<hash>.pkl`,
keyed by a hash of the training data, so editing the data retrains it at the next start.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

log = logging.getLogger(__name__)

NLU_DIR = Path(__file__).resolve().parent / "nlu"
_BULLET = re.compile(r"^\s*-\s+(.*\S)\s*$")
_ENTITY = re.compile(r"\[([^\]]+)\]\([^)]*\)|\[([^\]]+)\]\{[^}]*\}")  # Rasa entity markup -> its text


_MEMO: dict[str, IntentClassifier] = {}


@dataclass(frozen=True)
class Prediction:
    intent: str | None  # None when below the threshold
    confidence: float
    best: str  # the best intent even when below the threshold
    ranking: tuple[tuple[str, float], ...]


def read_rasa_nlu(text: str, source: str = "<string>") -> list[tuple[str, str]]:
    """(example, intent) pairs from a Rasa NLU YAML document (`nlu:` / `- intent:` / `examples: |`)."""
    raw = yaml.safe_load(text) or {}
    if not isinstance(raw, dict) or not isinstance(raw.get("nlu", []), list):
        raise ValueError(f"{source}: expected a mapping with an 'nlu' list")
    pairs: list[tuple[str, str]] = []
    for item in raw.get("nlu") or []:
        if not isinstance(item, dict) or "intent" not in item:
            continue  # synonyms, regexes and lookups are not used by this classifier
        examples = item.get("examples") or ""
        if not isinstance(examples, str):
            raise ValueError(f"{source}: examples of intent {item['intent']!r} must be a '|' block of '- ' lines")
        for line in examples.splitlines():
            m = _BULLET.match(line)
            if m:
                example = _ENTITY.sub(lambda e: e.group(1) or e.group(2), m.group(1))
                pairs.append((example, str(item["intent"])))
    return pairs


def load_training_data(folder: Path = NLU_DIR) -> tuple[list[tuple[str, str]], str]:
    """Every example in the folder's *.yml / *.yaml files, and a hash of their content."""
    digest = hashlib.sha256()
    pairs: list[tuple[str, str]] = []
    for path in sorted([*folder.glob("*.yml"), *folder.glob("*.yaml")]):
        text = path.read_text(encoding="utf-8")
        digest.update(path.name.encode() + b"\0" + text.encode())
        pairs.extend(read_rasa_nlu(text, path.name))
    return pairs, digest.hexdigest()[:16]


class IntentClassifier:
    """A fitted pipeline; one per training-data hash per process (`_MEMO`)."""

    def __init__(self, pipeline: object, threshold: float = 0.35, version: str = "") -> None:
        self.pipeline = pipeline
        self.threshold = threshold
        self.version = version

    @classmethod
    def train(cls, pairs: list[tuple[str, str]], threshold: float = 0.35, version: str = "") -> IntentClassifier:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline

        if len({intent for _, intent in pairs}) < 2:
            raise ValueError("training data needs at least two intents")
        pipeline = make_pipeline(
            TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True),
            LogisticRegression(max_iter=2000, C=10.0),
        )
        pipeline.fit([t for t, _ in pairs], [i for _, i in pairs])
        return cls(pipeline, threshold, version)

    @classmethod
    def load_or_train(cls, cache_dir: Path | None, folder: Path = NLU_DIR, threshold: float = 0.35) -> IntentClassifier:
        pairs, version = load_training_data(folder)
        if version in _MEMO:
            return cls(_MEMO[version].pipeline, threshold, version)
        model = cls._load_or_train(pairs, version, cache_dir, threshold)
        _MEMO[version] = model
        return model

    @classmethod
    def _load_or_train(cls, pairs: list[tuple[str, str]], version: str, cache_dir: Path | None,
                       threshold: float) -> IntentClassifier:
        path = cache_dir / f"intent-{version}.pkl" if cache_dir else None
        if path is not None and path.exists():
            try:
                with path.open("rb") as fh:
                    pipeline = pickle.load(fh)
                return cls(pipeline, threshold, version)
            except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, ValueError):
                log.warning("intent model cache %s unreadable; retraining", path)
        model = cls.train(pairs, threshold, version)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            with tmp.open("wb") as fh:
                pickle.dump(model.pipeline, fh)
            tmp.replace(path)
        return model

    def predict(self, text: str, threshold: float | None = None) -> Prediction:
        cut = self.threshold if threshold is None else threshold
        text = text.strip()
        if not text:
            return Prediction(None, 0.0, "", ())
        probs = self.pipeline.predict_proba([text])[0]  # type: ignore[attr-defined]
        classes = self.pipeline.classes_  # type: ignore[attr-defined]
        ranking = tuple(sorted(((str(c), float(p)) for c, p in zip(classes, probs, strict=True)),
                               key=lambda cp: -cp[1]))
        best, confidence = ranking[0]
        return Prediction(best if confidence >= cut else None, confidence, best, ranking[:3])
