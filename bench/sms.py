"""`hotline bench sms`: messages per second from the outbox to a loopback HTTP sink (Kannel sendsms
interface) and to a loopback SMPP 3.4 server, on SQLite and on PostgreSQL (a fresh database, dropped
afterwards), plus inbound handling time and the reply time GB/T 33358 asks about."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from bench.cli import machine_line
from hotline.platform import Platform

PG_ADMIN_URL = os.environ.get("HOTLINE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@contextmanager
def fresh_pg() -> Iterator[str | None]:
    try:
        import psycopg

        admin = PG_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://")
        name = f"hl_bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(admin, autocommit=True, connect_timeout=2) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except Exception as exc:  # noqa: BLE001 - reported, the SQLite figures still print
        click.echo(f"  PostgreSQL unavailable ({exc.__class__.__name__}); skipped")
        yield None
        return
    try:
        yield f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _platform(tmp: Path, db_url: str) -> Any:
    from core.clock import SystemClock
    from core.events import InProcessBus
    from core.settings import Settings
    from core.state import MemoryStore
    from hotline.platform import Platform

    clock = SystemClock()
    settings = Settings(data_dir=tmp, database_url=db_url, records_database_url=f"sqlite:///{tmp / 'r.db'}",
                        redis_url=None, secret_key="bench", handoff_secret="bench", node_id="bench")
    p = Platform(settings, clock=clock, store=MemoryStore(clock), bus=InProcessBus("bench", clock))
    p.migrate()
    return p


def _run(platform: Platform, provider: str, target: dict[str, Any], messages: int, batch: int, workers: int) -> dict:
    sms = platform.sms
    sms.config = sms.config.with_(providers=(provider,), default_rate=10**9, batch_size=batch, workers=workers,
                                  daily_cap_reply=10**9, **target)
    rows = [(f"139{i:08d}", {"title": "养老金发放", "answer": f"您11月的养老金已发放，第{i}号。"})
            for i in range(messages)]
    t0 = time.perf_counter()
    report = sms.bulk("kb_answer", rows, category="reply", batch_id=uuid.uuid4().hex)
    enqueue = time.perf_counter() - t0
    assert report.queued == messages
    passes: list[float] = []
    t0 = time.perf_counter()
    sent = 0
    while sent < messages:
        p0 = time.perf_counter()
        r = sms.dispatcher.run_once()
        passes.append(time.perf_counter() - p0)
        sent += r.sent
        if r.claimed == 0:
            break
    elapsed = time.perf_counter() - t0
    sms.close()
    sms._dispatcher = None
    passes.sort()
    return {"sent": sent, "enqueue_per_s": messages / enqueue, "per_s": sent / elapsed,
            "pass_p50_ms": statistics.median(passes) * 1000,
            "pass_p99_ms": passes[int(0.99 * (len(passes) - 1))] * 1000}


def _inbound(platform: Platform, count: int) -> dict:
    sms, chat = platform.sms, platform.smschat
    from sms.stats import reply_times
    from smschat.demo import seed_keywords

    seed_keywords(platform)
    handle: list[float] = []
    for i in range(count):
        t0 = time.perf_counter()
        chat.handle_inbound(f"138{i:08d}", "BZ", provider="bench")
        handle.append(time.perf_counter() - t0)
    sms.dispatcher.run_once(limit=count)
    handle.sort()
    figures = reply_times(platform.db)
    return {"handle_p50_ms": statistics.median(handle) * 1000, "handle_p99_ms": handle[int(0.99 * (count - 1))] * 1000,
            "reply_p95_s": figures["p95_seconds"], "within_3_min": figures["within_3_minutes"]}


@click.command("sms")
@click.option("--messages", default=2000, show_default=True, help="Messages per run.")
@click.option("--batch", default=100, show_default=True, help="Dispatcher claim size.")
@click.option("--workers", default=8, show_default=True, help="Sending threads per dispatcher.")
@click.option("--inbound", default=200, show_default=True, help="Inbound messages for the reply-time figure.")
@click.option("--no-postgres", is_flag=True, help="SQLite only.")
def command(messages: int, batch: int, workers: int, inbound: int, no_postgres: bool) -> None:
    """Outbox → loopback HTTP sink / SMPP server throughput on SQLite and PostgreSQL."""
    from tests.support.emulators.sms.http_sink import HttpSink
    from tests.support.emulators.sms.smpp_server import SmppServer

    click.echo(machine_line())
    click.echo(f"sms: {messages} messages per run (1 part each, UCS-2), claim batch {batch}, {workers} send threads")
    results: dict[tuple[str, str], dict] = {}
    with tempfile.TemporaryDirectory() as tmpdir, HttpSink() as sink, SmppServer(password="bench") as smsc:
        targets = {
            "http": ("kannel", {"kannel_url": sink.url}),
            "smpp": ("smpp", {"smpp_host": "127.0.0.1", "smpp_port": smsc.port, "smpp_system_id": "bench",
                              "smpp_password": "bench"}),
        }
        backends: list[tuple[str, Any]] = [("sqlite", None)]
        if not no_postgres:
            backends.append(("postgres", fresh_pg))
        for backend, maker in backends:
            for kind, (provider, target) in targets.items():
                tmp = Path(tempfile.mkdtemp(dir=tmpdir))
                if maker is None:
                    platform = _platform(tmp, f"sqlite:///{tmp / 'hotline.db'}")
                    results[(backend, kind)] = _run(platform, provider, target, messages, batch, workers)
                    if kind == "http":
                        results[(backend, "inbound")] = _inbound(platform, inbound)
                    platform.close()
                    continue
                with maker() as url:
                    if url is None:
                        break
                    platform = _platform(tmp, url)
                    results[(backend, kind)] = _run(platform, provider, target, messages, batch, workers)
                    if kind == "http":
                        results[(backend, "inbound")] = _inbound(platform, inbound)
                    platform.close()
        http_unique = sink.state.unique
    click.echo(f"{'backend':<9} {'target':<5} {'sent':>6} {'msg/s':>8} {'enqueue/s':>10} "
               f"{'pass p50':>9} {'pass p99':>9}")
    for (backend, kind), r in results.items():
        if kind == "inbound":
            continue
        click.echo(f"{backend:<9} {kind:<5} {r['sent']:>6} {r['per_s']:>8.0f} {r['enqueue_per_s']:>10.0f} "
                   f"{r['pass_p50_ms']:>7.1f}ms {r['pass_p99_ms']:>7.1f}ms")
    for backend in ("sqlite", "postgres"):
        if (backend, "http") in results and (backend, "smpp") in results:
            ratio = results[(backend, "smpp")]["per_s"] / results[(backend, "http")]["per_s"]
            click.echo(f"{backend}: SMPP/HTTP throughput ratio {ratio:.2f}")
    if ("postgres", "http") in results:
        ratio = results[("postgres", "http")]["per_s"] / results[("sqlite", "http")]["per_s"]
        click.echo(f"HTTP sink: PostgreSQL/SQLite throughput ratio {ratio:.2f}")
    for (backend, kind), r in results.items():
        if kind == "inbound":
            within = "-" if r["within_3_min"] is None else f"{r['within_3_min']:.0%}"
            click.echo(f"{backend} inbound ({inbound} msgs): handle p50 {r['handle_p50_ms']:.1f}ms "
                       f"p99 {r['handle_p99_ms']:.1f}ms; reply sent p95 {r['reply_p95_s']:.2f}s after receipt; "
                       f"within 3 minutes: {within}")
    click.echo(f"HTTP sink saw {http_unique} distinct message ids (incl. inbound replies)")
