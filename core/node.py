"""One node: the web console (gunicorn, one gthread worker) and, inside that worker, an asyncio
loop running the FastAGI listener, the AMI client, the SMS dispatcher and the timers.

With in-process state (no REDIS_URL) everything must share one process, so the node runs a single
worker; with Redis, several nodes share one national state. Each home that runs something in the
background exposes `services(platform) -> list[NodeService]` in its `runtime` module.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from typing import Any, Protocol

from core.optional import optional_import

log = logging.getLogger(__name__)

RUNTIME_HOMES = (
    "agents", "switch", "knowledge", "sms", "ivr", "ivr.asterisk", "ivr.twilio", "records", "tickets", "web",
    "recordings",
)


class NodeService(Protocol):
    name: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class PeriodicService:
    """Run a blocking function every `interval` seconds in a worker thread, until stopped.

    A failing pass is logged and the next one runs: one bad call must not stop a node's timers.
    """

    def __init__(self, name: str, interval: float, func: Callable[[], object]) -> None:
        self.name = name
        self.interval = interval
        self.func = func
        self._task: asyncio.Task[None] | None = None

    async def _loop(self) -> None:
        while True:
            try:
                await asyncio.to_thread(self.func)
            except Exception:
                log.exception("%s failed", self.name)
            await asyncio.sleep(self.interval)

    async def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._loop(), name=self.name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None


class BackgroundLoop:
    """The node's asyncio loop in its own thread, with the runtime services of every home."""

    def __init__(self, platform: Any, agi_port: int | None = None) -> None:
        self.platform = platform
        self.agi_port = agi_port
        self.loop = asyncio.new_event_loop()
        self.services: list[NodeService] = []
        self._thread = threading.Thread(target=self._run, name="hotline-node-loop", daemon=True)
        self._started = threading.Event()
        self._error: BaseException | None = None

    def _collect(self) -> list[NodeService]:
        found: list[NodeService] = []
        for home in RUNTIME_HOMES:
            module = optional_import(f"{home}.runtime")
            if module is not None:
                found.extend(module.services(self.platform))
        return found

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.services = self._collect()
            for svc in self.services:
                self.loop.run_until_complete(svc.start())
                log.info("started %s", svc.name)
        except BaseException as exc:  # noqa: BLE001 - reported to the starting thread
            self._error = exc
            self._started.set()
            return
        self._started.set()
        self.loop.run_forever()

    def start(self) -> None:
        self._thread.start()
        self._started.wait()
        if self._error is not None:
            raise RuntimeError(f"node services failed to start: {self._error}") from self._error

    def stop(self) -> None:
        async def _stop_all() -> None:
            for svc in reversed(self.services):
                try:
                    await asyncio.wait_for(svc.stop(), timeout=10)
                except Exception:
                    log.exception("stopping %s failed", svc.name)

        if self.loop.is_running():
            asyncio.run_coroutine_threadsafe(_stop_all(), self.loop).result(timeout=30)
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout=10)


def run_node(web_port: int | None = None, agi_port: int | None = None,
             load_demo_if_empty: bool = True) -> int:
    from gunicorn.app.base import BaseApplication

    from core.demo import database_is_empty, load_demo
    from core.logging import configure
    from core.platform import from_env
    from core.settings import Settings

    configure(logging.INFO)
    overrides: dict[str, Any] = {}
    if web_port is not None:
        overrides["web_port"] = web_port
    if agi_port is not None:
        overrides["agi_port"] = agi_port
    settings = Settings.from_env(**overrides)

    # Prepare the database in the arbiter (before any worker exists).
    prep = from_env(**overrides)
    prep.migrate()
    if load_demo_if_empty and database_is_empty(prep):
        for line in load_demo(prep):
            log.info(line)
    prep.close()

    state: dict[str, Any] = {}

    def post_worker_init(worker: Any) -> None:
        platform = state["platform"] = from_env(**overrides)
        loop = state["loop"] = BackgroundLoop(platform)
        loop.start()

    def worker_exit(server: Any, worker: Any) -> None:
        loop = state.get("loop")
        if loop is not None:
            loop.stop()
        platform = state.get("platform")
        if platform is not None:
            platform.close()

    def when_ready(server: Any) -> None:
        _print_banner(settings)

    threads = _threads_from_env()

    class NodeApp(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            cfg = {
                "bind": f"{settings.web_host}:{settings.web_port}",
                "workers": 1,
                "worker_class": "gthread",
                "threads": threads,
                # gthread caps open connections per worker; each live console holds one (SSE)
                "worker_connections": threads + 100,
                "timeout": 120,
                "graceful_timeout": 10,
                "keepalive": 5,
                "post_worker_init": post_worker_init,
                "worker_exit": worker_exit,
                "when_ready": when_ready,
                "accesslog": None,
                "errorlog": "-",
                "loglevel": "warning",
            }
            for key, value in cfg.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            from web.app import create_app

            def app(environ: Any, start_response: Any) -> Any:
                if "app" not in state:
                    state["app"] = create_app(state["platform"])
                return state["app"](environ, start_response)

            return app

    NodeApp().run()
    return 0


def _threads_from_env() -> int:
    import os

    return int(os.environ.get("HOTLINE_WEB_THREADS", "256"))


def _print_banner(settings: Any) -> None:
    from core.accounts import DEMO_PASSWORD

    lines = [
        "",
        "12333 hotline node is up",
        f"  web console   http://{settings.web_host}:{settings.web_port}/",
        f"  FastAGI       agi://{settings.agi_host}:{settings.agi_port}/12333",
        f"  data dir      {settings.data_dir}",
        f"  state/events  {'Redis ' + settings.redis_url if settings.redis_url else 'in-process'}",
    ]
    if settings.demo_mode:
        lines.append(f"  demo logins   admin, supervisor, editor, reviewer, agent (password {DEMO_PASSWORD})")
    lines.append("  Ctrl-C stops the node.")
    print("\n".join(lines), flush=True)
