"""Worker threads for an event loop's synchronous domain calls, with the least hand-off work.

`loop.run_in_executor` wraps every call in a `concurrent.futures.Future` (a condition variable and
its lock), chains it to an asyncio future through two callbacks and copies the state across; on a
call set-up of four short domain calls that machinery was a fifth of the FastAGI node's Python time.
Here a call is one queue put and, when it is done, one `call_soon_threadsafe` that settles the
awaiting asyncio future directly (docs/asterisk.md, seventh pass).
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")

_Job = tuple[asyncio.AbstractEventLoop, "asyncio.Future[Any] | None", Callable[..., Any], tuple[Any, ...]]


def _settle(future: asyncio.Future[Any], result: Any) -> None:
    if not future.done():  # the awaiting task may have been cancelled meanwhile
        future.set_result(result)


def _fail(future: asyncio.Future[Any], exc: BaseException) -> None:
    if not future.done():
        future.set_exception(exc)


class DomainThreads:
    """Up to `workers` threads, started as they are needed, taking jobs from one queue in order."""

    def __init__(self, workers: int = 8, name: str = "domain") -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.workers, self.name = workers, name
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        # workers waiting for a job that no job has claimed yet (under the lock): two jobs arriving together
        # never share one idle worker, so a job that waits long (a prompt whose speech render another thread
        # holds) never holds up the next one while fewer than `workers` threads run
        self._idle = 0
        self._lock = threading.Lock()
        self._closed = False

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run `fn(*args)` on a worker thread and return its result (or raise its exception)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._put((loop, future, fn, args))
        return await future

    def submit(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run `fn(*args)` on a worker thread without waiting for it; a failure is logged."""
        self._put((asyncio.get_running_loop(), None, fn, args))

    def _put(self, job: _Job) -> None:
        if self._closed:
            raise RuntimeError(f"{self.name} threads are closed")
        with self._lock:  # each job claims an idle worker, or a new thread is started for it
            if self._idle > 0:
                self._idle -= 1
                start = False
            else:
                start = len(self._threads) < self.workers
        self._jobs.put(job)
        if start:
            self._start_one()

    def _start_one(self) -> None:
        with self._lock:
            if len(self._threads) >= self.workers or self._closed:
                return
            thread = threading.Thread(target=self._work, name=f"{self.name}-{len(self._threads)}", daemon=True)
            self._threads.append(thread)
            thread.start()

    def _work(self) -> None:
        jobs, lock = self._jobs, self._lock
        while True:  # started for a job, and idle again after each one
            job = jobs.get()
            if job is None:
                return
            loop, future, fn, args = job
            settle: Callable[..., None] = _settle
            try:
                value = fn(*args)
            except BaseException as exc:  # handed to the awaiting coroutine (or logged)
                settle, value = _fail, exc
                if future is None:
                    log.exception("%s: background job %r failed", self.name, getattr(fn, "__qualname__", fn))
            with lock:  # idle again before the answer goes back: the caller's next job need not start a thread
                self._idle += 1
            if future is not None:
                self._reply(loop, settle, future, value)

    @staticmethod
    def _reply(loop: asyncio.AbstractEventLoop, settle: Callable[..., None], future: Any, value: Any) -> None:
        try:
            loop.call_soon_threadsafe(settle, future, value)
        except RuntimeError:
            pass  # the loop is closed: nobody is waiting any more

    def close(self) -> None:
        """Stop taking jobs; jobs not yet started are cancelled, running ones finish on their thread."""
        self._closed = True
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                break
            if job is not None and job[1] is not None:
                self._reply(job[0], lambda f, _: f.cancel(), job[1], None)
        for _ in self._threads:
            self._jobs.put(None)
