"""The run command's node: starts on a fresh data dir (demo data loaded), answers the login page and
the FastAGI port, and stops cleanly on Ctrl-C (SIGINT) with no traceback or panic."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


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


def test_node_starts_on_a_fresh_data_dir_and_stops_cleanly_on_sigint(tmp_path: Path) -> None:
    web_port, agi_port = _free_port(), _free_port()
    env = {**os.environ, "HOTLINE_DATA_DIR": str(tmp_path), "HOTLINE_WEB_THREADS": "16"}
    for name in ("DATABASE_URL", "RECORDS_DATABASE_URL", "REDIS_URL"):
        env.pop(name, None)
    proc = subprocess.Popen([sys.executable, "-m", "core.cli", "serve", "--web-port", str(web_port),
                             "--agi-port", str(agi_port)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        def login_ok() -> bool:
            with urllib.request.urlopen(f"http://127.0.0.1:{web_port}/login", timeout=2) as r:
                return r.status == 200 and "csrf_token" in r.read().decode()

        assert _wait_for(login_ok, 240), "the login page never answered"

        def agi_open() -> bool:
            with socket.create_connection(("127.0.0.1", agi_port), timeout=2):
                return True

        assert _wait_for(agi_open, 30), "the FastAGI listener never opened"
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            output, _ = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            output, _ = proc.communicate()
            raise AssertionError("the node did not stop within 60 s of SIGINT:\n" + output[-3000:]) from None
    assert proc.returncode == 0, output[-3000:]
    assert f"http://127.0.0.1:{web_port}/" in output and "hotline-demo" in output
    assert "Traceback" not in output and "panicked" not in output, output[-3000:]
    assert (tmp_path / "hotline.db").exists() and (tmp_path / "secrets" / "secret_key").exists()
