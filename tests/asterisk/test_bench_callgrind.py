"""The callgrind reader of `hotline bench agi --engine --instructions N` (bench/callgrind.py)."""

from __future__ import annotations

from pathlib import Path

from bench.callgrind import _totals


def test_the_count_is_read_from_the_dumps_totals_or_summary_line(tmp_path: Path) -> None:
    dump = tmp_path / "agi.cg.1"
    dump.write_text("# callgrind format\nversion: 1\ncmd: python\nevents: Ir\n"
                    "fl=(1) x.c\nfn=(1) main\n3 120\nsummary: 5007278000\ntotals: 5007278000\n", encoding="utf-8")
    assert _totals(dump) == 5_007_278_000
    dump.write_text("events: Ir\nsummary: 42\n", encoding="utf-8")
    assert _totals(dump) == 42
    dump.write_text("events: Ir\nfn=(1) main\n3 120\n", encoding="utf-8")  # cut short: nothing counted
    assert _totals(dump) == 0
