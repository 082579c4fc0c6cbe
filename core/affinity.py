"""One CPU for a node's Python (`HOTLINE_NODE_CPU`).

The node's threads (the asyncio loop with FastAGI and AMI, the domain pool the calls' engine steps run
in, the web server's threads) share one GIL. When the kernel runs two of them on two cores, every hand-
over of the GIL crosses cores; measured with the engine behind FastAGI on 2 cores, a call then costs
about twice the CPU it costs with the same threads on one core (docs/asterisk.md, "Fourth pass").
Python runs one thread at a time anyway, so a node loses no Python throughput by staying on one CPU;
the other cores are left to PostgreSQL, Redis, Asterisk and the other nodes. Children the node starts
(espeak-ng, sox) inherit the CPU.

`off` (the default) leaves the scheduler alone; a number pins to that CPU; `auto` picks one of the CPUs
the process may use from the node id (stable across restarts; give numbers when several nodes share a
host and must not share a CPU)."""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)


def parse_node_cpu(value: str) -> str:
    """`off`, `auto` or a CPU number, else a clear error (a settings validator)."""
    text = str(value).strip().lower()
    if text in ("", "off", "none"):
        return "off"
    if text == "auto" or (text.isdigit() and len(text) <= 4):
        return text
    raise ValueError(f"HOTLINE_NODE_CPU must be off, auto or a CPU number, not {value!r}")


def choose_cpu(spec: str, node_id: str, allowed: set[int]) -> int | None:
    """The CPU `spec` names among `allowed` (None for `off`). A number outside the allowed set is an
    error: the node would otherwise start somewhere nobody asked for."""
    spec = parse_node_cpu(spec)
    if spec == "off" or not allowed:
        return None
    cpus = sorted(allowed)
    if spec == "auto":
        return cpus[int(hashlib.sha256(node_id.encode()).hexdigest(), 16) % len(cpus)]
    cpu = int(spec)
    if cpu not in allowed:
        raise ValueError(f"HOTLINE_NODE_CPU={cpu}: this process may run on CPUs {cpus} only")
    return cpu


def pin_process(cpu: int) -> int:
    """Every thread of this process onto `cpu`; threads started later inherit it. Returns how many
    threads were moved (a thread that ended meanwhile is skipped)."""
    moved = 0
    for task in Path("/proc/self/task").iterdir():
        try:
            os.sched_setaffinity(int(task.name), {cpu})
        except (ProcessLookupError, FileNotFoundError):
            continue
        moved += 1
    return moved


def cpu_problem(spec: str, node_id: str) -> str | None:
    """Why `spec` cannot be applied on this machine (a CPU this process may not use), or None."""
    if not hasattr(os, "sched_getaffinity"):  # pragma: no cover - not Linux
        return None
    try:
        choose_cpu(spec, node_id, os.sched_getaffinity(0))
    except ValueError as exc:
        return str(exc)
    return None


def pin_node(spec: str, node_id: str) -> int | None:
    """Apply `HOTLINE_NODE_CPU` to this process at start; the CPU chosen, or None."""
    if not hasattr(os, "sched_setaffinity"):  # pragma: no cover - not Linux
        if parse_node_cpu(spec) != "off":
            log.warning("HOTLINE_NODE_CPU=%s ignored: this system cannot pin threads", spec)
        return None
    cpu = choose_cpu(spec, node_id, os.sched_getaffinity(0))
    if cpu is not None:
        moved = pin_process(cpu)
        log.info("node %s: its %d threads run on CPU %d (HOTLINE_NODE_CPU=%s)", node_id, moved, cpu, spec)
    return cpu
