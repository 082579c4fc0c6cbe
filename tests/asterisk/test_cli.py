"""`hotline asterisk check|devices` against the fake AMI server (run in its own thread and loop)."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from hotline.platform import cli_obj
from ivr.asterisk.cli import asterisk_group
from tests.asterisk.emulator import FakeAMIServer


@pytest.fixture
def ami_server() -> Iterator[FakeAMIServer]:
    server = FakeAMIServer()
    loop = asyncio.new_event_loop()
    ready = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(server.start())
        server.add_channel("PJSIP/trunk-00000001", "1795.1")
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    ready.wait(5)
    yield server
    asyncio.run_coroutine_threadsafe(server.stop(), loop).result(5)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)


def _env(tmp_path, port: int, secret: str = "s3cret") -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"HOTLINE_DATA_DIR": str(tmp_path), "HOTLINE_AMI_HOST": "127.0.0.1", "HOTLINE_AMI_PORT": str(port),
            "HOTLINE_AMI_USERNAME": "hotline", "HOTLINE_AMI_SECRET": secret}


def test_check_logs_in_and_reports(tmp_path, ami_server: FakeAMIServer) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(asterisk_group, obj=cli_obj(), args=["check", "--json"],
                                env=_env(tmp_path, ami_server.port))
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["ok"] and out["channels"] == 1 and out["version"].startswith("Asterisk 22")
    assert any(a.get("authtype") == "MD5" for a in ami_server.actions)


def test_check_reports_a_refused_login(tmp_path, ami_server: FakeAMIServer) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(asterisk_group, obj=cli_obj(), args=["check", "--timeout", "1"],
                                env=_env(tmp_path, ami_server.port, secret="wrong"))
    assert result.exit_code == 1 and "Authentication failed" in result.output


def test_check_without_ami_is_a_clear_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(asterisk_group, obj=cli_obj(), args=["check"], env={"HOTLINE_DATA_DIR": str(tmp_path),
                                                                "HOTLINE_AMI_HOST": ""})
    assert result.exit_code != 0 and "HOTLINE_AMI_HOST is not set" in result.output


def test_devices_lists_the_softphone_states(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(asterisk_group, obj=cli_obj(), args=["devices"],
                                env={"HOTLINE_DATA_DIR": str(tmp_path)})
    assert result.exit_code == 0 and "no softphone state seen yet" in result.output


def test_devices_without_redis_asks_asterisk(tmp_path, ami_server: FakeAMIServer) -> None:  # type: ignore[no-untyped-def]
    ami_server.device_states.update({"PJSIP/agent-1": "NOT_INUSE", "PJSIP/agent-2": "INUSE",
                                     "PJSIP/agent-3": "UNAVAILABLE", "Queue:hotline-fallback": "NOT_INUSE"})
    result = CliRunner().invoke(asterisk_group, obj=cli_obj(), args=["devices"], env=_env(tmp_path, ami_server.port))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "DeviceStateList" in lines[0]
    assert [line.split() for line in lines[1:]] == [["PJSIP/agent-1", "available"], ["PJSIP/agent-2", "in_use"],
                                                     ["PJSIP/agent-3", "offline"]]
