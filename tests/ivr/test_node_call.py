"""A first call through a real node: `hotline serve` on loopback (demo data), agent `agent` logged in
and ready over REST, then `hotline call --node URL --from 13800138000 --keys "0 1"` in another
process. The agent sees the offer, accepts and hangs up; the caller's terminal shows it. The
standalone simulator run beside the node leaves the node's reports and callbacks as they were, and
Ctrl-C stops the node without a SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from click.testing import CliRunner

from hotline.cli import main

pytestmark = pytest.mark.slow
HOTLINE = [sys.executable, "-m", "hotline.cli"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _until(check: Any, what: str, tries: int = 200, pause: float = 0.1) -> Any:
    for _ in range(tries):
        value = check()
        if value:
            return value
        time.sleep(pause)
    raise AssertionError(f"never happened: {what}")


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    data = tmp_path_factory.mktemp("node")
    env = {**os.environ, "HOTLINE_DATA_DIR": str(data), "HOTLINE_DEMO": "1", "HOTLINE_DEMO_OPEN_24H": "1",
           "HOTLINE_SSE_HEARTBEAT": "1"}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    out = CliRunner().invoke(main, ["init", "--demo"], env={"HOTLINE_DATA_DIR": str(data)})
    assert out.exit_code == 0, out.output
    token = CliRunner().invoke(main, ["users", "token", "agent"], env={"HOTLINE_DATA_DIR": str(data)})
    assert token.exit_code == 0, token.output
    port = _free_port()
    proc = subprocess.Popen([*HOTLINE, "serve", "--web-port", str(port), "--agi-port", str(_free_port())],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
        try:
            return requests.get(url + "/healthz", timeout=1).status_code == 200
        except requests.RequestException:
            return False

    try:
        _until(up, "the node answers", tries=600)
        yield {"url": url, "data": data, "env": env, "proc": proc,
               "agent": {"Authorization": f"Bearer {token.output.strip().splitlines()[-1]}"}}
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _counts(data: Path) -> tuple[int, ...]:
    with sqlite3.connect(data / "hotline.db") as db:
        return tuple(db.execute(f"select count(*) from {table}").fetchone()[0]
                     for table in ("acd_wrapups", "acd_callbacks", "acd_interval_stats", "ivr_calls", "tickets"))


def test_hotline_call_reaches_the_ready_agent_through_the_node(node: dict[str, Any]) -> None:
    url, agent = node["url"], node["agent"]
    assert requests.post(url + "/api/v1/agent/login", headers=agent, timeout=10).status_code == 200
    ready = requests.post(url + "/api/v1/agent/ready", headers=agent, timeout=10).json()
    assert ready["state"] == "ready"

    # the node on this data dir is found by default (its run file); --node names it explicitly
    assert json.loads((node["data"] / "node.json").read_text())["url"] == url
    caller = subprocess.Popen([*HOTLINE, "call", "--node", url, "--from", "13800138000", "--keys", "0 1"],
                              env=node["env"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        status = _until(lambda: (s := requests.get(url + "/api/v1/agent/status", headers=agent, timeout=10).json())
                        ["state"] == "offered" and s, "the agent is offered the call")
        call_id = status["offer"]["call_id"]
        assert call_id.startswith("test-") and status["offer"]["caller_masked"] == "138****8000"
        accepted = requests.post(f"{url}/api/v1/agent/calls/{call_id}/accept", headers=agent, timeout=10)
        assert accepted.status_code == 200, accepted.text
        time.sleep(0.5)
        assert requests.post(url + "/api/v1/agent/hangup", headers=agent, timeout=10).status_code == 200
        output, _ = caller.communicate(timeout=60)
    finally:
        if caller.poll() is None:
            caller.kill()
    assert caller.returncode == 0, output
    assert "系统识别您的参保地为北京市" in output and "正在为您接通坐席" in output
    assert "坐席已接听" in output and "坐席已挂断" in output and "请对本次服务进行评价" in output
    assert f"call {call_id}: outcome caller_hangup" in output
    wrapped = requests.post(url + "/api/v1/agent/wrap-up", headers=agent, json={"disposition": "resolved"},
                            timeout=10)
    assert wrapped.status_code == 200 and wrapped.json()["state"] == "ready"


def _settled_counts(data: Path) -> tuple[int, ...]:
    """The counts once the node itself has stopped writing (it persists the open interval's counters
    within a second of a change, later on a loaded machine)."""
    last, deadline = _counts(data), time.monotonic() + 30
    while time.monotonic() < deadline:
        time.sleep(1.5)
        now = _counts(data)
        if now == last:
            break
        last = now
    return last


def test_the_standalone_simulator_leaves_the_node_unchanged(node: dict[str, Any]) -> None:
    before = _settled_counts(node["data"])
    agent_before = requests.get(node["url"] + "/api/v1/agent/status", headers=node["agent"], timeout=10).json()
    # a queued caller who asks for a callback (virtual hold) and a caller served by the demo agent
    for keys in ("0 1 1", "0 1 - 1"):
        done = subprocess.run([*HOTLINE, "call", "--standalone", "--from", "18620001234", "--keys", keys,
                               "--no-agent" if keys == "0 1 1" else "--verbose-events"],
                              env=node["env"], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "throwaway copy" in done.stderr and "outcome" in done.stdout
    assert _counts(node["data"]) == before
    assert requests.get(node["url"] + "/api/v1/agent/status", headers=node["agent"], timeout=10).json()["today"] \
        == agent_before["today"]
    refused = subprocess.run([*HOTLINE, "call", "--in-place", "--keys", "h"], env=node["env"], capture_output=True,
                             text=True, timeout=60)
    assert refused.returncode != 0 and "a node runs on" in refused.stderr


def test_ctrl_c_stops_the_node_cleanly(node: dict[str, Any]) -> None:
    proc = node["proc"]
    stream = requests.get(node["url"] + "/api/v1/events", headers=node["agent"], stream=True, timeout=10)
    assert stream.status_code == 200
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in the terminal does: the whole process group
    output, _ = proc.communicate(timeout=30)
    stream.close()
    text = output.decode(errors="replace")
    assert proc.returncode == 0, text[-2000:]
    assert "SIGKILL" not in text and "12333 hotline node is up" in text
    assert not (node["data"] / "node.json").exists()
