"""Statistics counters: every transition adds to per-interval and per-day hashes of three scopes
(queue, center, national) inside the same atomic transaction; closed 15-minute intervals are copied
to the database (`acd_interval_stats`) for reports."""

from __future__ import annotations

import functools
from datetime import UTC, datetime, tzinfo

from core.clock import local_zone
from core.testcalls import TEST_SCOPE_PREFIX

INTERVAL = 900
METRICS = ("offered", "answered", "answered_sl", "abandoned", "handled", "rna", "wait_ms", "handle_ms")


def interval_start(ts: float) -> int:
    return int(ts // INTERVAL * INTERVAL)


def day_bucket(ts: float) -> str:
    return _day_of_interval(interval_start(ts), local_zone())


@functools.lru_cache(maxsize=256)
def _day_of_interval(start: int, zone: tzinfo) -> str:
    """The local day of a 15-minute interval: every zone's offset, and every change of it, falls on a
    quarter hour, so an interval never spans two local days (worked out once per interval)."""
    return "d" + datetime.fromtimestamp(start, UTC).astimezone(zone).strftime("%Y%m%d")


def scopes(queue_id: str, center_code: str) -> tuple[str, ...]:
    return (f"queue:{queue_id}", f"center:{center_code}", "national")


def stat_key(bucket: str | int, scope: str) -> str:
    return f"acd:st:{bucket}:{scope}"


def index_key(start: int) -> str:
    """The set of scopes counted in the interval starting at `start` (so the timer's persisting of the
    open interval reads them without scanning the keyspace)."""
    return f"acd:stk:{start}"


def changed_key(start: int) -> str:
    """The scopes whose counters in the interval starting at `start` changed since the timer last
    wrote them to the database (so it reads and writes only those)."""
    return f"acd:stc:{start}"


def count_ops(ts: float, queue_id: str, center_code: str, *, test: bool = False, **amounts: int) -> list[list]:
    """Transaction operations adding `amounts` to every scope of the call, interval and day. A test
    call (`core.testcalls`) counts in the same scopes prefixed `test:`, which reports leave out."""
    ops: list[list] = []
    prefix = TEST_SCOPE_PREFIX if test else ""
    for bucket in (interval_start(ts), day_bucket(ts)):
        for scope in scopes(queue_id, center_code):
            scope = prefix + scope
            ops.extend(["hincr", stat_key(bucket, scope), m, n] for m, n in amounts.items() if n)
    start = interval_start(ts)
    if ops:
        for scope in scopes(queue_id, center_code):
            ops += [["sadd", index_key(start), prefix + scope], ["sadd", changed_key(start), prefix + scope]]
    return ops


def normalise_scope(scope: str) -> str:
    """Accept "national", "00"(national), "44", "center:44", "44-pension", "queue:44-pension"."""
    if scope in ("national", "all", ""):
        return "national"
    if scope.startswith(("center:", "queue:")):
        return scope
    return f"queue:{scope}" if "-" in scope else f"center:{scope}"
