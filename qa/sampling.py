"""Building the review queue for one ISO week (Beijing time): a random sample of each agent's
recorded calls (`rate`, at least `minimum`), plus every call flagged by a low survey score
(3 = dissatisfied, 4 = very dissatisfied), a complaint (a complaint hold on the recording, or a ticket
opened for the call) or a long handle time. Seeded by week and agent, so a re-run picks the same calls."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import text

from core.clock import local_zone

LOW_SURVEY = 3


def week_of(moment: datetime) -> str:
    year, week, _ = moment.astimezone(local_zone()).isocalendar()
    return f"{year}-W{week:02d}"


def week_bounds(week: str) -> tuple[datetime, datetime]:
    """[Monday 00:00, next Monday 00:00) of an ISO week, Beijing time, as aware datetimes."""
    year, _, n = week.partition("-W")
    monday = date.fromisocalendar(int(year), int(n), 1)
    start = datetime(monday.year, monday.month, monday.day, tzinfo=local_zone())
    return start, start + timedelta(days=7)


@dataclass
class SamplePlan:
    week: str
    picks: dict[int, str] = field(default_factory=dict)  # recording id -> source

    def summary(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for source in self.picks.values():
            out[source] = out.get(source, 0) + 1
        return out


def _ids(db: Any, sql: str, **params: Any) -> set[str]:
    """Call ids from another home's table; none if that home is not installed on this node."""
    try:
        with db.session() as s:
            return {str(r[0]) for r in s.execute(text(sql), params)}
    except Exception:  # noqa: BLE001 - a missing table means no flags of that kind
        return set()


def flagged_calls(db: Any, call_ids: list[str]) -> dict[str, str]:
    """call id -> the first flag that applies (survey, complaint)."""
    if not call_ids:
        return {}
    flags: dict[str, str] = {}
    placeholders = ",".join(f":c{i}" for i in range(len(call_ids)))
    params = {f"c{i}": c for i, c in enumerate(call_ids)}
    for cid in _ids(db, f"SELECT call_id FROM ivr_survey_results WHERE score >= {LOW_SURVEY} "
                        f"AND call_id IN ({placeholders})", **params):
        flags.setdefault(cid, "flag:survey")
    for cid in _ids(db, f"SELECT call_id FROM tickets WHERE call_id IN ({placeholders})", **params):
        flags.setdefault(cid, "flag:complaint")
    return flags


def plan(recordings: list[Any], *, week: str, rate: float, minimum: int, long_handle_s: float,
         db: Any, complaint_holds: set[int], already: set[int]) -> SamplePlan:
    """Which recordings of `week` to review, and why. `already`: recordings with a review."""
    result = SamplePlan(week=week)
    candidates = [r for r in recordings if r.id not in already and r.status == "stored" and r.kind == "agent_leg"]
    flags = flagged_calls(db, sorted({r.call_id for r in candidates}))
    for r in candidates:
        if r.id in complaint_holds:
            result.picks[r.id] = "flag:complaint"
        elif r.call_id in flags:
            result.picks[r.id] = flags[r.call_id]
        elif (r.duration_s or 0) > long_handle_s:
            result.picks[r.id] = "flag:long_handle"
    by_agent: dict[int, list[Any]] = {}
    for r in recordings:
        if r.agent_id is not None and r.status == "stored" and r.kind == "agent_leg":
            by_agent.setdefault(r.agent_id, []).append(r)
    for agent_id, recs in sorted(by_agent.items()):
        want = min(len(recs), max(minimum, math.ceil(rate * len(recs))))
        have = sum(1 for r in recs if r.id in already or result.picks.get(r.id) == "sample")
        pool = sorted((r for r in recs if r.id not in already and r.id not in result.picks), key=lambda r: r.id)
        rng = random.Random(f"{week}:{agent_id}")
        for r in rng.sample(pool, max(0, min(len(pool), want - have))):
            result.picks[r.id] = "sample"
    return result
