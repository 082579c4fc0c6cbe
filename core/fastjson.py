"""JSON text on the hot paths (a call's engine state, the ACD's Redis transactions, events between
nodes, JSON columns) through orjson, with the standard library's output where it matters.

orjson serialises in C, 4–8× faster than `json` on a call's state. What differs from `json.dumps`
and is kept the same here: keys that are not strings are written as strings (`OPT_NON_STR_KEYS`), and
datetimes go through `default` (`str(dt)`, as before) instead of orjson's own ISO form. Non-ASCII
text is written as UTF-8, as `ensure_ascii=False` did. One difference is kept: NaN and infinities
are written as `null` (json wrote `NaN`/`Infinity`, which is not JSON and which neither Redis's cjson
nor PostgreSQL reads). Not for text that is hashed or signed (the audit chain): its bytes must
never change with a library."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import orjson

_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def dumps(value: Any, default: Callable[[Any], Any] | None = None) -> str:
    """`json.dumps(value, ensure_ascii=False, default=default)` in compact form. What orjson refuses
    and `json` takes (an integer beyond 64 bits, say) goes through `json`: same text or same error."""
    try:
        return orjson.dumps(value, default=default, option=_OPTIONS).decode()
    except orjson.JSONEncodeError:
        return json.dumps(value, ensure_ascii=False, default=default, separators=(",", ":"))


def loads(text: str | bytes) -> Any:
    return orjson.loads(text)
