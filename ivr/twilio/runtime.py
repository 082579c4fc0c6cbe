"""Node service: when the ACD changes the state of a held Twilio call (an agent accepted it), push
the next TwiML into the live call through Twilio's REST API.

ACD events are published in the thread that changed the state (often a console request), so the
REST call is handed to the node loop's executor instead of running inside that request.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from core.events import Event, Subscription
from ivr.api import IvrHost
from ivr.twilio.config import TwilioConfig
from ivr.twilio.voice import TwilioVoice

log = logging.getLogger(__name__)

# ACD events that are worth interrupting the hold music for. Queued/offered change nothing the
# caller hears (an offer is followed by connected, or by a re-offer after ring-no-answer).
QUIET_EVENTS = frozenset({"acd.call.queued", "acd.call.offered"})


# Console actions on a connected call that must end the agent leg on the line (acd.call.ended is sent for
# every end; end_bridge only acts while the call is still in its <Dial>).
BRIDGE_ENDERS = frozenset({"acd.call.ended", "acd.call.transferred"})


class TwilioBridge:
    name = "ivr.twilio"

    def __init__(self, platform: IvrHost, voice: TwilioVoice | None = None) -> None:
        self.platform = platform
        self.voice = voice or TwilioVoice(platform)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._subscription: Subscription | None = None
        self._pending: set[asyncio.Future[bool]] = set()

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._subscription = self.platform.bus.subscribe(self._on_event, ("acd.call.",))

    async def stop(self) -> None:
        if self._subscription is not None:
            self._subscription.close()
            self._subscription = None
        await self.drain()

    async def drain(self) -> None:
        """Wait for the pushes already scheduled (tests, shutdown)."""
        await asyncio.sleep(0)  # let wake-ups handed over with call_soon_threadsafe get scheduled
        while self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)

    def _on_event(self, event: Event) -> None:
        call_id = event.data.get("call_id")
        if event.type in QUIET_EVENTS or not isinstance(call_id, str) or self._loop is None:
            return
        if event.type == "acd.call.connected" and self._is_twilio_callback(call_id, event.data.get("endpoint")):
            endpoint, agent_id = event.data.get("endpoint"), event.data.get("agent_id")
            self._loop.call_soon_threadsafe(self._schedule, call_id, event.type,
                                            lambda: bool(self.voice.dial_callback(call_id, endpoint, agent_id)))
            return
        if not self.voice.is_twilio_call(call_id):
            return
        if event.type == "acd.call.transferred" and event.data.get("kind") == "remote":
            data = dict(event.data)
            self._loop.call_soon_threadsafe(self._schedule, call_id, event.type,
                                            lambda: self.voice.push_transfer(call_id, data))
            return
        if event.type == "acd.call.ended" and event.data.get("reason") != "agent_hangup":
            return  # the caller or the line ended it: nothing to do on the line
        if event.type == "acd.call.transferred" and event.data.get("kind") != "local":
            return  # remote transfers are carried by the handoff, not by ending the agent leg
        self._loop.call_soon_threadsafe(self._schedule, call_id, event.type)

    def _is_twilio_callback(self, call_id: str, endpoint: Any) -> bool:
        """An accepted callback whose agent answers on Twilio (browser, SIP URI or number): Asterisk
        endpoints (PJSIP/...) are rung back by the AMI side."""
        if str(endpoint or "").upper().startswith("PJSIP/"):
            return False
        try:
            context = self.platform.agents.call_context(call_id) or {}
        except Exception:
            log.exception("twilio: reading the ACD context of %s failed", call_id)
            return False
        return bool(context.get("callback_number_masked"))

    def _schedule(self, call_id: str, event_type: str, work: Callable[[], bool] | None = None) -> None:
        assert self._loop is not None
        future = self._loop.run_in_executor(None, self._run, call_id, event_type,
                                            work or (lambda: self._default_work(call_id, event_type)))
        self._pending.add(future)
        future.add_done_callback(self._pending.discard)

    def _default_work(self, call_id: str, event_type: str) -> bool:
        """The console ended or transferred the call: end the agent leg; held or resumed it: hold the
        caller's conference leg; anything else: wake the call."""
        if event_type in BRIDGE_ENDERS:
            return self.voice.end_bridge(call_id)
        if event_type in ("acd.call.held", "acd.call.resumed"):
            return self.voice.hold(call_id, event_type == "acd.call.held")
        return self.voice.wake(call_id)

    def _run(self, call_id: str, event_type: str, work: Callable[[], bool]) -> bool:
        try:
            return work()
        except Exception:
            log.exception("twilio: waking call %s on %s failed", call_id, event_type)
            return False


def services(platform: IvrHost) -> list[TwilioBridge]:
    """The bridge runs only where Twilio is configured; without it no Twilio call can exist."""
    if not TwilioConfig.from_settings(platform.settings).voice_configured:
        return []
    return [TwilioBridge(platform)]
