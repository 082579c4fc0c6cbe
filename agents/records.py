"""Typed views of the ACD's stored records: `CallRec` (hash ``acd:c:<call>``) and `AgentRec` (hash
``acd:a:<agent>``), with conversion to and from the stored form (every value a string; an empty
string is "not set"). Fields the record does not model are kept in `extra`, so a record read and
written back loses nothing. Reading is total: a missing or empty field takes its default.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields
from typing import Any, ClassVar, TypeVar

from core import fastjson

_R = TypeVar("_R", bound="_Record")
VERSION = "v"  # a stored hash's version (agents.state): the store's concurrency token, not a record field


def _num(value: float | int | None) -> str:
    return "" if value is None else repr(value) if isinstance(value, float) else str(value)


def _float(raw: str) -> float | None:
    return float(raw) if raw else None


def _int(raw: str) -> int | None:
    return int(float(raw)) if raw else None


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


@dataclass(frozen=True)
class _Record:
    """Conversion by field type: str as is, int/float as numbers ("" = None), JSON for the rest."""

    extra: Mapping[str, str] = field(default_factory=dict, compare=True)
    _JSON: ClassVar[frozenset[str]] = frozenset()
    _INT: ClassVar[frozenset[str]] = frozenset()
    _FLOAT: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def _spec(cls) -> tuple[dict[str, str], frozenset[str], dict[str, Any]]:
        """Per class, computed once: how each modelled field converts, which default to None, and
        every modelled field's default (all immutable: none but `extra` has a factory)."""
        spec = _SPECS.get(cls)
        if spec is None:
            modelled = [f for f in fields(cls) if f.name != "extra"]
            if any(f.default is MISSING for f in modelled):
                raise TypeError(f"{cls.__name__}: every modelled field needs a plain default")
            kinds = {f.name: "json" if f.name in cls._JSON else "int" if f.name in cls._INT
                     else "float" if f.name in cls._FLOAT else "str" for f in modelled}
            kinds[VERSION] = "version"
            spec = _SPECS[cls] = (kinds, frozenset(f.name for f in modelled if f.default is None),
                                  {f.name: f.default for f in modelled})
        return spec

    @classmethod
    def from_hash(cls: type[_R], h: Mapping[str, str]) -> _R:
        """The record a stored hash holds. Built without the dataclass's `__init__`, which sets each
        of ~25 fields through `object.__setattr__` (frozen) and was most of a read's cost; the result
        is the same object `cls(**fields)` would make (a test checks it)."""
        kinds, nullable, defaults = cls._spec()
        values: dict[str, Any] = {}
        extra: dict[str, str] = {}
        for name, raw in h.items():
            kind = kinds.get(name)
            if kind is None:
                extra[name] = raw
                continue
            if kind == "str":
                values[name] = raw
                continue
            if kind == "version":
                continue
            value = (_freeze(fastjson.loads(raw)) if raw else None) if kind == "json" else \
                _int(raw) if kind == "int" else _float(raw)
            if value is not None or name in nullable:
                values[name] = value
        record = object.__new__(cls)
        state = record.__dict__
        state.update(defaults)
        state.update(values)
        state["extra"] = extra
        return record

    def to_hash(self) -> dict[str, str]:
        """The stored form. Never the version field (`agents.state.VERSION`, not read into a record):
        only the transaction appliers write it, so a record written back cannot restore an older one."""
        out = dict(self.extra)
        for f in fields(self):
            if f.name == "extra":
                continue
            value = getattr(self, f.name)
            if f.name in self._JSON:
                out[f.name] = "" if value is None else _json(_thaw(value))
            elif f.name in self._INT or f.name in self._FLOAT:
                out[f.name] = _num(value)
            else:
                out[f.name] = value
        return out


_SPECS: dict[type, tuple[dict[str, str], frozenset[str], dict[str, Any]]] = {}


def _freeze(value: Any) -> Any:
    """JSON lists as tuples (records are immutable); objects stay dicts."""
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


def _thaw(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_thaw(v) for v in value]
    return value


@dataclass(frozen=True)
class CallRec(_Record):
    """A call known to the ACD: where it waits or who has it, and what it carries."""

    call_id: str = ""
    queue_id: str = ""
    center: str = ""
    topic: str = ""
    state: str = ""
    priority: int = 0
    caller: str = ""
    language: str = "zh"
    context: dict | None = None
    score: float = 0.0
    queued_at: float = 0.0
    first_at: float = 0.0
    agent_id: int | None = None
    overflow: str = ""
    journey: tuple[str, ...] = ()
    max_wait: float | None = None
    notes: tuple[dict, ...] | None = None
    cb_number: str = ""
    offered_at: float | None = None
    answered_at: float | None = None
    held: float | None = None
    hold_ms: int = 0
    ended_at: float | None = None
    end_reason: str = ""
    transferred_by: int | None = None

    _JSON: ClassVar[frozenset[str]] = frozenset({"context", "journey", "notes"})
    _INT: ClassVar[frozenset[str]] = frozenset({"priority", "agent_id", "hold_ms", "transferred_by"})
    _FLOAT: ClassVar[frozenset[str]] = frozenset({"score", "queued_at", "first_at", "max_wait", "offered_at",
                                                  "answered_at", "held", "ended_at"})

    @property
    def waiting(self) -> bool:
        return self.state in ("waiting", "callback")

    @property
    def channel(self) -> str | None:
        """The voice channel the call came in on (only agents it can reach may take it)."""
        return (self.context or {}).get("channel")


@dataclass(frozen=True)
class AgentRec(_Record):
    """A logged-in (or once logged-in) agent's real-time state."""

    id: int = 0
    name: str = ""
    center: str = ""
    skills: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    level: int = 0
    endpoint: str = ""
    endpoints: dict | None = None
    pools: tuple[str, ...] = ()
    state: str = "logged_out"
    reason: str = ""
    since: float = 0.0
    idle_since: float | None = None
    call_id: str = ""
    offer_until: float | None = None
    wrap_until: float | None = None
    answered_at: float | None = None
    call_queue: str = ""
    call_center: str = ""
    device: str = ""

    _JSON: ClassVar[frozenset[str]] = frozenset({"skills", "languages", "endpoints", "pools"})
    _INT: ClassVar[frozenset[str]] = frozenset({"id", "level"})
    _FLOAT: ClassVar[frozenset[str]] = frozenset({"since", "idle_since", "offer_until", "wrap_until",
                                                  "answered_at"})

    @property
    def deadline(self) -> float | None:
        """When the current offer or wrap-up ends (None in other states)."""
        return self.offer_until if self.state == "offered" else self.wrap_until if self.state == "wrap_up" else None
