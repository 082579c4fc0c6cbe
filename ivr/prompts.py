"""The prompt catalog: prompt ids with zh-CN and en text (ivr/prompts/*.yaml), rendered to `Prompt`s.

Dynamic parts are `{name}` or `{name|filter}` placeholders filled from the call's variables:
`digits` reads a number digit by digit (ID numbers, codes), `yuan` an amount, `minutes` a wait in
seconds as minutes, `province` a GB/T 2260 code as its name, `ordinal` a queue position. Audio:
a prompt without placeholders names `<language>/<id>` when that WAV exists in the audio folder
(`hotline prompts render` makes them).
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from core import provinces
from ivr.actions import Prompt

CATALOG_DIR = Path(__file__).resolve().parent / "prompts"
LANGUAGES = ("zh", "en")
_PLACEHOLDER = re.compile(r"\{([a-zA-Z_][a-zA-Z0-9_]*)(?:\|([a-z_]+))?\}")


def _digits(value: Any, lang: str) -> str:
    return " ".join(str(value))


def _yuan(value: Any, lang: str) -> str:
    try:
        amount = float(value)
    except (TypeError, ValueError):
        return str(value)
    text = f"{amount:.2f}".rstrip("0").rstrip(".")
    return f"{text}元" if lang == "zh" else f"{text} yuan"


def _minutes(value: Any, lang: str) -> str:
    try:
        minutes = max(1, math.ceil(float(value) / 60))
    except (TypeError, ValueError):
        return str(value)
    return f"{minutes}分钟" if lang == "zh" else f"{minutes} minute{'s' if minutes > 1 else ''}"


def _province(value: Any, lang: str) -> str:
    return provinces.name_of(str(value), lang) if value else ("全国" if lang == "zh" else "national")


def _ordinal(value: Any, lang: str) -> str:
    return f"第{value}位" if lang == "zh" else f"number {value}"


FILTERS: dict[str, Callable[[Any, str], str]] = {
    "digits": _digits, "yuan": _yuan, "minutes": _minutes, "province": _province, "ordinal": _ordinal,
}


def fill(template: str, variables: Mapping[str, Any], lang: str) -> str:
    """Fill `{name|filter}` placeholders; a missing variable becomes an empty string."""

    def sub(m: re.Match[str]) -> str:
        value = variables.get(m.group(1))
        if value is None:
            return ""
        flt = m.group(2)
        return FILTERS[flt](value, lang) if flt in FILTERS else str(value)

    return _PLACEHOLDER.sub(sub, template)


def placeholders(template: str) -> list[str]:
    return list(_placeholders(template))


@functools.lru_cache(maxsize=4096)
def _placeholders(template: str) -> tuple[str, ...]:
    """The catalog's templates are few and rendered at every step of every call: parsed once each."""
    return tuple(m.group(1) for m in _PLACEHOLDER.finditer(template))


@dataclass(frozen=True)
class Entry:
    id: str
    text: dict[str, str]  # language -> text
    source: str  # file it came from


class PromptCatalog:
    """All prompts; `render(id, lang, vars)` gives a Prompt (falls back to zh when no en text)."""

    def __init__(self, entries: dict[str, Entry], audio_dir: Path | None = None) -> None:
        self.entries = entries
        self.audio_dir = audio_dir
        self._audio: set[str] = set()
        self._static: dict[tuple[str, str], Prompt] = {}  # prompts without placeholders: one object each
        if audio_dir and audio_dir.is_dir():
            self._audio = {f"{p.parent.name}/{p.stem}" for p in audio_dir.glob("*/*.wav")}

    @classmethod
    def load(cls, folder: Path = CATALOG_DIR, audio_dir: Path | None = None) -> PromptCatalog:
        entries: dict[str, Entry] = {}
        for path in sorted(folder.glob("*.yaml")):
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            for pid, value in raw.items():
                if pid in entries:
                    raise ValueError(f"prompt {pid!r} defined twice ({entries[pid].source}, {path.name})")
                if isinstance(value, str):
                    value = {"zh": value}
                if not isinstance(value, dict) or not isinstance(value.get("zh"), str):
                    raise ValueError(f"prompt {pid!r} in {path.name} needs zh text")
                entries[str(pid)] = Entry(str(pid), {k: str(v) for k, v in value.items() if k in LANGUAGES},
                                          path.name)
        return cls(entries, audio_dir)

    def __contains__(self, pid: str) -> bool:
        return pid in self.entries

    def text(self, pid: str, lang: str = "zh") -> str:
        entry = self.entries[pid]
        return entry.text.get(lang) or entry.text["zh"]

    def render(self, pid: str, lang: str = "zh", variables: Mapping[str, Any] | None = None) -> Prompt:
        static = self._static.get((pid, lang))
        if static is not None:
            return static
        entry = self.entries.get(pid)
        if entry is None:
            raise KeyError(f"no prompt {pid!r} in the catalog")
        real_lang = lang if lang in entry.text else "zh"
        template = entry.text[real_lang]
        dynamic = bool(_placeholders(template))
        text = fill(template, variables or {}, real_lang) if dynamic else template
        key = f"{real_lang}/{pid}"
        audio = key if not dynamic and key in self._audio else None
        prompt = Prompt(id=pid, text=text, audio=audio, language=real_lang)
        if not dynamic:
            self._static[(pid, lang)] = prompt
        return prompt

    def missing_translations(self, lang: str = "en") -> list[str]:
        return sorted(pid for pid, e in self.entries.items() if lang not in e.text)
