"""Conditions of `branch` nodes, evaluated against a call.

```yaml
cases:
  - when: {hours: closed}                  # open | closed | holiday | emergency | makeup_workday | overflow
    goto: after_hours
  - when: {time: "12:00-13:00"}            # Beijing time, start inclusive, end exclusive
    goto: lunch
  - when: {province: ["44", "51"]}         # the call's province (confirmed or detected)
    goto: south
  - when: {var: language, equals: en}      # also: in: [...], set: true, gt: 3, lt: 3
    goto: english
  - when: {ewt_over: 300}                  # estimated wait of the call's queue, seconds
    goto: offer_callback
  - when: {weekday: [6, 7]}                # ISO weekday, 1 = Monday
    goto: weekend
  - when: {any: [{...}, {...}]}            # also all: [...], not: {...}
    goto: somewhere
```
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

KEYS = ("hours", "time", "province", "var", "ewt_over", "weekday", "any", "all", "not", "channel", "language")


@dataclass
class Facts:
    """What a condition may look at; hours and EWT are fetched only when a condition asks."""

    local_now: datetime
    variables: Mapping[str, Any]
    hours: Callable[[], Any]  # -> switch HoursState (open, reason)
    ewt: Callable[[], int | None]


def hours_labels(state: Any) -> set[str]:
    """The labels a `hours:` condition matches for a switch HoursState."""
    is_open = bool(getattr(state, "open", False))
    reason = str(getattr(state, "reason", ""))
    labels = {"open" if is_open else "closed", reason}
    if not is_open and reason in ("override",):
        labels.add("holiday")
    return labels


def _hhmm(text: str) -> time:
    h, m = str(text).split(":")
    return time(int(h), int(m))


def evaluate(cond: Any, facts: Facts) -> bool:
    if isinstance(cond, bool):
        return cond
    if not isinstance(cond, dict) or not cond:
        raise ValueError(f"a condition must be a mapping with one of {KEYS}, not {cond!r}")
    results = []
    for key, value in cond.items():
        if key in ("equals", "in", "set", "gt", "lt"):
            continue  # operands of `var`
        results.append(_one(key, value, cond, facts))
    return all(results)


def _one(key: str, value: Any, cond: dict, facts: Facts) -> bool:
    if key == "any":
        return any(evaluate(c, facts) for c in value)
    if key == "all":
        return all(evaluate(c, facts) for c in value)
    if key == "not":
        return not evaluate(value, facts)
    if key == "hours":
        wanted = {value} if isinstance(value, str) else set(value)
        return bool(wanted & hours_labels(facts.hours()))
    if key == "time":
        start, _, end = str(value).partition("-")
        now = facts.local_now.time()
        a, b = _hhmm(start), _hhmm(end)
        return a <= now < b if a <= b else (now >= a or now < b)
    if key == "weekday":
        days = {int(d) for d in (value if isinstance(value, list) else [value])}
        return facts.local_now.isoweekday() in days
    if key == "province":
        codes = {str(v) for v in (value if isinstance(value, list) else [value])}
        return str(facts.variables.get("province")) in codes
    if key in ("channel", "language"):
        return str(facts.variables.get(key)) == str(value)
    if key == "ewt_over":
        ewt = facts.ewt()
        return ewt is not None and ewt > float(value)
    if key == "var":
        current = facts.variables.get(str(value))
        if "equals" in cond:
            return bool(current == cond["equals"] or str(current) == str(cond["equals"]))
        if "in" in cond:
            return current in cond["in"] or str(current) in {str(x) for x in cond["in"]}
        if "gt" in cond or "lt" in cond:
            try:
                number = float(current)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                return False
            return ("gt" not in cond or number > float(cond["gt"])) and ("lt" not in cond or number < float(cond["lt"]))
        return bool(current) == bool(cond.get("set", True))
    raise ValueError(f"unknown condition {key!r}; expected one of {KEYS}")
