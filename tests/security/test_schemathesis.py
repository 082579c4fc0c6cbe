"""Item 20: schemathesis runs every check it has (`--checks all`) on every operation of
/api/v1/openapi.json, the live event stream included, against a running console, as an agent and as
an admin (bearer tokens): no server error, only declared status codes and content types, schema-valid
requests accepted (or refused by a domain rule with 422, see schemathesis.toml), schema-violating ones
refused. Bounded: few examples per operation, a timeout per request and for the whole run."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from hotline.platform import Platform
from tests.web.conftest import HOME_PROVINCE

ST = Path(sys.executable).with_name("st")
CONFIG = Path(__file__).with_name("schemathesis.toml")


@pytest.fixture
def served(web_app: Any) -> Any:
    server = make_server("127.0.0.1", 0, web_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.shutdown()


@pytest.mark.parametrize("who", ["agent", "admin"])
def test_schemathesis_runs_every_check_clean(served: str, web_app: Any, platform: Platform,
                                                                        make_user: Any, who: str,
                                                                        tmp_path: Path) -> None:
    if not ST.exists() and shutil.which("st") is None:
        pytest.fail("schemathesis is not installed (requirements-test.txt pins it)")
    web_app.config["SSE_MAX_SECONDS"] = 1
    roles = ("agent",) if who == "agent" else ("admin", "supervisor", "editor", "reviewer")
    user = make_user(f"st-{who}", roles, HOME_PROVINCE if who == "agent" else "00", agent=who == "agent")
    token = platform.accounts.issue_token(user.id, "schemathesis")
    run = subprocess.run(
        [str(ST if ST.exists() else shutil.which("st")), "--config-file", str(CONFIG), "run",
         f"{served}/api/v1/openapi.json", "-H", f"Authorization: Bearer {token}", "--checks", "all",
         "--phases", "fuzzing", "--max-examples", "2", "--request-timeout", "20", "--no-color",
         "--seed", "12333"],
        capture_output=True, text=True, timeout=600, cwd=tmp_path)  # its cache stays out of the tree
    tail = run.stdout[-4000:]
    assert run.returncode == 0, tail
    assert " passed" in tail
