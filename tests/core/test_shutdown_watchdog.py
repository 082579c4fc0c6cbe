"""The Ctrl-C deadline holds even when the signal lands while the main thread holds a lock."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHILD = textwrap.dedent("""
    import os, signal, sys, threading, time
    sys.path.insert(0, {root!r})
    from core.shutdown_watchdog import ShutdownWatchdog

    def on_arm():
        print("clean-up ran", flush=True)

    watchdog = ShutdownWatchdog(0.5, on_arm=on_arm)
    watchdog.start()
    signal.signal(signal.SIGINT, lambda *_: watchdog.arm())
    # The interpreter's thread-start lock is held when the signal arrives: a handler that starts a
    # thread (or anything waiting on one) would hang here for ever.
    with threading._active_limbo_lock:
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(30)
    print("not stopped", flush=True)
""")


def test_a_signal_inside_the_thread_start_lock_still_ends_the_process_at_the_deadline() -> None:
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", CHILD.format(root=str(ROOT))], capture_output=True,
                          text=True, timeout=20)
    elapsed = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    assert "clean-up ran" in done.stdout and "not stopped" not in done.stdout
    assert elapsed < 10, elapsed


def test_arming_twice_wakes_the_watcher_once_and_sets_the_kernel_timer() -> None:
    child = textwrap.dedent("""
        import signal, sys
        sys.path.insert(0, {root!r})
        from core.shutdown_watchdog import ShutdownWatchdog
        calls = []
        watchdog = ShutdownWatchdog(5.0, on_arm=lambda: calls.append(1))
        watchdog.arm(); watchdog.arm()
        remaining, _ = signal.getitimer(signal.ITIMER_REAL)
        print(watchdog.armed, 5.0 < remaining <= 6.5, flush=True)
        signal.setitimer(signal.ITIMER_REAL, 0)
    """).format(root=str(ROOT))
    done = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=20)
    assert done.stdout.split() == ["True", "True"], done.stderr
