"""Chinese text analysis shared by indexing and querying.

- jieba (own `Tokenizer`, so other homes' jieba use is unaffected) with the domain dictionary in
  `lexicon/terms.txt`, search-mode tokens (a compound gives its parts too);
- normalisation: full-width → half-width, lower case, spoken digit strings (幺二三三三 → 12333);
- stop words (fillers and question words) dropped;
- query expansion: domain synonyms (`lexicon/synonyms.txt`) and pinyin homophones of terms the
  index knows (speech recognition writes 养老经 for 养老金, 工商认定 for 工伤认定).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import rjieba
from pypinyin import Style, lazy_pinyin

LEXICON = Path(__file__).resolve().parent / "lexicon"

_CN_DIGITS = {"幺": "1", "一": "1", "二": "2", "两": "2", "三": "3", "四": "4", "五": "5", "六": "6",
              "七": "7", "八": "8", "九": "9", "零": "0", "〇": "0"}
_SPOKEN_NUMBER = re.compile(f"[{''.join(_CN_DIGITS)}]{{4,}}")
_WORD = re.compile(r"[\w\u4e00-\u9fff]")
_HAN_RUN = re.compile(r"[\u4e00-\u9fff]+")

SYNONYM_WEIGHT = 0.6
HOMOPHONE_WEIGHT = 0.8


def normalize(text: str) -> str:
    """NFKC (full-width to half-width), lower case, spoken digit strings to digits."""
    if len(text or "") <= _CACHED_NORMALIZE:  # a question: one search normalises it several times
        return _normalize_short(text or "")
    return _normalize(text)


_CACHED_NORMALIZE = 300


def _normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    return _SPOKEN_NUMBER.sub(lambda m: "".join(_CN_DIGITS[c] for c in m.group(0)), text)


_normalize_short = lru_cache(maxsize=32)(_normalize)  # small: the texts of the searches in progress


def _fuzzy_syllable(syl: str) -> str:
    """Fold the distinctions Mandarin speakers (and recognisers) blur: zh/z, ch/c, sh/s, n/l, -ng/-n."""
    for a, b in (("zh", "z"), ("ch", "c"), ("sh", "s")):
        if syl.startswith(a):
            syl = b + syl[2:]
            break
    if syl.startswith("n") and len(syl) > 1:
        syl = "l" + syl[1:]
    if syl.endswith("ng") and len(syl) > 2:
        syl = syl[:-1]
    return syl


@lru_cache(maxsize=20000)
def char_sound(char: str) -> str:
    """The fuzzy toneless syllable of one Han character (its most common reading)."""
    syllables = lazy_pinyin(char, style=Style.NORMAL, errors="ignore")
    return _fuzzy_syllable(syllables[0]) if syllables else ""


def fuzzy_pinyin(text: str) -> tuple[str, ...]:
    """Per-character sounds, so that a term and a misrecognised window are read the same way."""
    return tuple(char_sound(c) for c in text)


def _read_lines(name: str) -> list[str]:
    path = LEXICON / name
    return [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines()
            if ln.strip() and not ln.lstrip().startswith("#")]


@dataclass(frozen=True)
class QueryTerm:
    text: str
    weight: float
    source: str  # "query", "synonym", "homophone"


class Analyzer:
    """Segmentation and query expansion. Build once per process (`default_analyzer()`)."""

    def __init__(self, extra_terms: Iterable[str] = ()) -> None:
        self._tok = rjieba.Jieba()  # jieba's dictionary and search mode, segmenting in Rust
        self.domain_terms: list[str] = []
        for line in _read_lines("terms.txt"):
            parts = line.split()
            freq = int(parts[1]) if len(parts) > 1 else None
            self._tok.add_word(parts[0], freq, parts[2] if len(parts) > 2 else None)
            self.domain_terms.append(parts[0])
        for term in extra_terms:
            self._tok.add_word(term, None, None)
        self.stopwords = frozenset(w for line in _read_lines("stopwords.txt") for w in line.split())
        self.synonym_groups: list[tuple[str, ...]] = []
        for line in _read_lines("synonyms.txt"):
            head, _, rest = line.partition(":")
            group = tuple(dict.fromkeys([head.strip(), *(w.strip() for w in rest.split(",") if w.strip())]))
            self.synonym_groups.append(group)
            for word in group:
                if len(word) > 1 and _HAN_RUN.fullmatch(word):
                    self._tok.add_word(word, 300, None)
        self._groups_of: dict[str, list[int]] = {}
        for i, group in enumerate(self.synonym_groups):
            for word in group:
                self._groups_of.setdefault(normalize(word), []).append(i)
        self._group_tokens: list[list[str]] | None = None
        self._cache: dict[str, list[str]] = {}
        self.outside_words: list[str] = []
        for line in _read_lines("outside.txt"):
            for word in line.partition(":")[2].split(","):
                word = word.strip()
                if word:
                    self.outside_words.append(word)
                    if _HAN_RUN.fullmatch(word):
                        self._tok.add_word(word, 300, None)

    def add_words(self, words: Iterable[str]) -> None:
        """Teach the segmenter editors' keywords so they stay whole."""
        for word in words:
            word = normalize(word).strip()
            if 1 < len(word) <= 12 and _HAN_RUN.fullmatch(word) and not self._tok.has_word(word):
                self._tok.add_word(word, 200, None)

    def outside(self, query: str) -> list[str]:
        """Words of the query that belong to other departments' topics (lexicon/outside.txt)."""
        norm = normalize(query)
        return [w for w in self.outside_words if w in norm]

    def is_word(self, text: str) -> bool:
        return self._tok.has_word(text)

    def tokens(self, text: str) -> list[str]:
        """Search-mode tokens of a text without stop words and punctuation (duplicates kept)."""
        text = normalize(text)
        return [t for t in self._tok.cut_for_search(text, False)
                if t.strip() and _WORD.search(t) and t not in self.stopwords]

    def _term_tokens(self, term: str) -> list[str]:
        cached = self._cache.get(term)
        if cached is None:
            cached = self._cache[term] = self.tokens(term)
        return cached

    def index_text(self, text: str) -> str:
        return " ".join(self.tokens(text))

    def expand(self, query: str, homophones: HomophoneTable | None = None) -> list[QueryTerm]:
        """The weighted terms of a query: its own tokens, synonyms of words in it, homophone fixes."""
        return self.expand_parts([normalize(query)], [1.0], homophones)

    def expand_parts(self, parts: list[str], factors: list[float],
                     homophones: HomophoneTable | None = None) -> list[QueryTerm]:
        """`expand` over the normalised parts of one query (its clauses), each term weighted by the
        largest factor of the parts it comes from. The synonym table is scanned once for the query."""
        terms: dict[str, QueryTerm] = {}

        def put(tok: str, weight: float, source: str) -> None:
            old = terms.get(tok)
            if old is None or weight > old.weight:
                terms[tok] = QueryTerm(tok, weight, source)

        for part, factor in zip(parts, factors, strict=True):
            for tok in self.tokens(part):
                put(tok, factor, "query")
        if self._group_tokens is None:
            self._group_tokens = [[t for alt in g for t in self.tokens(alt)] for g in self.synonym_groups]
        whole = " ".join(parts)
        for word, groups in self._groups_of.items():
            if word in whole:
                factor = max(f for part, f in zip(parts, factors, strict=True) if word in part) \
                    if len(parts) > 1 else factors[0]
                for i in groups:
                    for tok in self._group_tokens[i]:
                        if tok not in terms:
                            put(tok, SYNONYM_WEIGHT * factor, "synonym")
        if homophones is not None:
            for part, factor in zip(parts, factors, strict=True):
                for fix in homophones.corrections(part, self):
                    if fix in whole:
                        continue
                    for tok in self._term_tokens(fix):
                        if tok not in terms or terms[tok].source != "query":
                            put(tok, HOMOPHONE_WEIGHT * factor, "homophone")
        return list(terms.values())


class HomophoneTable:
    """Known terms by their fuzzy pinyin, to repair speech-recognition homophones in a query.

    A window of the query (2–6 Han characters) that is not itself a known term but sounds like one
    is corrected to that term; two-character windows only when they are not ordinary words either.
    """

    def __init__(self) -> None:
        self._by_sound: dict[tuple[str, ...], set[str]] = {}
        self._starts: set[tuple[str, str]] = set()  # the first two sounds of every known term
        self._known: set[str] = set()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._known)

    def add(self, terms: Iterable[str]) -> None:
        fresh = [t for t in terms if t not in self._known and 2 <= len(t) <= 6 and _HAN_RUN.fullmatch(t)]
        if not fresh:
            return
        with self._lock:
            for term in fresh:
                self._known.add(term)
                sounds = fuzzy_pinyin(term)
                self._by_sound.setdefault(sounds, set()).add(term)
                self._starts.add((sounds[0], sounds[1]))

    def corrections(self, norm_query: str, analyzer: Analyzer) -> list[str]:
        found: list[str] = []
        for run in _HAN_RUN.findall(norm_query):
            sounds = fuzzy_pinyin(run)
            # a window can only sound like a term that starts with the same two sounds: most start nothing
            starts = [i for i in range(len(run) - 1) if (sounds[i], sounds[i + 1]) in self._starts]
            for size in range(2, min(6, len(run)) + 1):
                for i in starts:
                    if i + size > len(run):
                        break
                    terms = self._by_sound.get(sounds[i:i + size])
                    if not terms:
                        continue
                    window = run[i:i + size]
                    if window in self._known or (size == 2 and analyzer.is_word(window)):
                        continue
                    found.extend(term for term in terms if term not in norm_query)
        return found


_default: Analyzer | None = None
_default_lock = threading.Lock()


def default_analyzer() -> Analyzer:
    """The process-wide analyzer (jieba's dictionary takes about a second to load)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Analyzer()
        return _default
