"""SSE on a real node: `hotline serve` (gunicorn gthread) holds several streams, delivers a broadcast
to each, and frees a stream's thread when its client goes (the bench at small size, as a test)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

pytestmark = pytest.mark.slow


def test_a_real_node_streams_broadcasts_to_every_client() -> None:
    from bench.sse import command

    result = CliRunner().invoke(command, ["--streams", "12", "--events", "3", "--gap", "0.02"])
    assert result.exit_code == 0, result.output
    assert "streams open: 12 / 12" in result.output
    assert "events delivered: 36 / 36 (100.0%)" in result.output
