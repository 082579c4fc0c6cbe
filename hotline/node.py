"""One node: the web console (gunicorn, one gthread worker) and, inside that worker, an asyncio
loop running the FastAGI listener, the AMI client, the SMS dispatcher and the timers.

With in-process state (no REDIS_URL) everything must share one process, so the node runs a single
worker; with Redis, several nodes share one national state. Each home that runs something in the
background exposes `services(platform) -> list[NodeService]` (core/timers.py) in the `runtime`
modules the registry names (hotline/homes.py).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import TYPE_CHECKING, Any

from core.runfile import remove_run_file, write_run_file
from core.timers import NodeService
from hotline import homes

if TYPE_CHECKING:
    from hotline.platform import Platform

log = logging.getLogger(__name__)

SHUTDOWN_DEADLINE_S = 4.0  # Ctrl-C: the worker is gone by then, the node within 5 s (gunicorn would SIGKILL at 10 s)


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop when it is installed (it is pinned in requirements.txt): the FastAGI and AMI sockets cost
    about half the CPU per call on it (docs/asterisk.md); the standard loop otherwise."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - a node installed without it still runs
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


class BackgroundLoop:
    """The node's asyncio loop in its own thread, with the runtime services of every home."""

    def __init__(self, platform: Platform, agi_port: int | None = None) -> None:
        self.platform = platform
        self.agi_port = agi_port
        self.loop = new_event_loop()
        self.services: list[NodeService] = []
        self._thread = threading.Thread(target=self._run, name="hotline-node-loop", daemon=True)
        self._started = threading.Event()
        self._error: BaseException | None = None

    def _collect(self) -> list[NodeService]:
        return homes.runtime_services(self.platform)

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

    def stop(self, per_service_s: float = 10.0, total_s: float = 30.0) -> None:
        async def _stop_all() -> None:
            for svc in reversed(self.services):
                try:
                    await asyncio.wait_for(svc.stop(), timeout=per_service_s)
                except Exception:
                    log.exception("stopping %s failed", svc.name)

        if self.loop.is_running():
            try:
                asyncio.run_coroutine_threadsafe(_stop_all(), self.loop).result(timeout=total_s)
            except Exception:  # noqa: BLE001 - a service that will not stop must not hold the node
                log.warning("node services did not all stop within %.0f s", total_s)
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout=min(10.0, total_s))


def run_node(web_port: int | None = None, agi_port: int | None = None,
             load_demo_if_empty: bool = True) -> int:
    from gunicorn.app.base import BaseApplication

    from core.logging import configure
    from core.settings import ConfigError
    from hotline.config import load as load_config
    from hotline.demo import database_is_empty, load_demo
    from hotline.platform import from_env

    configure(logging.INFO)
    logging.getLogger("alembic").setLevel(logging.WARNING)  # the progress lines say what happens
    overrides: dict[str, Any] = {}
    if web_port is not None:
        overrides["web_port"] = web_port
    if agi_port is not None:
        overrides["agi_port"] = agi_port
    try:  # the core's and every home's settings, checked before anything starts
        settings, _ = load_config(**overrides)
    except ConfigError as exc:
        log.error("%s", exc)
        return 2
    from core.affinity import cpu_problem

    problem = cpu_problem(settings.node_cpu, settings.node_id)  # the worker pins itself; refused here, clearly
    if problem:
        log.error("%s", problem)
        return 2

    # Prepare the database in the arbiter (before any worker exists), saying what each step does.
    prep = from_env(**overrides)
    if settings.redis_url:
        from core.cluster import SecretMismatch, check_and_register

        try:
            check_and_register(prep.store, settings, prep.clock.time())
        except SecretMismatch as exc:
            log.error("%s", exc)
            prep.close()
            return 2
    _progress(f"migrating the database ({_db_label(settings.database_url)})")
    prep.migrate()
    prep.accounts.note_demo_mode(prep.audit)
    if load_demo_if_empty and database_is_empty(prep):
        _progress("loading the demo data (centers, agents, knowledge, 3,000 insured persons; about 10 s)")
        for line in load_demo(prep):
            _progress("  " + line)
    prep.close()
    _progress("starting the node")
    from core.testcalls import node_key

    node_key(settings)  # the key `hotline call` on this machine reads to place test calls

    state: dict[str, Any] = {}

    from core.shutdown_watchdog import ShutdownWatchdog

    def close_streams() -> None:
        app = state.get("app")
        hub = app.extensions.get("hotline_sse") if app is not None else None
        if hub is not None:
            hub.close()

    # Once Ctrl-C arrives, whatever still runs (a slow timer pass on a loaded machine, a handler
    # stuck on a lock), the worker leaves SHUTDOWN_DEADLINE_S later, before the arbiter's graceful
    # timeout; the open event streams are ended first so their threads return.
    # (Made in the worker: its pipe and thread belong to that process.)
    def arm_deadline() -> None:
        watchdog = state.get("watchdog")
        if watchdog is not None:
            watchdog.arm()

    def post_worker_init(worker: Any) -> None:
        platform = state["platform"] = from_env(**overrides)
        from core.affinity import pin_node

        pin_node(platform.settings.node_cpu, platform.settings.node_id)  # before the loop's threads start
        loop = state["loop"] = BackgroundLoop(platform)
        loop.start()
        state["watchdog"] = ShutdownWatchdog(SHUTDOWN_DEADLINE_S, on_arm=close_streams)
        state["watchdog"].start()
        # gunicorn's gthread handler for SIGINT/SIGQUIT first shuts the thread pool down, which takes
        # the pool's lock; if the signal interrupted the main thread inside that lock (submitting a
        # request) the handler hangs there and the arbiter SIGKILLs the worker 10 s later. The
        # deadline is armed before gunicorn's handler runs.
        import signal

        for signum in (signal.SIGINT, signal.SIGQUIT):
            previous = signal.getsignal(signum)

            def handler(sig: int, frame: Any, previous: Any = previous) -> None:
                arm_deadline()
                if callable(previous):
                    previous(sig, frame)

            signal.signal(signum, handler)

    def worker_int(worker: Any) -> None:
        """Ctrl-C (SIGINT/SIGQUIT to the worker): end the open event streams now, so their threads
        return and the worker exits well within the arbiter's graceful timeout (no SIGKILL).

        This runs in a signal handler, and twice: the terminal's SIGINT reaches the whole process
        group and the arbiter then sends SIGQUIT. So it acts once and closes the streams on another
        thread: the handler may have interrupted the main thread inside the hub's (non-reentrant)
        lock, and taking that lock here would hang the worker."""
        arm_deadline()

    def worker_exit(server: Any, worker: Any) -> None:
        loop = state.get("loop")
        if loop is not None:
            loop.stop(per_service_s=2.0, total_s=4.0)
        platform = state.get("platform")
        if platform is not None:
            platform.close()

    def when_ready(server: Any) -> None:
        write_run_file(settings)
        _print_banner(settings)

    def on_exit(server: Any) -> None:
        remove_run_file(settings)

    threads = settings.web_threads

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
                "worker_int": worker_int,
                "worker_exit": worker_exit,
                "when_ready": when_ready,
                "on_exit": on_exit,
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


def _progress(text: str) -> None:
    print(f"==> {text}", flush=True)


def _db_label(url: str) -> str:
    return url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else url.split("@")[-1]


def _demo_open_24h(settings: Any) -> bool:
    from switch.config import SwitchSettings

    return SwitchSettings.of(settings).demo_open_24h


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
        from hotline.demo import DEMO_USERS

        logins = ", ".join(login for login, *_ in DEMO_USERS)
        lines.append(f"  demo logins   {logins} (password {DEMO_PASSWORD})")
        lines.append("  first call    log in as agent, press 置闲 (Go ready), then in another terminal:")
        lines.append("                .venv/bin/hotline call --keys \"0 1\"")
        lines.append("                (or, as supervisor, the console's 测试来电 / Test call page)")
        if not _demo_open_24h(settings):
            lines.append("  hours         centers keep their weekly hours; HOTLINE_DEMO_OPEN_24H=1 opens them all day")
        else:
            lines.append("  hours         every center takes calls around the clock (HOTLINE_DEMO_OPEN_24H=1)")
    lines.append("  Ctrl-C stops the node.")
    print("\n".join(lines), flush=True)
