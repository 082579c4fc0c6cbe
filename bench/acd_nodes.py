"""`hotline bench acd --nodes N`: N nodes (separate processes, each its own platform) on one Redis and
one database drive the same load at once, while the parent checks the shared state for double
assignments (`agents.consistency`, one atomic snapshot per check) throughout.

The parent prepares the state (directory, agents logged in and busy, calls waiting), then hands each
node its share of the busy agents; every node then repeats [route+enqueue] + [end+wrap-up+match+accept]
on its own agents, so the nodes compete for the same waiting calls and the same idle agents.
"""

from __future__ import annotations

import multiprocessing as mp
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import click


def _node_platform(tmp: Path, redis_url: str, prefix: str, node: str, at: float) -> Any:
    from datetime import UTC, datetime

    from core.clock import FakeClock
    from core.events import InProcessBus
    from core.settings import Settings
    from core.state import RedisStore
    from hotline.platform import Platform

    clock = FakeClock(datetime.fromtimestamp(at, tz=UTC))
    settings = Settings(data_dir=tmp, database_url=f"sqlite:///{tmp / 'hotline.db'}",
                        records_database_url=f"sqlite:///{tmp / 'records.db'}", redis_url=None,
                        secret_key="bench", handoff_secret="bench", node_id=node)
    return Platform(settings, clock=clock, store=RedisStore(redis_url, prefix=prefix),
                    bus=InProcessBus(node, clock))


def _node(tmp: str, redis_url: str, prefix: str, node: str, at: float, agents: list[int], callers: list[str],
          ops: int, seed: int, start: Any, out: Any) -> None:
    """One node's run (in its own process): wait for the others, drive `ops` cycles, report."""
    from agents.domain import AcdError
    from bench.acd import Load

    platform = _node_platform(Path(tmp), redis_url, prefix, node, at)
    load = Load(platform, random.Random(seed), callers, tag=f"{node}-")
    load.busy = list(agents)
    refused = 0
    try:
        start.wait()
        t0, c0 = time.perf_counter(), time.process_time()
        lat: list[float] = []
        for _ in range(ops):
            platform.clock.advance(0.05)
            t = time.perf_counter()
            try:
                load.new_call()
                load.finish_one()
            except AcdError:  # another node took the call or the agent first: a refusal, not a fault
                refused += 1
            lat.append(time.perf_counter() - t)
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
        out.put({"node": node, "decisions": 2 * ops, "elapsed": elapsed, "cpu": cpu, "refused": refused,
                 "p50_ms": 1000 * statistics.median(lat), "started": t0})
    except Exception as exc:  # noqa: BLE001 - reported by the parent
        out.put({"node": node, "error": f"{type(exc).__name__}: {exc}"})
    finally:
        platform.close()


def run_nodes(nodes: int, *, agents: int, waiting: int, ops: int, redis_url: str, seed: int,
              every_s: float = 0.25) -> dict[str, Any]:
    from agents import consistency
    from bench.acd import _platform, drop_prefix, prepare

    ctx = mp.get_context("spawn")  # each node starts clean, as a separate node would
    with tempfile.TemporaryDirectory() as tmp:
        platform, clock, prefix = _platform(Path(tmp), "redis", redis_url)
        assert prefix is not None
        try:
            load = prepare(platform, agents, waiting, random.Random(seed))
            before = consistency.check(platform.store)
            shares = [load.busy[i::nodes] for i in range(nodes)]
            start, out = ctx.Barrier(nodes + 1), ctx.Queue()
            procs = [ctx.Process(target=_node, args=(tmp, redis_url, prefix, f"node-{chr(97 + i)}",
                                                     clock.time(), shares[i], load.callers, ops, seed + i + 1,
                                                     start, out))
                     for i in range(nodes)]
            for proc in procs:
                proc.start()
            start.wait()
            checks, faults, check_ms = 0, [], []
            while any(p.is_alive() for p in procs) and out.qsize() < nodes:
                t = time.perf_counter()
                found = consistency.check(platform.store)
                check_ms.append(1000 * (time.perf_counter() - t))
                checks += 1
                faults.extend(found)
                time.sleep(every_s)
            results = [out.get(timeout=600) for _ in procs]
            for proc in procs:
                proc.join(timeout=60)
            after = consistency.check(platform.store)
        finally:
            platform.close()
            drop_prefix(redis_url, prefix)
    errors = [r for r in results if "error" in r]
    if errors:
        raise RuntimeError("; ".join(f"{r['node']}: {r['error']}" for r in errors))
    first = min(r["started"] for r in results)
    window = max(r["started"] + r["elapsed"] for r in results) - first
    return {"nodes": results, "together_per_s": sum(r["decisions"] for r in results) / window,
            "checks": checks, "faults": faults + after, "faults_before": before,
            "check_ms": statistics.median(check_ms) if check_ms else None}


def report(result: dict[str, Any], single_redis_per_s: float | None) -> None:
    for r in result["nodes"]:
        click.echo(f"  {r['node']}: {r['decisions'] / r['elapsed']:.0f} decisions/s, "
                   f"{1000 * r['cpu'] / r['decisions']:.2f} CPU ms/decision, cycle p50 {r['p50_ms']:.2f} ms, "
                   f"{r['refused']} refused (another node was first)")
    line = f"  together: {result['together_per_s']:.0f} decisions/s"
    if single_redis_per_s:
        line += f" ({result['together_per_s'] / single_redis_per_s:.2f}x one node on Redis in this run)"
    click.echo(line)
    check = f", median {result['check_ms']:.0f} ms each" if result["check_ms"] is not None else ""
    click.echo(f"  double-assignment checks during the load: {result['checks']}{check}; "
               f"faults found: {len(result['faults'])}"
               + (f" (first: {result['faults'][0]})" if result["faults"] else ""))
