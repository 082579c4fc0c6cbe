"""Scoring forms: weighted criteria, each marked pass (full weight), partial (half) or fail (none);
the total is the share of the weights earned, 0..100, and any failed critical criterion makes it 0."""

from __future__ import annotations

import re
from dataclasses import dataclass

MARKS = {"pass": 1.0, "partial": 0.5, "fail": 0.0}
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,31}$")

DEFAULT_CRITERIA = [
    {"key": "greeting", "label": "开场问候规范", "weight": 10, "critical": False},
    {"key": "identity", "label": "身份核验（查询个人信息前）", "weight": 20, "critical": True},
    {"key": "policy", "label": "政策口径准确", "weight": 40, "critical": True},
    {"key": "courtesy", "label": "服务态度与用语文明", "weight": 15, "critical": False},
    {"key": "closing", "label": "结束语与满意度邀评", "weight": 15, "critical": False},
]


@dataclass(frozen=True)
class Result:
    total: float
    critical_failed: bool


def validate(criteria: list[dict]) -> list[dict]:
    """Normalised criteria; a clear ValueError for anything a form cannot hold."""
    if not criteria:
        raise ValueError("a form needs at least one criterion")
    seen: set[str] = set()
    out = []
    for item in criteria:
        key = str(item.get("key", "")).strip()
        if not _KEY.match(key):
            raise ValueError(f"criterion key {key!r}: lower-case letters, digits and _ only")
        if key in seen:
            raise ValueError(f"criterion key {key!r} appears twice")
        seen.add(key)
        try:
            weight = float(item.get("weight", 0))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"criterion {key}: the weight must be a number") from exc
        if weight <= 0:
            raise ValueError(f"criterion {key}: the weight must be more than 0")
        label = str(item.get("label") or key).strip()[:100]
        out.append({"key": key, "label": label, "weight": weight, "critical": bool(item.get("critical"))})
    return out


def parse_lines(text: str) -> list[dict]:
    """The console's form editor: one criterion per line, `key|label|weight|critical(yes/no)`."""
    items = []
    for n, line in enumerate((text or "").splitlines(), 1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        if len(parts) < 3:
            raise ValueError(f"line {n}: expected key|label|weight|critical")
        critical = len(parts) > 3 and parts[3].lower() in ("yes", "y", "true", "1", "是", "critical")
        items.append({"key": parts[0], "label": parts[1], "weight": parts[2], "critical": critical})
    return validate(items)


def score(criteria: list[dict], marks: dict[str, str]) -> Result:
    missing = [c["key"] for c in criteria if marks.get(c["key"]) not in MARKS]
    if missing:
        raise ValueError("mark every criterion (pass, partial or fail): " + ", ".join(missing))
    total_weight = sum(float(c["weight"]) for c in criteria)
    earned = sum(float(c["weight"]) * MARKS[marks[c["key"]]] for c in criteria)
    critical = any(c["critical"] and marks[c["key"]] == "fail" for c in criteria)
    return Result(total=0.0 if critical else round(100.0 * earned / total_weight, 1), critical_failed=critical)
