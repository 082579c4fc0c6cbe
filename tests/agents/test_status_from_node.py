"""`hotline acd status` without Redis asks the running node's REST API (a real WSGI server on a free port)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner
from werkzeug.serving import make_server

from hotline.platform import Platform


@pytest.fixture
def node(platform: Platform) -> Iterator[tuple[str, str]]:
    import agents.demo
    import switch.demo
    from web.app import create_app

    switch.demo.load_demo(platform)
    agents.demo.load_demo(platform)
    user = platform.accounts.create_user("sup-x", "pass-word-123", ["supervisor"], display_name="S",
                                         province_scope="00")
    token = platform.accounts.issue_token(user.id, "cli")
    from agents.domain import QueuedCall

    platform.agents.enqueue(QueuedCall(call_id="n1", queue_id="44-general", center_code="44", topic="general",
                                       skills=(), priority=0, caller="13800138000", language="zh", context={}))
    server = make_server("127.0.0.1", 0, create_app(platform, {"TESTING": True}), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", token
    server.shutdown()


def test_status_asks_the_node_when_there_is_no_redis(node: tuple[str, str], tmp_path: Any, monkeypatch: Any) -> None:
    from hotline.cli import main

    url, token = node
    monkeypatch.setenv("HOTLINE_DATA_DIR", str(tmp_path / "cli"))
    monkeypatch.delenv("REDIS_URL", raising=False)
    runner = CliRunner()
    out = runner.invoke(main, ["acd", "status", "--scope", "44", "--node", url, "--token", token])
    assert out.exit_code == 0, out.output
    assert "center:44: waiting 1 " in out.output  # the node's queue, not this process's empty one
    own = runner.invoke(main, ["acd", "status", "--scope", "44"])
    assert own.exit_code == 0 and "waiting 0" in own.output and "no REDIS_URL" in own.output
    bad = runner.invoke(main, ["acd", "status", "--node", url, "--token", "wrong"])
    assert bad.exit_code != 0 and "HTTP 401" in bad.output
