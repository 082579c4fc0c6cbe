"""`hotline bench ivr`: simulated calls per second through the default 12333 flow on one core (one
thread, real services on SQLite with the demo data, simulated clock), and memory per active call
(tracemalloc around N calls parked at a menu, plus the size of each call's JSON state)."""

from __future__ import annotations

import json
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import click

from bench.cli import machine_line
from hotline.platform import Platform

# One of each kind of call, repeated: knowledge + SMS, agent + survey, records, errors.
MIX = (
    ("kb+sms", "1 1 1 1"),
    ("agent+survey", "0 1 2"),
    ("records", "7 1 11010519491231002X# 1 1 246810# 9 h"),
    ("errors", "8 - 5 8 - 7 h"),
    ("card kb", "6 2 2 1"),
)


def build_platform(folder: Path) -> Any:
    from core.clock import FakeClock
    from core.events import InProcessBus
    from core.settings import Settings
    from core.state import MemoryStore
    from hotline.demo import load_demo
    from hotline.platform import Platform

    clock = FakeClock()  # 10:00 Beijing on a working day: agents are open
    settings = Settings(data_dir=folder, database_url=f"sqlite:///{folder / 'hotline.db'}",
                        records_database_url=f"sqlite:///{folder / 'core-records.db'}", redis_url=None,
                        secret_key="bench", handoff_secret="bench", node_id="bench")
    platform = Platform(settings, clock=clock, store=MemoryStore(clock), bus=InProcessBus("bench", clock))
    platform.migrate()
    load_demo(platform)
    return platform


def run_calls(platform: Platform, n: int, by_kind: dict[str, list[float]] | None = None
              ) -> tuple[float, list[float], dict[str, int]]:
    from ivr.simulator import ScriptedCaller, Simulator

    durations: list[float] = []
    outcomes: dict[str, int] = {}
    start = time.perf_counter()
    for i in range(n):
        kind, keys = MIX[i % len(MIX)]
        t0 = time.perf_counter()
        result = Simulator(platform, ScriptedCaller(keys), answer_after_s=10, talk_s=30).run(caller="13800138000")
        durations.append(time.perf_counter() - t0)
        if by_kind is not None:
            by_kind.setdefault(kind, []).append(durations[-1])
        outcomes[result.outcome] = outcomes.get(result.outcome, 0) + 1
        platform.clock.advance(5)
    return time.perf_counter() - start, durations, outcomes


def active_call_memory(platform: Platform, n: int) -> tuple[float, float]:
    """Bytes allocated per call parked at the pension menu, and the mean JSON state size."""
    from ivr.actions import Digits

    ivr = platform.ivr
    ivr.start_call(call_id="warm-up", caller="13800138000", called="12333", channel="bench")
    ivr.hangup("warm-up")
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    ids = [f"mem-{i}" for i in range(n)]
    for call_id in ids:
        ivr.start_call(call_id=call_id, caller="13800138000", called="12333", channel="bench")
        ivr.resume(call_id, Digits("1"))
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    grown = sum(s.size_diff for s in after.compare_to(before, "filename"))
    sizes = [len(platform.store.get(f"ivr:call:{c}") or "") for c in ids]
    for call_id in ids:
        ivr.hangup(call_id)
    return grown / n, statistics.mean(sizes)


@click.command("ivr")
@click.option("--calls", default=100, show_default=True, help="Simulated calls per round.")
@click.option("--rounds", default=3, show_default=True)
@click.option("--active", default=300, show_default=True, help="Calls kept active for the memory figure.")
def command(calls: int, rounds: int, active: int) -> None:
    """Calls per second through the default flow and memory per active call."""
    click.echo(machine_line())
    with tempfile.TemporaryDirectory(prefix="bench-ivr-") as tmp:
        t = time.perf_counter()
        platform = build_platform(Path(tmp))
        click.echo(f"setup (migrate + demo data): {time.perf_counter() - t:.1f}s")
        try:
            run_calls(platform, len(MIX))  # warm caches (intent model, search index, prompt catalog)
            rates, per_call = [], []
            outcomes: dict[str, int] = {}
            by_kind: dict[str, list[float]] = {}
            for _ in range(rounds):
                wall, durations, seen = run_calls(platform, calls, by_kind)
                rates.append(calls / wall)
                per_call.extend(durations)
                for k, v in seen.items():
                    outcomes[k] = outcomes.get(k, 0) + v
            per_call.sort()
            p50 = per_call[len(per_call) // 2] * 1000
            p99 = per_call[min(len(per_call) - 1, int(len(per_call) * 0.99))] * 1000
            click.echo(f"calls through the default flow (mix: {', '.join(name for name, _ in MIX)}), one thread:")
            click.echo(f"  {calls} calls x {rounds} rounds: median {statistics.median(rates):.1f} calls/s "
                       f"(rounds: {', '.join(f'{r:.1f}' for r in rates)})")
            click.echo(f"  per call: p50 {p50:.1f} ms, p99 {p99:.1f} ms; outcomes {json.dumps(outcomes)}")
            click.echo("  median per kind: " + ", ".join(f"{k} {statistics.median(v) * 1000:.1f} ms"
                                                      for k, v in by_kind.items())
                       + " (records: dominated by argon2 password verification in records/)")
            others = [d for k, v in by_kind.items() if k != "records" for d in v]
            click.echo(f"  without the records branch: {len(others) / sum(others):.1f} calls/s")
            per_active, state_size = active_call_memory(platform, active)
            click.echo(f"memory per active call ({active} calls parked at a menu): {per_active / 1024:.1f} KiB "
                       f"allocated (tracemalloc), JSON state {state_size / 1024:.1f} KiB")
        finally:
            platform.close()
