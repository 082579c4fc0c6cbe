"""The benchmark runs whole calls end to end (figures are printed, never asserted)."""

from __future__ import annotations

import re

from click.testing import CliRunner

from bench.twilio import command


def test_bench_runs_whole_calls_and_prints_figures() -> None:
    result = CliRunner().invoke(command, ["--calls", "2"])
    assert result.exit_code == 0, result.output
    assert "webhooks 12 (6.0 per call)" in result.output
    assert "ACD answered 3 (incl. 1 warm-up), abandoned 0" in result.output
    for label in ("webhook ms", "accept -> REST push of <Dial> ms", "server time per whole call ms"):
        assert re.search(re.escape(label) + r": p50 \d+\.\d+\s+p99 \d+\.\d+", result.output), label
