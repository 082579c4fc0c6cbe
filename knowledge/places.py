"""Which province a question names (东莞 → 44, 湖北 → 42), for callers whose province is unknown."""

from __future__ import annotations

from functools import lru_cache

from core.provinces import PROVINCES
from knowledge.analysis import LEXICON


@lru_cache(maxsize=1)
def _names() -> tuple[tuple[str, str], ...]:
    pairs: dict[str, str] = {}
    for prov in PROVINCES.values():
        pairs[prov.name] = prov.code
        pairs[prov.short] = prov.code
    for line in (LEXICON / "places.txt").read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) == 2 and not line.startswith("#"):
            pairs[parts[0]] = parts[1]
    return tuple(sorted(pairs.items(), key=lambda kv: -len(kv[0])))


def named_province(text: str) -> str | None:
    """The one province the text names, or None when it names none or several."""
    found = {code for name, code in _names() if name in text}
    return found.pop() if len(found) == 1 else None
