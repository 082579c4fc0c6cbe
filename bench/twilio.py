"""`hotline bench twilio`: benchmark of the Twilio voice front end: signed webhooks through the Flask
app, the real IVR engine, switch and ACD, with the REST push to the fake of Twilio's API in the test
tree (tests/support/emulators/twilio.py; run from a checkout).

    .venv/bin/hotline bench twilio --calls 20 [--redis redis://127.0.0.1:6379/0]

Each call: incoming, main menu 0, confirm province 1 (queued and offered to a ready agent), the
agent accepts (REST push of <Dial>), agent leg ends, survey key, status callback. Prints the machine,
webhook latency (p50/p99), the accept-to-push latency and the whole-call server time.
"""

from __future__ import annotations

import asyncio
import logging
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import click

CALLER = "+8613910001234"
ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "bench-auth-token-0123456789abcdef"
PUBLIC_URL = "https://hotline.bench.example"


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _platform(tmp: Path, api_url: str, redis_url: str | None) -> Any:
    import uuid

    from core.clock import FakeClock
    from core.events import InProcessBus, RedisBus
    from core.settings import Settings
    from core.state import MemoryStore, RedisStore
    from hotline.platform import Platform

    clock = FakeClock()  # a Tuesday, 10:00 in Beijing: the centers are open
    settings = Settings(data_dir=tmp, database_url=f"sqlite:///{tmp / 'hotline.db'}",
                        records_database_url=f"sqlite:///{tmp / 'core-records.db'}", redis_url=None,
                        secret_key="bench", handoff_secret="bench", twilio_account_sid=ACCOUNT_SID,
                        twilio_auth_token=AUTH_TOKEN, twilio_api_base=api_url, public_url=PUBLIC_URL)
    if redis_url:
        prefix = f"hlbench:{uuid.uuid4().hex[:8]}:"
        store: Any = RedisStore(redis_url, prefix=prefix)
        bus: Any = RedisBus(redis_url, "bench", clock, channel=prefix + "events")
    else:
        store, bus = MemoryStore(clock), InProcessBus("bench", clock)
    platform = Platform(settings, clock=clock, store=store, bus=bus)
    platform.migrate()
    return platform


@click.command("twilio")
@click.option("--calls", default=20, show_default=True, help="whole calls to run")
@click.option("--redis", "redis_url", default=None, help="keep call state and events in this Redis (scale-out)")
def command(calls: int, redis_url: str | None) -> None:
    """Twilio webhooks through the real engine and ACD: latency per webhook, push and call."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # the engine's info lines would drown the figures
    try:
        _run(calls, redis_url)
    finally:
        root.setLevel(level)


def _run(calls: int, redis_url: str | None) -> None:
    from ivr.service import DEFAULT_FLOW
    from ivr.twilio.runtime import TwilioBridge
    from tests.support.emulators.twilio import FakeTwilioApi, TwilioCallEmulator
    from web.app import create_app

    try:
        from bench.cli import machine_line

        click.echo(machine_line())
    except ImportError:  # pragma: no cover - bench package absent
        pass
    with tempfile.TemporaryDirectory() as tmp, FakeTwilioApi(ACCOUNT_SID, AUTH_TOKEN) as api:
        platform = _platform(Path(tmp), api.url, redis_url)
        platform.switch.ensure_directory()
        platform.ivr.publish(DEFAULT_FLOW.read_text(encoding="utf-8"), "12333", by="bench")
        client = create_app(platform, {"TESTING": True}).test_client()
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, daemon=True)
        thread.start()
        bridge = TwilioBridge(platform)
        asyncio.run_coroutine_threadsafe(bridge.start(), loop).result()
        webhook_ms: list[float] = []
        push_ms: list[float] = []
        call_ms: list[float] = []

        def post(path: str, form: dict[str, str], headers: dict[str, str]) -> tuple[int, str]:
            t0 = time.perf_counter()
            response = client.post(path, data=form, headers=headers)
            webhook_ms.append((time.perf_counter() - t0) * 1000)
            return response.status_code, response.get_data(as_text=True)

        user = platform.accounts.create_user("bench-agent", "bench-password-1", ["agent"], province_scope="11")
        agent_id = platform.agents.create_agent(user.id, name="bench", center_code="11", skills=["general"],
                                                endpoint="client:bench")
        platform.agents.login(agent_id)
        for i in range(calls + 1):  # the first call warms up (classifier, flow cache) and is not counted
            if i == 1:
                webhook_ms.clear()
                push_ms.clear()
                call_ms.clear()
            platform.agents.set_ready(agent_id)
            call = TwilioCallEmulator(post, public_url=PUBLIC_URL, account_sid=ACCOUNT_SID,
                                      auth_token=AUTH_TOKEN, api=api, from_=CALLER)
            before = len(webhook_ms)
            call.start()
            call.press("0")
            call.press("1")
            t0 = time.perf_counter()
            platform.agents.accept(agent_id, call.sid)
            asyncio.run_coroutine_threadsafe(bridge.drain(), loop).result()
            push_ms.append((time.perf_counter() - t0) * 1000)
            while call.find("Dial") is None:
                call.wait()
            call.dial_ends("completed")
            call.press("1")
            call.hang_up("completed")
            call.close()
            call_ms.append(sum(webhook_ms[before:]) + push_ms[-1])
            platform.clock.advance(60)  # past the wrap-up
            platform.agents.tick()
        asyncio.run_coroutine_threadsafe(bridge.stop(), loop).result()
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        stats = platform.agents.stats("national")
        if redis_url:
            for key in platform.store.keys("*"):
                platform.store.delete(key)
        platform.close()
    store_name = "Redis" if redis_url else "in-process"
    click.echo(f"state store: {store_name}; calls {calls}, webhooks {len(webhook_ms)} "
               f"({len(webhook_ms) / calls:.1f} per call), ACD answered {stats['answered']} "
               f"(incl. 1 warm-up), abandoned {stats['abandoned']}")
    click.echo(f"webhook ms: p50 {_pct(webhook_ms, 0.5):.1f}  p99 {_pct(webhook_ms, 0.99):.1f}  "
               f"mean {statistics.fmean(webhook_ms):.1f}")
    click.echo(f"accept -> REST push of <Dial> ms: p50 {_pct(push_ms, 0.5):.1f}  p99 {_pct(push_ms, 0.99):.1f}")
    click.echo(f"server time per whole call ms: p50 {_pct(call_ms, 0.5):.1f}  p99 {_pct(call_ms, 0.99):.1f}")


if __name__ == "__main__":
    command()
