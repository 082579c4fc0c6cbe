"""The run command's node: starts on a fresh data dir (demo data loaded), answers the login page and
the FastAGI port, and stops cleanly on Ctrl-C (SIGINT) with no traceback, panic or SIGKILL, also
with consoles' live event streams and calls open (issue 19: gunicorn used to SIGKILL the worker after
10 s, its SIGINT handler stuck on a lock)."""

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import requests


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(check, timeout: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if check():
                return True
        except OSError:
            pass
        time.sleep(0.5)
    return False


def _open_consoles_and_calls(web_port: int, agi_port: int, *, streams: int, calls: int) -> dict[str, Any]:
    """A supervisor's console with `streams` live event streams, and `calls` FastAGI calls whose
    Asterisk side never answers the platform's first command: what a busy node holds at Ctrl-C."""
    base = f"http://127.0.0.1:{web_port}"
    session = requests.Session()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', session.get(base + "/login").text).group(1)
    session.post(base + "/login", data={"csrf_token": token, "username": "supervisor", "password": "hotline-demo"})
    opened: list[int] = []

    def stream() -> None:
        try:
            with session.get(base + "/api/v1/events", stream=True, timeout=120) as response:
                opened.append(response.status_code)
                for _ in response.iter_lines():
                    pass
        except requests.RequestException:
            pass  # the node went away: that is the point

    for _ in range(streams):
        threading.Thread(target=stream, daemon=True).start()
    lines = []
    for i in range(calls):
        agi = socket.create_connection(("127.0.0.1", agi_port))
        lines.append(agi)  # held open until the node stops
        agi.sendall((f"agi_network: yes\nagi_channel: PJSIP/load-{i}\nagi_uniqueid: 9.{i}\n"
                     f"agi_callerid: 1380013{i:04d}\nagi_extension: 12333\nagi_context: hotline\n\n").encode())
    _wait_for(lambda: len(opened) >= streams, 30)
    time.sleep(1)  # the calls have reached the IVR
    return {"streams": sum(1 for code in opened if code == 200), "calls": lines}


def _cpus_of_threads(pid: int) -> set[str]:
    """The CPUs each thread of a process may run on ("Cpus_allowed_list"), as a set of those lists."""
    found = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        status = (task / "status").read_text()
        found.add(re.search(r"Cpus_allowed_list:\s*(\S+)", status).group(1))  # type: ignore[union-attr]
    return found


def _worker_pid(arbiter: int) -> int:
    children = Path(f"/proc/{arbiter}/task/{arbiter}/children").read_text().split()
    assert len(children) == 1, children
    return int(children[0])


def test_node_starts_on_a_fresh_data_dir_and_stops_cleanly_on_sigint(tmp_path: Path) -> None:
    web_port, agi_port = _free_port(), _free_port()
    cpu = max(os.sched_getaffinity(0))  # HOTLINE_NODE_CPU: the worker's threads stay on it
    env = {**os.environ, "HOTLINE_DATA_DIR": str(tmp_path), "HOTLINE_WEB_THREADS": "32",
           "HOTLINE_NODE_CPU": str(cpu)}
    for name in ("DATABASE_URL", "RECORDS_DATABASE_URL", "REDIS_URL"):
        env.pop(name, None)
    proc = subprocess.Popen([sys.executable, "-m", "hotline.cli", "serve", "--web-port", str(web_port),
                             "--agi-port", str(agi_port)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        def login_ok() -> bool:
            with urllib.request.urlopen(f"http://127.0.0.1:{web_port}/login", timeout=2) as r:
                return r.status == 200 and "csrf_token" in r.read().decode()

        assert _wait_for(login_ok, 240), "the login page never answered"

        def agi_open() -> bool:
            with socket.create_connection(("127.0.0.1", agi_port), timeout=2):
                return True

        assert _wait_for(agi_open, 30), "the FastAGI listener never opened"
        held = _open_consoles_and_calls(web_port, agi_port, streams=20, calls=5)
        assert held["streams"] == 20, held
        # the loop, the domain pool and the 20 stream threads, started before and after the pin
        assert _cpus_of_threads(_worker_pid(proc.pid)) == {str(cpu)}
    finally:
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in the terminal does: the whole process group
        try:
            output, _ = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            output, _ = proc.communicate()
            raise AssertionError("the node did not stop within 60 s of SIGINT:\n" + output[-3000:]) from None
    assert proc.returncode == 0, output[-3000:]
    assert f"http://127.0.0.1:{web_port}/" in output and "hotline-demo" in output
    assert "Traceback" not in output and "panicked" not in output, output[-3000:]
    assert "SIGKILL" not in output, output[-3000:]
    assert (tmp_path / "hotline.db").exists() and (tmp_path / "secrets" / "secret_key").exists()
