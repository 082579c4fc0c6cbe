"""The worker's Ctrl-C deadline, armed from a signal handler without taking any lock.

A Python signal handler runs on the main thread wherever it was interrupted, possibly inside a lock
(the thread pool's, the interpreter's thread-start lock, the event hub's). Starting a thread or
setting an Event there can deadlock, and then nothing ever stops the worker until the arbiter's
SIGKILL. So the watcher thread is started beforehand and woken through a pipe (`os.write` is
async-signal-safe); as a last resort a real-time timer ends the process from the kernel even if
no Python thread can run any more.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

KERNEL_MARGIN_S = 1.5  # SIGALRM (default action: terminate) only if os._exit did not happen by then


class ShutdownWatchdog:
    def __init__(self, deadline_s: float, on_arm: Callable[[], None]) -> None:
        self.deadline_s = deadline_s
        self._on_arm = on_arm
        self._read_fd, self._write_fd = os.pipe()
        self._armed = False
        self._woken = threading.Event()
        # Both threads exist before any signal: starting one later takes the interpreter's
        # thread-start lock, which the interrupted main thread may hold.
        self._threads = [threading.Thread(target=self._watch, name="shutdown-watchdog", daemon=True),
                         threading.Thread(target=self._run_on_arm, name="shutdown-on-arm", daemon=True)]

    def start(self) -> None:
        """Call from the worker's main thread before any signal can arrive."""
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        for thread in self._threads:
            thread.start()

    @property
    def armed(self) -> bool:
        return self._armed

    def arm(self) -> None:
        """Safe in a signal handler: a flag, one write to a pipe and a timer, no lock."""
        if self._armed:
            return
        self._armed = True
        os.write(self._write_fd, b"!")
        signal.setitimer(signal.ITIMER_REAL, self.deadline_s + KERNEL_MARGIN_S)

    def _watch(self) -> None:
        os.read(self._read_fd, 1)
        self._woken.set()
        time.sleep(self.deadline_s)
        os._exit(0)  # everything durable was committed as it happened

    def _run_on_arm(self) -> None:
        self._woken.wait()
        try:
            self._on_arm()
        except Exception:  # the deadline holds whatever the clean-up does
            log.exception("shutdown: clean-up failed")
