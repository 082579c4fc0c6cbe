"""The ACD's decisions as pure functions of their inputs: queue order, overflow tiers (bullseye),
longest-idle agent selection, estimated wait and the sentence announcing it. No clock, no store."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from core.topics import GENERAL

#: Overflow tiers (bullseye), owned by the ACD: after `after` seconds of waiting the call may also
#: go to these pools.
#: A pool is (center, topic); "{center}" is the call's own center, "{topic}" its topic, "*" any center.
DEFAULT_TIERS: tuple[tuple[int, tuple[tuple[str, str], ...]], ...] = (
    (0, (("{center}", "{topic}"),)),
    (60, (("{center}", GENERAL),)),
    (120, (("00", "{topic}"), ("00", GENERAL))),
    (300, (("*", "{topic}"),)),
)

PRIORITY_STEP = 1_000_000.0  # seconds: a higher priority class always goes first
DEFAULT_AHT = 180.0


def queue_score(priority: int, queued_at: float) -> float:
    """Lower is served first: priority class, then arrival time."""
    return queued_at - priority * PRIORITY_STEP


def head_score(current_head: float | None, own: float) -> float:
    """Score that puts a call back at the head of its queue (after ring-no-answer)."""
    return own if current_head is None else min(own, current_head - 1.0)


def pools_for_wait(center: str, topic: str, waited: float, all_centers: Iterable[str],
                   tiers: Sequence[tuple[int, Sequence[tuple[str, str]]]] = DEFAULT_TIERS) -> list[tuple[str, str]]:
    """The (center, topic) agent pools a call may be offered to after `waited` seconds: each tier
    whose threshold has passed widens the set (own skill, then general, national, every center)."""
    out: list[tuple[str, str]] = []
    for after, pools in tiers:
        if waited < after:
            break
        for c, t in pools:
            t = topic if t == "{topic}" else t
            centers = list(all_centers) if c == "*" else [center if c == "{center}" else c]
            for code in centers:
                if (code, t) not in out:
                    out.append((code, t))
    return out


def min_wait_for(agent_center: str, skills: frozenset[str], queue_center: str, queue_topic: str,
                 tiers: Sequence[tuple[int, Sequence[tuple[str, str]]]] = DEFAULT_TIERS) -> int | None:
    """How long a call of (queue_center, queue_topic) must wait before this agent may take it;
    None if never. The inverse view of `pools_for_wait`, used when an agent becomes ready."""
    for after, pools in tiers:
        for c, t in pools:
            topic = queue_topic if t == "{topic}" else t
            center_ok = c == "*" or (c == "{center}" and agent_center == queue_center) or c == agent_center
            if center_ok and topic in skills:
                return after
    return None


def next_widen(waited: float, tiers: Sequence[tuple[int, Sequence[tuple[str, str]]]] = DEFAULT_TIERS) -> float | None:
    """Seconds until a call that has waited `waited` reaches its next tier; None past the last one."""
    return next((after - waited for after, _ in tiers if after > waited), None)


def tier_of(waited: float, tiers: Sequence[tuple[int, Sequence[tuple[str, str]]]] = DEFAULT_TIERS) -> int:
    return max(i for i, (after, _) in enumerate(tiers) if waited >= after)


@dataclass(frozen=True)
class Candidate:
    agent_id: int
    idle_since: float
    languages: tuple[str, ...]
    level: int
    state: str


def pick_agent(candidates: Iterable[Candidate], language: str, min_level: int = 0) -> Candidate | None:
    """Longest-idle ready agent who speaks the caller's language; ties go to the higher level."""
    eligible = [c for c in candidates if c.state == "ready" and language in c.languages and c.level >= min_level]
    if not eligible:
        return None
    return min(eligible, key=lambda c: (c.idle_since, -c.level, c.agent_id))


AHT_ALPHA = 0.2  # weight of the newest handle time in the rolling AHT


def rolling_aht(previous: float | None, sample: float, alpha: float = AHT_ALPHA) -> float:
    """Exponentially weighted handle time: recent calls count most."""
    return sample if previous is None else previous + alpha * (sample - previous)


def estimated_wait(ahead: int, aht: float | None, staffed: int) -> int | None:
    """Seconds until this call is answered: the calls ahead plus this one, served by the staffed
    agents at the rolling handle time. None when nobody is staffed (no basis for an estimate)."""
    if staffed <= 0:
        return None
    return math.ceil((ahead + 1) * (aht or DEFAULT_AHT) / staffed)


def wait_text(ahead: int | None, ewt: int | None) -> str:
    """The sentence the IVR reads: '您前面还有3位，预计等待2分钟'."""
    if ahead is None:
        return ""
    head = "您前面没有其他来电" if ahead == 0 else f"您前面还有{ahead}位"
    if ewt is None:
        return f"{head}，请耐心等待"
    minutes = max(1, math.ceil(ewt / 60))
    return f"{head}，预计等待{minutes}分钟"


def service_figures(c: dict[str, int], sl_seconds: int) -> dict:
    """Derived figures from interval counters. Service level = answered within `sl_seconds` ÷ calls
    that left the queue (answered + abandoned); ASA over answered calls; AHT = talk + hold + wrap-up."""
    offered, answered, abandoned = c.get("offered", 0), c.get("answered", 0), c.get("abandoned", 0)
    handled = c.get("handled", 0)
    left = answered + abandoned
    return {
        "offered": offered, "answered": answered, "abandoned": abandoned, "handled": handled,
        "answered_in_sl": c.get("answered_sl", 0), "ring_no_answer": c.get("rna", 0),
        "service_level": round(c.get("answered_sl", 0) / left, 4) if left else None,
        "sl_threshold": sl_seconds,
        "asa": round(c.get("wait_ms", 0) / 1000 / answered, 1) if answered else None,
        "aht": round(c.get("handle_ms", 0) / 1000 / handled, 1) if handled else None,
        "abandonment_rate": round(abandoned / left, 4) if left else None,
    }
