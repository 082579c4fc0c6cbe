"""The event loop's worker threads for synchronous domain calls (core/domain_threads.py)."""

from __future__ import annotations

import asyncio
import logging
import threading

import pytest

from core.domain_threads import DomainThreads


def test_a_call_runs_off_the_loop_thread_and_returns_its_result() -> None:
    threads = DomainThreads(2, name="t")

    async def main() -> tuple[int, int]:
        return await threads.run(lambda a, b: (a + b, threading.get_ident()), 2, 3)

    try:
        total, ident = asyncio.run(main())
    finally:
        threads.close()
    assert total == 5
    assert ident != threading.get_ident()


def test_an_exception_reaches_the_awaiting_coroutine_and_the_worker_goes_on() -> None:
    threads = DomainThreads(1, name="t")

    def boom() -> None:
        raise LookupError("no such call")

    async def main() -> str:
        with pytest.raises(LookupError, match="no such call"):
            await threads.run(boom)
        return await threads.run(str.upper, "still here")

    try:
        assert asyncio.run(main()) == "STILL HERE"
    finally:
        threads.close()


def test_blocking_calls_run_side_by_side_up_to_the_worker_count() -> None:
    threads = DomainThreads(3, name="t")
    inside, peak, lock = 0, 0, threading.Lock()
    gate = threading.Event()

    def blocking() -> None:
        nonlocal inside, peak
        with lock:
            inside += 1
            peak = max(peak, inside)
        gate.wait(5)
        with lock:
            inside -= 1

    async def main() -> None:
        calls = [asyncio.ensure_future(threads.run(blocking)) for _ in range(6)]
        for _ in range(200):
            await asyncio.sleep(0.01)
            if peak >= 3:
                break
        gate.set()
        await asyncio.gather(*calls)

    try:
        asyncio.run(main())
    finally:
        threads.close()
    assert peak == 3  # never more threads than workers, and all of them used
    assert len(threads._threads) == 3


def test_two_jobs_arriving_together_never_share_one_idle_worker() -> None:
    """A job that blocks (a long TTS render, a leg's recording) must not hold up the job submitted with it:
    with one worker idle, the second job gets a thread of its own."""
    threads = DomainThreads(4, name="t")
    second_ran = threading.Event()

    def blocks_until_the_second_ran() -> bool:
        return second_ran.wait(5)

    async def main() -> bool:
        await threads.run(abs, -1)  # one worker now, idle
        first = asyncio.ensure_future(threads.run(blocks_until_the_second_ran))
        second = asyncio.ensure_future(threads.run(second_ran.set))
        await second
        return await first

    try:
        assert asyncio.run(main()) is True
        assert len(threads._threads) == 2
    finally:
        threads.close()


def test_threads_start_only_when_needed() -> None:
    threads = DomainThreads(8, name="t")

    async def main() -> None:
        for n in range(20):  # one at a time: one worker is always idle when the next arrives
            assert await threads.run(abs, -n) == n

    try:
        asyncio.run(main())
        assert len(threads._threads) == 1
    finally:
        threads.close()


def test_a_cancelled_waiter_does_not_break_the_worker() -> None:
    threads = DomainThreads(1, name="t")
    started, release = threading.Event(), threading.Event()

    def slow() -> str:
        started.set()
        release.wait(5)
        return "late"

    async def main() -> str:
        task = asyncio.ensure_future(threads.run(slow))
        while not started.is_set():
            await asyncio.sleep(0.005)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        release.set()  # the result comes back to a cancelled future: dropped
        return await threads.run(str, 7)

    try:
        assert asyncio.run(main()) == "7"
    finally:
        threads.close()


def test_close_cancels_what_has_not_started_and_refuses_new_work() -> None:
    threads = DomainThreads(1, name="t")
    started, release = threading.Event(), threading.Event()
    ran: list[str] = []

    def first() -> None:
        started.set()
        release.wait(5)
        ran.append("first")

    async def main() -> None:
        running = asyncio.ensure_future(threads.run(first))
        queued = asyncio.ensure_future(threads.run(ran.append, "queued"))
        while not started.is_set():
            await asyncio.sleep(0.005)
        threads.close()
        release.set()
        await running  # a job already running finishes
        with pytest.raises(asyncio.CancelledError):
            await queued
        with pytest.raises(RuntimeError, match="closed"):
            await threads.run(str, 1)

    asyncio.run(main())
    assert ran == ["first"]


def test_a_failing_background_job_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    threads = DomainThreads(1, name="t")
    done = threading.Event()

    def broken() -> None:
        raise ValueError("disk full")

    async def main() -> None:
        threads.submit(broken)
        await threads.run(done.set)  # one worker, jobs in order: the background job ran before this one

    caplog.set_level(logging.ERROR, logger="core.domain_threads")
    try:
        asyncio.run(main())
    finally:
        threads.close()
    assert done.is_set()
    assert any("background job" in r.getMessage() and r.exc_info for r in caplog.records)


def test_workers_must_be_positive() -> None:
    with pytest.raises(ValueError):
        DomainThreads(0)
