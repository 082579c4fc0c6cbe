"""`hotline bench agi`: N emulated Asterisk connections against one FastAGI node, our server and
panoramisk's side by side under the same load generator (loopback only).

Each server runs in its own process (one node = one process, one core) and runs the same AGI
conversation, the one the default flow produces for a caller who goes to an agent: ANSWER, variables,
prompts, GET DATA, music on hold, a hold step, EXEC Dial, HOTLINE_DONE, HANGUP. The load generator
(this process) plays Asterisk. Figures:
  * set-ups/s: calls completed per second with `concurrency` calls in flight;
  * command turnaround: from the generator's reply to the server's next command (p50/p99);
  * memory per held call: the server process's RSS growth with `held` calls parked in the hold step.
`--engine` also measures our server with the real IVR engine on a demo platform (domain cost included:
call start in the engine and the hang-up bookkeeping), twice: as the node starts by default and with
`HOTLINE_NODE_CPU` (all its threads on one CPU, `ours-1cpu`).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import multiprocessing
import os
import random
import shutil
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from bench.cli import machine_line

HOLD_CMD = b"WAIT FOR DIGIT 30000\n"
ENGINE_COMMANDS = 13  # issue 18's unit: the CPU of the default flow's first 13 commands
ENV = (
    "agi_network: yes\nagi_network_script: 12333\nagi_request: agi://127.0.0.1/12333\n"
    "agi_channel: PJSIP/trunk-{n:08x}\nagi_language: en\nagi_type: PJSIP\nagi_uniqueid: 1795600000.{n}\n"
    "agi_version: 22.10.1\nagi_callerid: 13800138000\nagi_calleridname: \nagi_callingpres: 0\n"
    "agi_callingani2: 0\nagi_callington: 0\nagi_callingtns: 0\nagi_dnid: 12333\nagi_rdnis: unknown\n"
    "agi_context: from-national\nagi_extension: 12333\nagi_priority: 5\nagi_enhanced: 0.0\n"
    "agi_accountcode: \nagi_threadid: 140389159900864\n\n"
)
SCRIPT = (
    "ANSWER", "SET VARIABLE HOTLINE_CALL_ID ast-1", 'STREAM FILE hotline/welcome ""',
    "GET DATA hotline/main_menu 5000 1", 'STREAM FILE hotline/province_confirm "0123456789*#"',
    "WAIT FOR DIGIT 5000", 'STREAM FILE hotline/queue_next ""', "SET MUSIC ON default",
    "WAIT FOR DIGIT 30000", "SET MUSIC OFF", "EXEC Dial PJSIP/agent-1,30,g",
    "SET VARIABLE HOTLINE_DONE 1", "HANGUP",
)


# ---------------------------------------------------------------------------------------- servers

def _run_loop(main: Any, uv: bool) -> None:
    """Run a server's main coroutine on uvloop (what `hotline serve` runs) or the standard loop."""
    if uv:
        from hotline.node import new_event_loop

        with asyncio.Runner(loop_factory=new_event_loop) as runner:
            runner.run(main())
    else:
        asyncio.run(main())


def _ours(port_q: Any, engine: bool, data_dir: str, uv: bool = True) -> None:
    from ivr.asterisk.agi import AGIConnection, FastAGIServer

    async def script(conn: AGIConnection) -> None:
        for line in SCRIPT:
            await conn.command(line, timeout=600)

    async def main() -> None:
        handler = script
        if engine:
            handler = _engine_runner(data_dir).handle
        server = FastAGIServer(handler, "127.0.0.1", 0)
        await server.start()
        port_q.put(server.port)
        await asyncio.Event().wait()

    _run_loop(main, uv)


def _engine_runner(tmp: str) -> Any:
    from core.clock import SystemClock
    from core.events import InProcessBus
    from core.settings import Settings
    from core.state import MemoryStore
    from hotline.platform import Platform
    from ivr.asterisk.channel import CallRunner

    settings = Settings(data_dir=Path(tmp), database_url=f"sqlite:///{tmp}/h.db",
                        records_database_url=f"sqlite:///{tmp}/r.db", redis_url=None, secret_key="b",
                        handoff_secret="b", node_id="bench")
    clock = SystemClock()
    platform = Platform(settings, clock=clock, store=MemoryStore(clock), bus=InProcessBus("bench", clock))
    platform.migrate()
    import ivr.demo
    import knowledge.demo
    import switch.demo

    switch.demo.load_demo(platform)
    knowledge.demo.load_demo(platform)  # the menus read articles: their search is part of the cost
    ivr.demo.load_demo(platform)
    return CallRunner(platform)


def _panoramisk(port_q: Any, engine: bool, data_dir: str, uv: bool = False) -> None:
    from panoramisk.fast_agi import Application

    async def script(request: Any) -> None:
        for line in SCRIPT:
            await request.send_command(line)

    async def main() -> None:
        app = Application(loop=asyncio.get_running_loop())
        app.add_route("12333", script)
        server = await asyncio.start_server(app.handler, "127.0.0.1", 0, backlog=4096)
        port_q.put(server.sockets[0].getsockname()[1])
        await asyncio.Event().wait()

    _run_loop(main, uv)


def _ours_asyncio(port_q: Any, engine: bool, data_dir: str) -> None:
    _ours(port_q, engine, data_dir, uv=False)


def _panoramisk_uvloop(port_q: Any, engine: bool, data_dir: str) -> None:
    _panoramisk(port_q, engine, data_dir, uv=True)


# "ours" runs on the node's loop (uvloop), "panoramisk" as it ships (the standard loop); the other two
# give the like-for-like comparison of the protocol code on each loop.
def _ours_one_cpu(port_q: Any, engine: bool, data_dir: str) -> None:
    """Ours with the node's `HOTLINE_NODE_CPU` pinning: all its threads on the last CPU."""
    from core.affinity import pin_process

    pin_process(max(os.sched_getaffinity(0)))
    _ours(port_q, engine, data_dir)


SERVERS = {"ours": _ours, "panoramisk": _panoramisk, "ours-asyncio": _ours_asyncio,
           "panoramisk-uvloop": _panoramisk_uvloop, "ours-1cpu": _ours_one_cpu}


def _rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process (robust to other load on the machine)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------------------------------- load generator

@dataclass
class Stats:
    turnaround: list[float] = field(default_factory=list)
    setup: list[float] = field(default_factory=list)
    completed: int = 0
    failed: int = 0


async def _call(port: int, n: int, stats: Stats, release: asyncio.Event | None, held: set[int],
                engine: bool, on_hold: asyncio.Event | None = None, think: float = 0.0,
                trace: list[bytes] | None = None) -> None:
    loop = asyncio.get_running_loop()
    if think:
        await asyncio.sleep(random.uniform(0, think))  # calls arrive spread out, not all in one instant
    t0 = loop.time()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        stats.failed += 1
        return
    try:
        writer.write(ENV.format(n=n).encode())
        sent = t0
        first = True
        hung = False
        commands = 0
        while True:
            line = await asyncio.wait_for(reader.readline(), 60)
            if not line:
                break
            now = loop.time()
            if first:
                stats.setup.append(now - t0)
                first = False
            else:
                stats.turnaround.append(now - sent)
            commands += 1
            if engine and commands >= ENGINE_COMMANDS and not hung:
                # with the real engine the caller goes through the default flow (key 1 at every menu,
                # prompts played to the end) and hangs up at its ENGINE_COMMANDS-th command
                if trace is not None:
                    trace.append(line)
                hung = True
                writer.write(b"200 result=-1\nHANGUP\n")
                await writer.drain()
                sent = loop.time()
                continue
            if trace is not None and not hung:
                trace.append(line)
            if line == HOLD_CMD and release is not None:
                held.add(n)
                if on_hold is not None:
                    on_hold.set()
                await release.wait()
            if think:
                await asyncio.sleep(think * random.uniform(0.5, 1.5))  # the prompt plays, the caller thinks
            reply = b"200 result=1\n" if line.startswith(b"GET DATA") else b"200 result=0\n"
            if engine and line.startswith(b"WAIT FOR DIGIT") and line != HOLD_CMD:
                reply = b"200 result=49\n"  # the caller presses 1
            if line == b"HANGUP\n":
                reply = b"200 result=1\nHANGUP\n"
            elif hung and line.startswith((b"CHANNEL STATUS", b"EXEC", b"STREAM", b"WAIT", b"GET DATA", b"HANGUP")):
                reply = b"511 Command Not Permitted on a dead channel or intercept routine\n"
            writer.write(reply)
            await writer.drain()
            sent = loop.time()
        stats.completed += 1
    except (TimeoutError, ConnectionError):
        stats.failed += 1
    finally:
        writer.close()


async def _rate(port: int, calls: int, concurrency: int, engine: bool, first: int = 0,
                think: float = 0.0) -> tuple[Stats, float]:
    stats = Stats()
    sem = asyncio.Semaphore(concurrency)

    async def one(n: int) -> None:
        async with sem:
            await _call(port, n, stats, None, set(), engine, think=think)

    t = time.perf_counter()
    await asyncio.gather(*(one(first + n) for n in range(calls)))
    return stats, time.perf_counter() - t


async def _hold(port: int, pid: int, held_target: int) -> tuple[float, int, Stats]:
    stats = Stats()
    release = asyncio.Event()
    held: set[int] = set()
    gc.collect()
    await asyncio.sleep(0.2)
    base = _rss_kib(pid)
    sem = asyncio.Semaphore(500)  # ramp the connections up in waves of 500

    async def one(n: int) -> None:
        on_hold = asyncio.Event()
        async with sem:
            task = asyncio.ensure_future(_call(port, 10**6 + n, stats, release, held, False, on_hold))
            waiter = asyncio.ensure_future(on_hold.wait())
            await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
        await task

    tasks = [asyncio.ensure_future(one(n)) for n in range(held_target)]
    deadline = time.monotonic() + 240
    while len(held) < held_target and time.monotonic() < deadline and stats.failed == 0:
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.3)
    grown = _rss_kib(pid) - base
    count = len(held)
    release.set()
    await asyncio.gather(*tasks)
    return (grown / count if count else float("nan")), count, stats


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] * 1000


def _run_server(kind: str, calls: int, concurrency: int, held: int, engine: bool, paced: int = 0,
                think_ms: float = 500.0) -> dict[str, Any]:
    ctx = multiprocessing.get_context("spawn")
    port_q = ctx.Queue()
    data_dir = tempfile.mkdtemp(prefix="bench-agi-")
    proc = ctx.Process(target=SERVERS[kind], args=(port_q, engine, data_dir), daemon=True)
    proc.start()
    try:
        port = port_q.get(timeout=60)
        asyncio.run(_rate(port, min(50, calls), min(10, concurrency), engine, first=10**8))  # warm-up
        cpu0 = _cpu_s(proc.pid or 0)
        stats, elapsed = asyncio.run(_rate(port, calls, concurrency, engine))
        cpu = _cpu_s(proc.pid or 0) - cpu0
        out: dict[str, Any] = {
            "server": kind + (" + engine" if engine else ""), "calls": stats.completed, "failed": stats.failed,
            "rate": stats.completed / elapsed, "p50": _pct(stats.turnaround, 0.5), "p99": _pct(stats.turnaround, 0.99),
            "setup_p99": _pct(stats.setup, 0.99), "kib_per_held": float("nan"), "held": 0,
            "cpu_ms": cpu * 1000 / max(1, stats.completed), "paced": 0, "paced_p50": float("nan"),
            "paced_p99": float("nan"),
        }
        if paced and not engine:
            pstats, _ = asyncio.run(_rate(port, paced, paced, False, first=10**7, think=think_ms / 1000))
            out.update(paced_p50=_pct(pstats.turnaround, 0.5), paced_p99=_pct(pstats.turnaround, 0.99),
                       paced=paced, failed=out["failed"] + pstats.failed)
        if held and not engine:
            per_call, count, hstats = asyncio.run(_hold(port, proc.pid or 0, held))
            out.update(kib_per_held=per_call, held=count, failed=out["failed"] + hstats.failed)
        return out
    finally:
        proc.kill()
        proc.join(5)
        shutil.rmtree(data_dir, ignore_errors=True)


def _median_row(rows: list[dict[str, Any]]) -> dict[str, Any]:
    out = dict(rows[0])
    for key in ("rate", "p50", "p99", "setup_p99", "cpu_ms"):
        out[key] = statistics.median(r[key] for r in rows)
    out["calls"] = sum(r["calls"] for r in rows)
    out["failed"] = sum(r["failed"] for r in rows)
    return out


@click.command("agi")
@click.option("--calls", default=2000, show_default=True, help="calls for the set-up rate (per round)")
@click.option("--concurrency", default=200, show_default=True, help="calls in flight at once")
@click.option("--held", default=1000, show_default=True, help="calls held at once for the memory figure")
@click.option("--paced", default=200, show_default=True,
              help="calls in flight for the paced turnaround (each reply after --think-ms, like real media)")
@click.option("--think-ms", default=500.0, show_default=True)
@click.option("--rounds", default=3, show_default=True, help="alternating rounds per server (medians shown)")
@click.option("--servers", default="ours,panoramisk,ours-asyncio,panoramisk-uvloop", show_default=True,
              help="ours = the node's loop (uvloop); panoramisk as shipped (asyncio); the others like for like")
@click.option("--engine", is_flag=True, help="also run our server with the real IVR engine (demo platform)")
@click.option("--full", is_flag=True, help="the targets' sizes: 20,000 calls, 1,000 concurrent, 10,000 held")
@click.option("--instructions", "instructions", default=0, show_default=True,
              help="with --engine: also count the instructions of this many engine-backed calls under callgrind "
                   "(valgrind), a figure the machine's load does not move (0 = skip)")
def command(calls: int, concurrency: int, held: int, paced: int, think_ms: float, rounds: int, servers: str,
            engine: bool, full: bool, instructions: int) -> None:
    """FastAGI: set-ups/s, command turnaround and memory per held call; ours vs panoramisk."""
    if full:
        calls, concurrency, held, paced = 20_000, 1_000, 10_000, 1_000
    click.echo(machine_line())
    with contextlib.suppress(OSError):
        click.echo(f"load average before the run: {os.getloadavg()[0]:.2f}")
    click.echo(f"agi: {calls} calls x {rounds} rounds, {concurrency} concurrent, {held} held; {len(SCRIPT)} commands "
               f"per call; one server process each, loopback")
    kinds = [s.strip() for s in servers.split(",") if s.strip()]
    if any(k.startswith("panoramisk") for k in kinds):
        try:
            import panoramisk  # noqa: F401
        except ImportError:
            click.echo("  panoramisk is not installed (pip install panoramisk): skipped")
            kinds = [k for k in kinds if not k.startswith("panoramisk")]
    results: dict[str, list[dict[str, Any]]] = {k: [] for k in kinds}
    for n in range(rounds):
        for kind in kinds:
            results[kind].append(_run_server(kind, calls, concurrency, held if n == 0 else 0, False,
                                             paced if n == 0 else 0, think_ms))
    rows = [_median_row(results[k]) for k in kinds]
    if engine:  # the node as it starts by default, then with HOTLINE_NODE_CPU (its threads on one CPU)
        rows.append(_run_server("ours", max(200, calls // 10), min(concurrency, 50), 0, True))
        rows.append(_run_server("ours-1cpu", max(200, calls // 10), min(concurrency, 50), 0, True))
    click.echo(f"  {'server':<18} {'calls':>6} {'failed':>6} {'calls/s':>8} {'p50 ms':>7} {'p99 ms':>7} "
               f"{'setup p99':>9} {'CPU ms/call':>11} {'held':>6} {'KiB/held':>8}")
    for r in rows:
        click.echo(f"  {r['server']:<18} {r['calls']:>6} {r['failed']:>6} {r['rate']:>8.0f} {r['p50']:>7.2f} "
                   f"{r['p99']:>7.2f} {r['setup_p99']:>9.2f} {r['cpu_ms']:>11.3f} {r['held']:>6} "
                   f"{r['kib_per_held']:>8.1f}")
    if paced:
        click.echo(f"  paced: {paced} calls in flight, arrivals spread and each reply 0.5-1.5 x {think_ms:.0f} ms "
                   f"after the command (media time):")
        for r in rows:
            if r.get("paced"):
                click.echo(f"    {r['server']:<16} turnaround p50 {r['paced_p50']:.2f} ms, p99 {r['paced_p99']:.2f} ms")
    by = {r["server"]: r for r in rows}
    for ours, theirs, what in (("ours", "panoramisk", "as each ships (ours on uvloop, panoramisk on asyncio)"),
                               ("ours-asyncio", "panoramisk", "like for like on the standard loop"),
                               ("ours", "panoramisk-uvloop", "like for like on uvloop")):
        if ours in by and theirs in by and by[theirs]["rate"] and by[ours]["cpu_ms"]:
            a, b = by[ours], by[theirs]
            click.echo(f"  {ours}/{theirs}, {what}: {a['rate'] / b['rate']:.2f}x calls/s, p99 turnaround "
                       f"{a['p99'] / b['p99']:.2f}x, set-ups per CPU-second {b['cpu_ms'] / a['cpu_ms']:.2f}x "
                       f"({1000 / a['cpu_ms']:.0f} vs {1000 / b['cpu_ms']:.0f} on one core)")
    for kind in kinds:
        click.echo(f"  {kind} calls/s per round: " + ", ".join(f"{r['rate']:.0f}" for r in results[kind]))
    if engine and instructions:
        from bench import callgrind

        if not callgrind.available():
            click.echo("  instructions: valgrind is not installed: skipped")
            return
        counted = callgrind.engine_instructions(instructions)
        click.echo(f"  ours + engine under callgrind: {counted['instructions_per_call'] / 1e6:.2f} M instructions "
                   f"per call ({counted['calls']} calls, {counted['failed']} failed; user space only)")
