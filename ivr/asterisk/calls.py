"""What the AGI side and the AMI side share about live calls: which Asterisk channel carries which
platform call, ending a call exactly once (engine + ACD), and waking held callers.

The channel map lives in `platform.store`, so the AMI client of any node can resolve a Hangup event to
the call even when another node runs the call's FastAGI session.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

from ivr.api import IvrHost

log = logging.getLogger(__name__)

TTL_S = 6 * 3600.0
ENDED_TTL_S = 900.0  # an ended call's channel map is kept this long for late AMI events, then swept
QUIET = ("acd.call.queued",)  # the engine's own enqueue: nothing changed for the held caller


def _chan_key(uniqueid: str) -> str:
    return f"asterisk:chan:{uniqueid}"


def _call_key(call_id: str) -> str:
    return f"asterisk:call:{call_id}"


def register(platform: IvrHost, call_id: str, uniqueid: str, channel: str, node: str) -> None:
    platform.store.set(_chan_key(uniqueid), call_id, ttl=TTL_S)
    platform.store.hset(_call_key(call_id), {"uniqueid": uniqueid, "channel": channel, "node": node,
                                             "state": "ivr"})
    platform.store.expire(_call_key(call_id), TTL_S)


def set_state(platform: IvrHost, call_id: str, state: str) -> None:
    platform.store.hset(_call_key(call_id), {"state": state})


def call_for(platform: IvrHost, uniqueid: str) -> str | None:
    return platform.store.get(_chan_key(uniqueid)) if uniqueid else None


def channel_of(platform: IvrHost, call_id: str) -> dict[str, str]:
    return platform.store.hgetall(_call_key(call_id))


def end_call(platform: IvrHost, call_id: str, reason: str = "caller_hangup") -> bool:
    """The caller's side ended (AGI HANGUP/EOF or an AMI Hangup event, whichever comes first): end it in
    the engine (which settles the ACD) once. True if this call ended it."""
    if not platform.store.set(f"asterisk:ended:{call_id}", reason, ttl=ENDED_TTL_S, nx=True):
        return False
    set_state(platform, call_id, "ended")
    _forget_soon(platform, call_id)
    try:  # the engine ends the call and settles the ACD (`caller_left`)
        platform.ivr.hangup(call_id, reason)
    except Exception:
        log.exception("asterisk: engine hangup failed for call %s", call_id)
    return True


def _forget_soon(platform: IvrHost, call_id: str) -> None:
    """An ended call's keys expire in ENDED_TTL_S instead of the 6 hours of a live call."""
    info = platform.store.hgetall(_call_key(call_id))
    platform.store.expire(_call_key(call_id), ENDED_TTL_S)
    if info.get("uniqueid"):
        platform.store.expire(_chan_key(info["uniqueid"]), ENDED_TTL_S)


def mark_ended(platform: IvrHost, call_id: str, reason: str) -> None:
    """The engine ended the call itself (Hangup/Transfer): later hang-up events change nothing."""
    platform.store.set(f"asterisk:ended:{call_id}", reason, ttl=ENDED_TTL_S)
    set_state(platform, call_id, "ended")
    _forget_soon(platform, call_id)


class Waker:
    """Wakes the hold loop of a call on `acd.call.*` events (from any thread: the bus dispatches in the
    publisher's thread) and on DTMF seen over AMI (digits pressed during music never reach AGI)."""

    def __init__(self, bus: Any) -> None:
        self._waiting: dict[str, tuple[asyncio.AbstractEventLoop, asyncio.Queue[str]]] = {}
        self._lock = threading.Lock()
        self._sub = bus.subscribe(self._on_event, ("acd.call.",))

    def close(self) -> None:
        self._sub.close()

    def watch(self, call_id: str) -> asyncio.Queue[str]:
        """The call's wake-up queue (created on first use; kept for the whole call so that an event
        arriving while the engine decides is not lost)."""
        with self._lock:
            entry = self._waiting.get(call_id)
            if entry is None:
                entry = self._waiting[call_id] = (asyncio.get_running_loop(), asyncio.Queue())
        return entry[1]

    def unwatch(self, call_id: str) -> None:
        with self._lock:
            self._waiting.pop(call_id, None)

    def _put(self, call_id: str, item: str, stamp: bool = False) -> bool:
        with self._lock:
            entry = self._waiting.get(call_id)
        if entry is None:
            return False
        loop, queue = entry

        def put() -> None:  # on the loop: stamp with the loop time the item arrived at
            queue.put_nowait(f"{item}@{loop.time():.3f}" if stamp else item)

        try:
            loop.call_soon_threadsafe(put)
        except RuntimeError:  # loop closed
            return False
        return True

    def _on_event(self, event: Any) -> None:
        call_id = event.data.get("call_id")
        if isinstance(call_id, str) and event.type not in QUIET:
            self._put(call_id, "event:" + event.type)

    def digit(self, call_id: str, digit: str) -> bool:
        """A key seen over AMI (DTMFEnd): queued as `dtmf:<key>@<loop time>`."""
        return self._put(call_id, "dtmf:" + digit, stamp=True)
