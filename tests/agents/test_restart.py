"""Statistics survive a restart of an in-process node: the open 15-minute interval is written to the
database as it happens, and a fresh store gets today's counters and the open interval back, so the
day figures, the interval history and the agent report agree after a restart (or a SIGKILL)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from agents import stats
from core.clock import FakeClock
from core.state import MemoryStore
from tests.agents.conftest import add_agent, call, make_platform


def test_a_restart_loses_no_counts(tmp_path: Path) -> None:
    clock = FakeClock()
    clock.advance(60 - clock.time() % 900)  # one minute into an interval: the calls below stay inside it
    first = make_platform(tmp_path, clock, MemoryStore(clock))
    agent = add_agent(first, "a", "44", ("pension",), ready=True)
    for n in range(3):
        first.agents.enqueue(call(f"c{n}", "44-pension", caller=None))
        first.agents.accept(agent, f"c{n}")
        clock.advance(30)
        first.agents.end_call(f"c{n}")
        first.agents.wrap_up(agent, "resolved")
    first.agents.enqueue(call("gone", "44-pension", caller=None))  # offered to the agent, the caller hangs up
    first.agents.abandon("gone")
    first.agents.tick()  # the timer writes the open interval
    before = first.agents.stats("national")
    assert (before["offered"], before["answered"], before["abandoned"], before["handled"]) == (4, 3, 1, 3)
    first.close()  # the node stops (or is killed): its in-process store is gone

    second = make_platform(tmp_path, clock, MemoryStore(clock))
    second.agents.tick()  # the restarted node's first tick restores the counters
    after = second.agents.stats("national")
    assert {k: after[k] for k in ("offered", "answered", "abandoned", "handled")} == \
        {k: before[k] for k in ("offered", "answered", "abandoned", "handled")}
    assert second.agents.stats("center:44")["offered"] == 4 and second.agents.stats("queue:44-pension")["handled"] == 3
    second.agents.tick()  # restoring happens once: a second tick does not add the counts again
    assert second.agents.stats("national")["offered"] == 4

    # the interval goes on counting after the restart, and is stored whole when it closes
    second.agents.login(agent)
    second.agents.set_ready(agent)
    second.agents.enqueue(call("c9", "44-pension", caller=None))
    clock.advance(900)
    second.agents.tick()
    since = clock.now() - timedelta(hours=1)
    rows = second.agents.history("national", since, clock.now())
    assert rows[0]["offered"] == 5 and rows[0]["handled"] == 3 and rows[0]["abandoned"] == 1
    handled = second.agents.handled_by_agent(since, clock.now())
    assert sum(r["handled"] for r in handled) == rows[0]["handled"]
    assert handled[0]["login"] == "a"  # agents with the same display name are told apart by login
    assert second.agents.counters("national", stats.day_bucket(clock.time()))["offered"] == 5
    second.close()
