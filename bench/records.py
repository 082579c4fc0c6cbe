"""`hotline bench records`: verified record look-ups per second against the demo core database,
on SQLite (read-only file) and on PostgreSQL (read-only session), through `platform.records`.

Three figures per backend: the read-out of a verified caller (`self_service_summary`, the IVR path),
the full agent view (every section), and password verification plus read-out (argon2-bound).
PostgreSQL is skipped with a note when HOTLINE_BENCH_PG (default: HOTLINE_TEST_PG or
postgresql+psycopg://postgres@127.0.0.1:5432/test) is unreachable.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import click

from bench.cli import machine_line

AS_OF = date(2026, 11, 24)


def _stats(samples: list[float]) -> str:
    ordered = sorted(samples)
    p50 = statistics.median(ordered)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    per_s = len(samples) / sum(samples)
    return f"{per_s:8.1f}/s  p50 {p50 * 1000:6.2f} ms  p99 {p99 * 1000:6.2f} ms  (n={len(samples)})"


def _time(n: int, fn: Callable[[int], object]) -> list[float]:
    out = []
    for i in range(n):
        t0 = time.perf_counter()
        fn(i)
        out.append(time.perf_counter() - t0)
    return out


@contextmanager
def _platform(tmp: Path, core_url: str) -> Iterator[object]:
    from core.clock import FakeClock
    from core.events import InProcessBus
    from core.settings import Settings
    from core.state import MemoryStore
    from hotline.platform import Platform

    settings = Settings(data_dir=tmp, database_url=f"sqlite:///{tmp / 'hotline.db'}", records_database_url=core_url,
                        redis_url=None, secret_key="bench", handoff_secret="bench", node_id="bench")
    clock = FakeClock()
    platform = Platform(settings, clock=clock, store=MemoryStore(clock), bus=InProcessBus("bench", clock))
    platform.migrate()
    platform.__dict__["sms"] = SimpleNamespace(send=lambda *a, **k: 1)
    try:
        yield platform
    finally:
        platform.close()


@contextmanager
def _pg_database() -> Iterator[str | None]:
    import psycopg

    base = os.environ.get("HOTLINE_BENCH_PG") or os.environ.get(
        "HOTLINE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    admin = base.replace("postgresql+psycopg://", "postgresql://")
    name = f"hl_bench_{uuid.uuid4().hex[:8]}"
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as error:
        click.echo(f"postgresql: skipped ({str(error).splitlines()[0]})")
        yield None
        return
    try:
        yield f"{base.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _run(label: str, core_url: str, persons: int, lookups: int, verifies: int) -> float:
    from records import generator
    from records.demo_citizens import DEMO_CITIZENS

    t0 = time.perf_counter()
    generator.build(core_url, persons=persons, as_of=AS_OF, force=True)
    click.echo(f"{label}: demo core database with {persons + len(DEMO_CITIZENS)} persons built in "
               f"{time.perf_counter() - t0:.1f} s")
    with tempfile.TemporaryDirectory() as tmp, _platform(Path(tmp), core_url) as platform:
        records = platform.records  # type: ignore[attr-defined]
        citizens = [c for c in DEMO_CITIZENS if c.password]
        for c in citizens:
            records.passwords.set(c.id_number, c.password, source="demo")
        for i, c in enumerate(citizens):
            assert records.verify_password(f"s{i}", c.id_number, c.password, channel="ivr", caller=None).ok
        records.self_service_summary("s0", channel="ivr")  # warm the pool
        summary = _time(lookups, lambda i: records.self_service_summary(f"s{i % len(citizens)}", channel="ivr"))
        user = SimpleNamespace(id=1, province_scope="00", can_see_province=lambda _c: True, has_role=lambda *_: False)
        agent = _time(lookups, lambda i: records.agent_view(user, citizens[i % len(citizens)].id_number,
                                                            call_id=None, reason="benchmark look-up"))

        def verify_and_read(i: int) -> None:
            c = citizens[i % len(citizens)]
            records.verify_password(f"v{i}", c.id_number, c.password, channel="ivr", caller=None)
            records.self_service_summary(f"v{i}", channel="ivr")

        full = _time(verifies, verify_and_read)
    per_s = len(summary) / sum(summary)
    click.echo(f"  verified read-out (self_service_summary) {_stats(summary)}")
    click.echo(f"  agent view, all sections (audited)       {_stats(agent)}")
    click.echo(f"  password verify + read-out (argon2)      {_stats(full)}")
    return per_s


@click.command("records")
@click.option("--persons", default=3000, show_default=True, help="Synthetic insured persons in the core DB.")
@click.option("--lookups", default=300, show_default=True, help="Look-ups timed per figure.")
@click.option("--verifies", default=20, show_default=True, help="Password verifications timed (argon2).")
@click.option("--no-postgres", is_flag=True, help="SQLite only.")
def command(persons: int, lookups: int, verifies: int, no_postgres: bool) -> None:
    """Verified record look-ups per second on SQLite and on PostgreSQL."""
    click.echo(machine_line())
    with tempfile.TemporaryDirectory() as tmp:
        sqlite_rate = _run("sqlite", f"sqlite:///{Path(tmp) / 'core-records.db'}", persons, lookups, verifies)
    if no_postgres:
        return
    with _pg_database() as url:
        if url is None:
            return
        pg_rate = _run("postgresql", url, persons, lookups, verifies)
    click.echo(f"ratio postgresql/sqlite verified read-outs per second: {pg_rate / sqlite_rate:.2f}")
