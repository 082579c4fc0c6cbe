"""The ACD's pure decisions, without clock or store."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from agents import policy
from agents.policy import Candidate
from core.topics import TOPICS

CENTERS = ["11", "44", "51", "00"]


def test_queue_order_priority_then_arrival() -> None:
    calls = {"old": policy.queue_score(0, 100.0), "new": policy.queue_score(0, 200.0),
             "elderly_late": policy.queue_score(1, 500.0), "callback": policy.queue_score(2, 900.0)}
    assert sorted(calls, key=calls.get) == ["callback", "elderly_late", "old", "new"]
    assert policy.head_score(50.0, 120.0) == 49.0 and policy.head_score(None, 120.0) == 120.0


def test_tiers_widen_with_wait() -> None:
    assert policy.pools_for_wait("44", "pension", 0, CENTERS) == [("44", "pension")]
    assert policy.pools_for_wait("44", "pension", 60, CENTERS)[-1] == ("44", "general")
    assert ("00", "pension") in policy.pools_for_wait("44", "pension", 120, CENTERS)
    wide = policy.pools_for_wait("44", "pension", 300, CENTERS)
    assert {c for c, t in wide if t == "pension"} == set(CENTERS)
    assert policy.tier_of(0) == 0 and policy.tier_of(130) == 2


@given(st.sampled_from(CENTERS), st.frozensets(st.sampled_from(sorted(TOPICS)), min_size=1),
       st.sampled_from(CENTERS), st.sampled_from(sorted(TOPICS)), st.integers(0, 400))
def test_min_wait_is_the_inverse_of_pools(agent_center, skills, queue_center, topic, waited) -> None:  # type: ignore[no-untyped-def]
    pools = policy.pools_for_wait(queue_center, topic, waited, CENTERS)
    reachable = any(c == agent_center and t in skills for c, t in pools)
    need = policy.min_wait_for(agent_center, skills, queue_center, topic)
    assert reachable == (need is not None and waited >= need)


def test_longest_idle_speaking_the_language() -> None:
    cands = [Candidate(1, 100.0, ("zh",), 1, "ready"), Candidate(2, 50.0, ("zh",), 1, "offered"),
             Candidate(3, 80.0, ("zh", "yue"), 2, "ready"), Candidate(4, 80.0, ("zh",), 3, "ready")]
    assert policy.pick_agent(cands, "zh").agent_id == 4  # 80 s idle tie: the higher level
    assert policy.pick_agent(cands, "yue").agent_id == 3
    assert policy.pick_agent(cands, "en") is None
    assert policy.pick_agent(cands, "zh", min_level=3).agent_id == 4


def test_estimated_wait_and_text() -> None:
    assert policy.estimated_wait(3, 120.0, 2) == 240
    assert policy.estimated_wait(3, None, 0) is None
    assert policy.wait_text(3, 120) == "您前面还有3位，预计等待2分钟"
    assert policy.wait_text(0, 10) == "您前面没有其他来电，预计等待1分钟"
    assert policy.wait_text(4, None) == "您前面还有4位，请耐心等待"
    assert policy.rolling_aht(None, 100) == 100 and policy.rolling_aht(100, 200) == 120


def test_service_figures() -> None:
    f = policy.service_figures({"offered": 10, "answered": 8, "answered_sl": 6, "abandoned": 2, "handled": 8,
                                "wait_ms": 80_000, "handle_ms": 1_600_000}, 15)
    assert (f["service_level"], f["asa"], f["aht"], f["abandonment_rate"]) == (0.6, 10.0, 200.0, 0.2)
    assert policy.service_figures({}, 15)["service_level"] is None


def test_next_widen_is_the_time_to_the_next_tier() -> None:
    assert policy.next_widen(0) == 60
    assert policy.next_widen(59.5) == 0.5
    assert policy.next_widen(60) == 60  # at 60 s the general tier is reached; national at 120 s
    assert policy.next_widen(250) == 50
    assert policy.next_widen(300) is None  # every tier reached
    for waited in (0, 30, 60, 119, 200, 299):
        later = waited + policy.next_widen(waited)
        assert policy.tier_of(later) == policy.tier_of(waited) + 1


TOPIC_NAMES = sorted(TOPICS)
QUEUES = [f"{c}-{t}" for c in CENTERS for t in TOPIC_NAMES]


@given(st.lists(st.tuples(st.sampled_from(CENTERS), st.frozensets(st.sampled_from(TOPIC_NAMES), max_size=3),
                          st.frozensets(st.sampled_from(QUEUES))), max_size=12))
def test_an_agents_reach_remembered_per_profile_equals_working_it_out(steps) -> None:  # type: ignore[no-untyped-def]
    """`matching._reach` remembers per (center, skills) the queues it has worked out; whatever order the
    active sets come in, it answers exactly what `policy.min_wait_for` says of each active queue."""
    from agents import matching

    matching._profile.cache_clear()
    for center, skills, active in steps:
        expected = {q: w for q in active
                    if (w := policy.min_wait_for(center, skills, *q.split("-", 1))) is not None}
        assert matching._reach(center, skills, active) == expected


def test_an_agents_reach_stays_whole_when_threads_add_queues_at_once() -> None:
    """Threads that meet new queues of one profile at the same time must not lose each other's."""
    import threading

    from agents import matching

    matching._profile.cache_clear()
    skills = frozenset(TOPICS)
    groups = [set(QUEUES[i::8]) for i in range(8)]
    barrier = threading.Barrier(len(groups))

    def meet(active: set[str]) -> None:
        barrier.wait()
        matching._reach("44", skills, active)

    threads = [threading.Thread(target=meet, args=(g,)) for g in groups]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    everything = set(QUEUES)
    expected = {q: w for q in everything if (w := policy.min_wait_for("44", skills, *q.split("-", 1))) is not None}
    seen, wait = matching._profile("44", skills).known
    assert seen == everything and wait == expected


@given(st.sampled_from(["Asia/Shanghai", "Asia/Kathmandu", "America/St_Johns", "Australia/Lord_Howe",
                        "Europe/London"]),
       st.integers(min_value=946_684_800, max_value=4_102_444_800), st.integers(min_value=0, max_value=999_999))
def test_the_day_counted_is_the_local_day_of_the_moment(zone_name: str, seconds: int, micros: int) -> None:
    """`stats.day_bucket` works out the day once per 15-minute interval; in zones with quarter-hour
    offsets and half-hour daylight-saving shifts it must still name the moment's own local day. The
    moments are whole microseconds (a float half a microsecond before midnight is rounded up to it by
    `datetime` but counted in the interval before by the floor of the interval arithmetic)."""
    from datetime import UTC, datetime

    from agents import stats
    from core.clock import DEFAULT_TIMEZONE, set_timezone

    ts = seconds + micros / 1_000_000
    zone = set_timezone(zone_name)
    try:
        assert stats.day_bucket(ts) == "d" + datetime.fromtimestamp(ts, UTC).astimezone(zone).strftime("%Y%m%d")
    finally:
        set_timezone(DEFAULT_TIMEZONE)


def test_the_day_counted_turns_at_local_midnight() -> None:
    from datetime import datetime, timedelta

    from agents import stats
    from core.clock import DEFAULT_TIMEZONE, set_timezone

    try:
        for name in ("Asia/Shanghai", "Asia/Kathmandu", "America/St_Johns", "Australia/Lord_Howe"):
            zone = set_timezone(name)
            for day in ("2026-03-08", "2026-04-05", "2026-10-04", "2026-11-01", "2026-12-07"):
                midnight = datetime.fromisoformat(day).replace(tzinfo=zone).timestamp()
                before = (datetime.fromisoformat(day) - timedelta(days=1)).strftime("d%Y%m%d")
                assert stats.day_bucket(midnight - 0.001) == before, (name, day)
                assert stats.day_bucket(midnight) == datetime.fromisoformat(day).strftime("d%Y%m%d"), (name, day)
    finally:
        set_timezone(DEFAULT_TIMEZONE)
