"""`hotline bench acd --nodes 2` runs two real node processes on one Redis and checks the shared state
for double assignments while they run (figures are printed, never asserted)."""

from __future__ import annotations

import re

from click.testing import CliRunner

from bench.acd import command
from tests import services


def test_two_nodes_drive_load_and_the_checker_watches() -> None:
    services.require("redis")
    result = CliRunner().invoke(command, ["--agents", "40", "--waiting", "60", "--ops", "60", "--store", "redis",
                                          "--redis-url", services.REDIS_URL, "--nodes", "2"])
    assert result.exit_code == 0, result.output
    assert re.search(r"node-a: \d+ decisions/s", result.output), result.output
    assert re.search(r"node-b: \d+ decisions/s", result.output), result.output
    found = re.search(r"double-assignment checks during the load: (\d+).*faults found: (\d+)", result.output)
    assert found is not None, result.output
    assert int(found.group(1)) >= 1 and found.group(2) == "0", result.output
