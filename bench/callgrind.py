"""Instructions per engine-backed FastAGI call, counted by callgrind (valgrind): the figure the machine's
load does not move. CPU seconds on a shared 2-core machine varied by 2x within an hour (steal time);
the instruction count of the same code and calls is the same to within ~0.5 % from run to run.

Our FastAGI server with the real IVR engine runs under `valgrind --tool=callgrind` with instrumentation
off; after `warm` calls (caches, intent model, first imports) it is switched on for `calls` calls of the
default flow's first 13 commands (the `--engine` row's calls) and the counts are dumped. Kernel time
(system calls) is not counted: this measures the Python side, CPU seconds measure both."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

SERVER = """
import sys
from bench import agi

class Port:
    def put(self, port):
        print("port", port, flush=True)

agi._ours(Port(), True, sys.argv[1])
"""


def available() -> bool:
    return all(shutil.which(tool) for tool in ("valgrind", "callgrind_control"))


def _totals(path: Path) -> int:
    """The event count of a callgrind dump (its `totals:` or `summary:` line)."""
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        m = re.match(r"(?:totals|summary):\s+(\d+)", line)
        if m:
            return int(m.group(1))
    return 0


def engine_instructions(calls: int = 300, warm: int = 100, concurrency: int = 20) -> dict[str, float]:
    """Run the engine-backed server under callgrind; instructions per completed call."""
    from bench.agi import _rate

    root = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory(prefix="bench-callgrind-") as tmp:
        out = Path(tmp) / "agi.cg"
        data = Path(tmp) / "data"
        data.mkdir()
        proc = subprocess.Popen(
            ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}",
             sys.executable, "-c", SERVER, str(data)],
            cwd=root, env={**os.environ, "PYTHONPATH": str(root)}, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, text=True)
        try:
            port = _port(proc)
            asyncio.run(_rate(port, warm, min(10, concurrency), True, first=10**8))
            subprocess.run(["callgrind_control", "-i", "on", str(proc.pid)], capture_output=True, check=True)
            stats, _ = asyncio.run(_rate(port, calls, concurrency, True))
            subprocess.run(["callgrind_control", "-d", str(proc.pid)], capture_output=True, check=True)
        finally:
            proc.kill()
            proc.wait(30)
        total = sum(_totals(p) for p in Path(tmp).glob("agi.cg*"))
    done = max(1, stats.completed)
    return {"calls": stats.completed, "failed": stats.failed, "instructions_per_call": total / done}


def _port(proc: subprocess.Popen[str]) -> int:
    assert proc.stdout is not None
    for line in proc.stdout:
        m = re.match(r"port (\d+)", line)
        if m:
            return int(m.group(1))
    raise RuntimeError("the server under valgrind did not start")
