import asyncio
import threading

from core.timers import PeriodicService


def test_periodic_service_keeps_running_after_a_failing_pass() -> None:
    calls: list[int] = []
    done = threading.Event()

    def work() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("first pass fails")
        if len(calls) >= 3:
            done.set()

    async def scenario() -> None:
        svc = PeriodicService("test-timer", 0.01, work)
        await svc.start()
        await asyncio.to_thread(done.wait, 5)
        await svc.stop()

    asyncio.run(scenario())
    assert len(calls) >= 3
