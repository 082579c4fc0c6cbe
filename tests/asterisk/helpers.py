"""Small helpers for the asyncio tests of the Asterisk front end (no pytest-asyncio needed)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from ivr.asterisk.agi import AGIConnection, FastAGIServer

T = TypeVar("T")


def run(coro: Awaitable[T], timeout: float = 20.0) -> T:
    async def _main() -> T:
        return await asyncio.wait_for(coro, timeout)

    return asyncio.run(_main())


@asynccontextmanager
async def agi_server(handler: Callable[[AGIConnection], Awaitable[None]],
                     **kwargs: Any) -> AsyncIterator[FastAGIServer]:
    server = FastAGIServer(handler, "127.0.0.1", 0, **kwargs)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def until(cond: Callable[[], Any], timeout: float = 3.0) -> None:
    """Poll `cond` on the running loop until it is true; fail the test after `timeout` seconds."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not cond():
        if loop.time() > end:
            raise AssertionError("condition not reached")
        await asyncio.sleep(0.005)
