"""`hotline bench sse`: open SSE streams held by one real node and event-to-client latency.

Starts `hotline serve` (gunicorn, one gthread worker) on loopback with a fresh data dir, opens
`--streams` event streams as one national supervisor (token auth, asyncio raw sockets, one
connection each, the way browsers hold them), then posts `--events` broadcasts through the API.
Each broadcast carries the sender's clock; every stream records when it arrived. Reports the
streams held, connect time, delivery ratio and latency p50/p99/max. Loopback only.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import click

from bench.cli import machine_line


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _prepare(data_dir: Path) -> str:
    """A migrated database with one national supervisor and an API token for it."""
    from core.settings import Settings
    from hotline.platform import Platform

    platform = Platform(Settings(data_dir=data_dir, database_url=f"sqlite:///{data_dir / 'hotline.db'}",
                                 records_database_url=f"sqlite:///{data_dir / 'core-records.db'}", redis_url=None,
                                 secret_key="bench"))
    platform.migrate()
    user = platform.accounts.create_user("bench", "bench-password-123", ["supervisor", "admin"],
                                         province_scope="00")
    token = platform.accounts.issue_token(user.id, "bench")
    platform.close()
    return token


def _wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            detail = proc.stderr.read().decode(errors="replace")[-2000:] if proc.stderr else ""
            raise click.ClickException(f"the node exited with {proc.returncode}: {detail}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise click.ClickException("the node did not come up")


async def _stream(port: int, token: str, opened: asyncio.Event, counter: list[int], total: int,
                  samples: list[float], want: int, done: asyncio.Event) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write((f"GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
                  f"Authorization: Bearer {token}\r\n\r\n").encode())
    await writer.drain()
    status = await reader.readline()
    if b" 200 " not in status:
        raise RuntimeError(f"stream refused: {status!r}")
    while (await reader.readline()) not in (b"\r\n", b""):
        pass
    counter[0] += 1
    if counter[0] == total:
        opened.set()
    got = 0
    try:
        while got < want:
            line = await reader.readline()
            if not line:
                break
            if b'"console.broadcast"' in line and b"data: " in line:
                start = line.index(b"data: ") + 6
                payload = json.loads(line[start:].strip())
                samples.append(time.time() - float(payload["data"]["sent_at"]))
                got += 1
    finally:
        if got >= want:
            done.set()
        writer.close()


def _broadcast(port: int, token: str, seq: int) -> None:
    body = json.dumps({"message": f"bench {seq}", "sent_at": time.time()}).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/broadcast", data=body, method="POST",
                                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        r.read()


async def _run(port: int, token: str, streams: int, events: int, gap: float) -> dict[str, float]:
    opened, done = asyncio.Event(), asyncio.Event()
    counter, samples = [0], []
    t0 = time.perf_counter()
    tasks = [asyncio.create_task(_stream(port, token, opened, counter, streams, samples, events, done))
             for _ in range(streams)]
    await asyncio.wait_for(opened.wait(), timeout=120)
    connect = time.perf_counter() - t0
    await asyncio.sleep(0.5)
    loop = asyncio.get_running_loop()
    for seq in range(events):
        await loop.run_in_executor(None, _broadcast, port, token, seq)
        await asyncio.sleep(gap)
    await asyncio.wait(tasks, timeout=30)
    for task in tasks:
        task.cancel()
    return {"connect": connect, "open": counter[0], "samples": samples}  # type: ignore[dict-item]


@click.command("sse")
@click.option("--streams", default=100, show_default=True, help="Open event streams (the target is ≥ 500).")
@click.option("--events", default=20, show_default=True, help="Broadcasts sent while the streams are open.")
@click.option("--gap", default=0.05, show_default=True, help="Seconds between broadcasts.")
def command(streams: int, events: int, gap: float) -> None:
    """SSE streams held by one node and event-to-client latency (p50/p99), loopback only."""
    click.echo(machine_line())
    with tempfile.TemporaryDirectory(prefix="hotline-bench-sse-") as tmp:
        data_dir = Path(tmp)
        token = _prepare(data_dir)
        port, agi = _free_port(), _free_port()
        env = {**os.environ, "HOTLINE_DATA_DIR": str(data_dir), "HOTLINE_WEB_THREADS": str(streams + 64),
               "HOTLINE_SSE_HEARTBEAT": "15"}
        for name in ("DATABASE_URL", "RECORDS_DATABASE_URL", "REDIS_URL"):
            env.pop(name, None)
        proc = subprocess.Popen([sys.executable, "-m", "hotline.cli", "serve", "--web-port", str(port),
                                 "--agi-port", str(agi), "--no-demo-load"], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            _wait_ready(f"http://127.0.0.1:{port}", proc)
            result = asyncio.run(_run(port, token, streams, events, gap))
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
    samples = sorted(result["samples"])  # type: ignore[arg-type]
    expected = streams * events
    if not samples:
        raise click.ClickException("no event reached a stream")
    p = statistics.quantiles(samples, n=100) if len(samples) >= 2 else [samples[0]] * 99
    click.echo(f"node: hotline serve (gunicorn gthread, {streams + 64} threads), SQLite, in-process bus")
    click.echo(f"streams open: {result['open']} / {streams} (connected in {result['connect']:.2f} s)")
    click.echo(f"events delivered: {len(samples)} / {expected} ({len(samples) / expected:.1%})")
    click.echo(f"latency ms: p50 {p[49] * 1000:.1f}  p99 {p[98] * 1000:.1f}  max {samples[-1] * 1000:.1f}")
    click.echo(f"targets: streams ≥ 500 {'met' if result['open'] >= 500 else 'not run at that size'}; "
               f"p99 < 100 ms {'met' if p[98] < 0.1 else 'NOT met'}")
