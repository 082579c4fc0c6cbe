"""`HOTLINE_NODE_CPU`: which CPU a node's threads are kept on, and that they all are."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.affinity import choose_cpu, cpu_problem, parse_node_cpu
from core.settings import Settings


@pytest.mark.parametrize(("given", "kept"), [("off", "off"), ("", "off"), (" AUTO ", "auto"), ("1", "1")])
def test_setting_accepts_off_auto_and_numbers(given: str, kept: str) -> None:
    assert parse_node_cpu(given) == kept


@pytest.mark.parametrize("bad", ["-1", "cpu0", "0,1", "1.5"])
def test_setting_refuses_anything_else_with_a_clear_error(bad: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="HOTLINE_NODE_CPU must be off, auto or a CPU number"):
        Settings(data_dir=tmp_path, node_cpu=bad)


def test_choice_is_none_when_off_stable_for_auto_and_checked_for_numbers() -> None:
    allowed = {0, 1, 2, 3}
    assert choose_cpu("off", "node-1", allowed) is None
    picks = {choose_cpu("auto", f"node-{n}", allowed) for n in range(40)}
    assert picks <= allowed and len(picks) > 1  # spread by node id
    assert choose_cpu("auto", "node-7", allowed) == choose_cpu("auto", "node-7", allowed)
    assert choose_cpu("2", "node-1", allowed) == 2
    with pytest.raises(ValueError, match=r"may run on CPUs \[0, 1\] only"):
        choose_cpu("5", "node-1", {0, 1})


def test_a_cpu_this_process_may_not_use_is_named_before_the_node_starts() -> None:
    beyond = max(os.sched_getaffinity(0)) + 1
    assert f"HOTLINE_NODE_CPU={beyond}" in (cpu_problem(str(beyond), "node-1") or "")
    assert cpu_problem("auto", "node-1") is None and cpu_problem("off", "node-1") is None


def test_the_node_refuses_to_start_on_a_cpu_it_may_not_use(tmp_path: Path) -> None:
    beyond = max(os.sched_getaffinity(0)) + 1
    env = {**os.environ, "HOTLINE_DATA_DIR": str(tmp_path), "HOTLINE_NODE_CPU": str(beyond)}
    for name in ("DATABASE_URL", "RECORDS_DATABASE_URL", "REDIS_URL"):
        env.pop(name, None)
    done = subprocess.run([sys.executable, "-m", "hotline.cli", "serve", "--web-port", "0", "--agi-port", "0"],
                          env=env, capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 2
    assert f"HOTLINE_NODE_CPU={beyond}: this process may run on CPUs" in done.stdout + done.stderr


_PIN_AND_REPORT = """
import os, threading
from core.affinity import pin_node
before = threading.Thread(target=threading.Event().wait, daemon=True); before.start()
cpu = pin_node({spec!r}, "node-x")
after = threading.Thread(target=threading.Event().wait, daemon=True); after.start()
seen = set()
for task in os.listdir("/proc/self/task"):
    seen.add(tuple(sorted(os.sched_getaffinity(int(task)))))
print(cpu, sorted(seen))
"""


def test_every_thread_is_moved_and_later_threads_inherit_the_cpu() -> None:
    cpu = max(os.sched_getaffinity(0))
    out = subprocess.run([sys.executable, "-c", _PIN_AND_REPORT.format(spec=str(cpu))], capture_output=True,
                         text=True, check=True, cwd=Path(__file__).resolve().parents[2]).stdout.split(" ", 1)
    assert out[0] == str(cpu)
    assert out[1].strip() == str([(cpu,)])


def test_off_leaves_the_process_alone() -> None:
    out = subprocess.run([sys.executable, "-c", _PIN_AND_REPORT.format(spec="off")], capture_output=True,
                         text=True, check=True, cwd=Path(__file__).resolve().parents[2]).stdout.split(" ", 1)
    assert out[0] == "None"
    assert out[1].strip() == str([tuple(sorted(os.sched_getaffinity(0)))])
