"""`hotline bench acd`: routing-plus-matching decisions per second and latency percentiles, for the
in-process and the Redis ACD state side by side.

Setup per store: the full directory (31 provinces plus the XPCC and the national center), N agents
spread over the 31 provinces, all logged in and busy, and W calls waiting. Then, repeated:
  1. a new call: `switch.route()` on a caller number from a random province + `agents.enqueue()`;
  2. an agent finishes: `end_call()` + `wrap_up()` → the matcher picks the best waiting call the agent
     may take (longest-idle/priority/tiers) and claims it atomically; the agent accepts it.
The waiting count stays at W. Time comes from a FakeClock moved 50 ms per cycle.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from bench.cli import machine_line
from hotline.platform import Platform

TOPICS = ("pension", "medical", "employment", "injury_maternity", "labour", "card", "general")
SKILLS = (("pension", "general"), ("medical", "card"), ("employment", "labour"), ("injury_maternity", "medical"),
          ("card", "general"), ("pension", "medical"), ("labour", "general"))


def _numbers_by_province() -> dict[str, list[str]]:
    """Valid mobile numbers registered in each province (phonenumbers' location data)."""
    from core import phone

    found: dict[str, list[str]] = {}
    rng = random.Random(7)
    for prefix in ("130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155",
                   "156", "157", "158", "159", "186", "187", "188", "189"):
        for _ in range(120):
            number = prefix + f"{rng.randrange(10**8):08d}"
            code = phone.province_of(number)
            if code:
                found.setdefault(code, []).append(number)
    return found


def _platform(tmp: Path, store_kind: str, redis_url: str) -> tuple[Any, Any, str | None]:
    from core.clock import FakeClock
    from core.events import InProcessBus
    from core.settings import Settings
    from core.state import MemoryStore, RedisStore
    from hotline.platform import Platform

    clock = FakeClock(datetime(2026, 11, 24, 2, 0, tzinfo=UTC))
    prefix = None
    if store_kind == "redis":
        prefix = f"hlbench:{random.randrange(16**8):08x}:"
        store: Any = RedisStore(redis_url, prefix=prefix)
    else:
        store = MemoryStore(clock)
    settings = Settings(data_dir=tmp, database_url=f"sqlite:///{tmp / 'hotline.db'}",
                        records_database_url=f"sqlite:///{tmp / 'records.db'}", redis_url=None,
                        secret_key="bench", handoff_secret="bench", node_id="bench")
    platform = Platform(settings, clock=clock, store=store, bus=InProcessBus("bench", clock))
    platform.migrate()
    return platform, clock, prefix


def _seed_agents(platform: Platform, n_agents: int, provinces: list[str]) -> list[int]:
    from agents.models import Agent
    from core.models import User

    now = platform.clock.now()
    with platform.db.session() as s:
        users = [User(username=f"bench-{i}", display_name=f"bench-{i}", password_hash="!", roles="agent",
                      province_scope=provinces[i % len(provinces)], created_at=now) for i in range(n_agents)]
        s.add_all(users)
        s.flush()
        agents = [Agent(user_id=u.id, name=u.username, center_code=u.province_scope,
                        skills=list(SKILLS[i % len(SKILLS)]), languages=["zh"], level=1 + i % 3,
                        endpoint=f"PJSIP/agent-{i}", active=True, created_at=now) for i, u in enumerate(users)]
        s.add_all(agents)
        s.flush()
        return [a.id for a in agents]


class RoundTrips:
    """Counts the round trips to Redis of a store's client (one per command sent or pipeline flushed;
    a Lua script is one). Connections made before it was installed are dropped, so none escapes."""

    def __init__(self, client: Any) -> None:
        self.count = 0
        pool = client.connection_pool
        pool.reset()
        make = pool.make_connection

        def counted() -> Any:
            conn = make()
            send = conn.send_packed_command

            def counting(command: Any, check_health: bool = True) -> None:
                self.count += 1
                send(command, check_health)

            conn.send_packed_command = counting
            return conn

        pool.make_connection = counted


def ping_rate(redis_url: str, seconds: float = 1.0) -> float:
    """The Redis server's own round-trip rate: one client sending PING in a loop (the physical limit
    of a client that waits for each answer)."""
    import redis

    client = redis.Redis.from_url(redis_url)
    client.ping()
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        client.ping()
        n += 1
    elapsed = time.perf_counter() - start
    client.close()
    return n / elapsed


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Load:
    """The benchmark's caller and agent side on one node: new calls (route + enqueue, answered at once
    when an idle agent takes them) and agents finishing (end + wrap-up; the matcher hands them the
    next waiting call, which they accept). `busy` holds the agents this node answered for."""

    def __init__(self, platform: Platform, rng: random.Random, callers: list[str], tag: str = "b") -> None:
        self.sw, self.acd, self.rng, self.callers, self.tag = platform.switch, platform.agents, rng, callers, tag
        self.seq = 0
        self.busy: list[int] = []

    def new_call(self) -> None:
        from agents.domain import QueuedCall

        self.seq += 1
        topic = self.rng.choice(TOPICS)  # drawn before the caller, as the figures in the docs were
        d = self.sw.route(caller=self.rng.choice(self.callers), topic=topic)
        st = self.acd.enqueue(QueuedCall(call_id=f"{self.tag}{self.seq}", queue_id=d.queue_id,
                                         center_code=d.center_code, topic=d.topic, priority=d.priority,
                                         caller=None, context={"channel": "bench"}))
        if st.state == "offered":  # an idle agent took it at once: answer, so it is busy
            self.acd.accept(st.agent_id, st.call_id)
            self.busy.append(st.agent_id)

    def finish_one(self) -> bool:
        """One busy agent ends and wraps up; True when the matcher gave them a waiting call."""
        if not self.busy:
            return False
        agent = self.busy.pop(self.rng.randrange(len(self.busy)))
        status = self.acd.agent_status(agent)
        if status is not None and status.call_id:
            self.acd.end_call(status.call_id)
        self.acd.wrap_up(agent, "resolved")
        got = self.acd.agent_status(agent)
        if got is not None and got.call_id:
            self.acd.accept(agent, got.call_id)
            self.busy.append(agent)
            return True
        return False


def prepare(platform: Platform, agents: int, waiting: int, rng: random.Random) -> Load:
    """The national directory with unlimited capacity, `agents` agents over the 31 provinces logged in,
    ready and then busy, and `waiting` calls queued behind them."""
    sw, acd = platform.switch, platform.agents
    provinces = [c.code for c in sw.centers() if c.code not in ("00", "66")]
    for code in [c.code for c in sw.centers()]:
        sw.update_center(code, capacity=10**6)
    numbers = _numbers_by_province()
    load = Load(platform, rng, [n for code in provinces for n in numbers.get(code, [])], tag="s")
    for a in _seed_agents(platform, agents, provinces):
        acd.login(a)
        acd.set_ready(a)
    for _ in range(agents + waiting):
        load.new_call()
        platform.clock.advance(0.001)
    return load


def drop_prefix(redis_url: str, prefix: str) -> None:
    from core.state import RedisStore

    cleanup = RedisStore(redis_url, prefix=prefix)
    keys = cleanup.redis.keys(prefix + "*")
    for i in range(0, len(keys), 1000):
        cleanup.redis.delete(*keys[i:i + 1000])
    cleanup.close()


def run_store(store_kind: str, *, agents: int, waiting: int, ops: int, redis_url: str, seed: int) -> dict:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        platform, clock, prefix = _platform(Path(tmp), store_kind, redis_url)
        try:
            acd = platform.agents
            t0 = time.perf_counter()
            load = prepare(platform, agents, waiting, rng)
            load.tag = "b"
            setup = time.perf_counter() - t0
            route_lat, match_lat = [], []
            trips = RoundTrips(platform.store.redis) if store_kind == "redis" else None
            route_trips = match_trips = 0
            matched = 0
            start, cpu_start = time.perf_counter(), time.process_time()
            for _ in range(ops):
                clock.advance(0.05)
                before = trips.count if trips else 0
                t = time.perf_counter()
                load.new_call()
                route_lat.append(time.perf_counter() - t)
                middle = trips.count if trips else 0
                route_trips += middle - before
                t = time.perf_counter()
                matched += load.finish_one()
                match_lat.append(time.perf_counter() - t)
                match_trips += (trips.count if trips else 0) - middle
            elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
            clock.advance(1)  # a node's first timer pass also catches up a day of 15-minute intervals and
            t = time.perf_counter()  # re-indexes what older nodes left: reported apart from the steady ticks
            acd.tick()
            first_tick = time.perf_counter() - t
            ticks, tick_trips, busy_ticks = [], [], []
            for i in range(20):  # the 1-second timer at this size: RNA, wrap-up, tiers, overflow, matching;
                clock.advance(1)  # every other one after a cycle of calls (counters moved: the open interval
                if i % 2:  # is written), the others with nothing changed since the last pass
                    load.new_call()
                    load.finish_one()
                before = trips.count if trips else 0
                t = time.perf_counter()
                acd.tick()
                (busy_ticks if i % 2 else ticks).append(time.perf_counter() - t)
                if not i % 2:
                    tick_trips.append((trips.count if trips else 0) - before)
            final_waiting = acd.stats("national")["waiting"]
        finally:
            platform.close()
            if prefix:
                drop_prefix(redis_url, prefix)
    return {"store": store_kind, "setup_s": setup, "decisions_per_s": 2 * ops / elapsed,
            "cycles_per_s": ops / elapsed, "cpu_ms": 1000 * cpu / (2 * ops), "matched": matched,
            "ops": ops, "waiting_end": final_waiting,
            "route_p50_ms": 1000 * statistics.median(route_lat), "route_p99_ms": 1000 * _pct(route_lat, 0.99),
            "match_p50_ms": 1000 * statistics.median(match_lat), "match_p99_ms": 1000 * _pct(match_lat, 0.99),
            "tick_ms": 1000 * statistics.median(ticks), "first_tick_ms": 1000 * first_tick,
            "busy_tick_ms": 1000 * statistics.median(busy_ticks),
            "tick_max_ms": 1000 * max(ticks + busy_ticks),  # the 20 s include the 15-second figures
            "route_trips": route_trips / ops if trips else None, "match_trips": match_trips / ops if trips else None,
            "tick_trips": statistics.median(tick_trips) if trips else None}


@click.command("acd")
@click.option("--agents", default=300, show_default=True, help="Agents over the 31 provinces.")
@click.option("--waiting", default=1000, show_default=True, help="Calls kept waiting.")
@click.option("--ops", default=300, show_default=True, help="Measured cycles (new call + agent match).")
@click.option("--full", is_flag=True, help="The issue's size: 3,000 agents, 10,000 waiting, 2,000 cycles.")
@click.option("--store", "stores", multiple=True, type=click.Choice(["memory", "redis"]),
              default=("memory", "redis"), show_default=True)
@click.option("--redis-url", default="redis://127.0.0.1:6379/0", show_default=True)
@click.option("--seed", default=12333, show_default=True)
@click.option("--nodes", default=2, show_default=True,
              help="Also run this many nodes (processes) on one Redis at once, checking for double assignments "
                   "throughout (1 = skip).")
def command(agents: int, waiting: int, ops: int, full: bool, stores: tuple[str, ...], redis_url: str,
            seed: int, nodes: int) -> None:
    """ACD routing + matching throughput and latency, in-process vs Redis state."""
    if full:
        agents, waiting, ops = 3000, 10000, 2000
    click.echo(machine_line())
    click.echo(f"acd: 31 provincial centers (+XPCC, national), {agents} agents, {waiting} waiting calls, "
               f"{ops} cycles of [route+enqueue] + [end+wrap-up+match+accept]")
    results = []
    for kind in stores:
        try:
            results.append(run_store(kind, agents=agents, waiting=waiting, ops=ops, redis_url=redis_url,
                                     seed=seed))
        except Exception as exc:  # noqa: BLE001 - e.g. Redis not running: report, go on with the other store
            click.echo(f"{kind}: not measured ({type(exc).__name__}: {exc})")
    if not results:
        return
    rows = [("setup (s)", "setup_s", "{:.1f}"), ("decisions/s", "decisions_per_s", "{:.0f}"),
            ("CPU ms/decision (client)", "cpu_ms", "{:.2f}"),
            ("route+enqueue p50 (ms)", "route_p50_ms", "{:.2f}"), ("route+enqueue p99 (ms)", "route_p99_ms", "{:.2f}"),
            ("match p50 (ms)", "match_p50_ms", "{:.2f}"), ("match p99 (ms)", "match_p99_ms", "{:.2f}"),
            ("tick median, idle (ms)", "tick_ms", "{:.1f}"), ("tick median, busy (ms)", "busy_tick_ms", "{:.1f}"),
            ("tick max, 20 passes (ms)", "tick_max_ms", "{:.1f}"), ("first tick (ms)", "first_tick_ms", "{:.0f}"),
            ("round trips/route+enqueue", "route_trips", "{:.1f}"), ("round trips/match", "match_trips", "{:.1f}"),
            ("round trips/idle tick", "tick_trips", "{:.0f}"), ("matched cycles", "matched", "{}"),
            ("waiting at end", "waiting_end", "{}")]
    click.echo(f"{'':<26}" + "".join(f"{r['store']:>12}" for r in results))
    for label, key, fmt in rows:
        click.echo(f"{label:<26}" + "".join(f"{_cell(fmt, r[key]):>12}" for r in results))
    redis_result = next((r for r in results if r["store"] == "redis"), None)
    if redis_result:
        pings = ping_rate(redis_url)
        click.echo(f"redis PING loop, 1 client: {pings:.0f} round trips/s; redis decisions/s are "
                   f"{redis_result['decisions_per_s'] / pings:.3f} of it "
                   f"(target 5,000 decisions/s = {5000 / pings:.2f} of it)")
    if len(results) == 2:
        ratio = results[0]["decisions_per_s"] / results[1]["decisions_per_s"]
        click.echo(f"ratio {results[0]['store']}/{results[1]['store']} decisions/s: {ratio:.2f}")
    if nodes > 1 and "redis" in stores:
        from bench.acd_nodes import report, run_nodes

        click.echo(f"{nodes} nodes on one Redis, {ops} cycles each, same state size:")
        try:
            report(run_nodes(nodes, agents=agents, waiting=waiting, ops=ops, redis_url=redis_url, seed=seed),
                   redis_result["decisions_per_s"] if redis_result else None)
        except Exception as exc:  # noqa: BLE001 - e.g. Redis gone: say so
            click.echo(f"  not measured ({type(exc).__name__}: {exc})")


def _cell(fmt: str, value: Any) -> str:
    return "-" if value is None else fmt.format(value)
