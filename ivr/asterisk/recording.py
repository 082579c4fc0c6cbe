"""Recording on Asterisk: MixMonitor on the caller's channel for each agent leg, and pause/resume
over AMI.

`start` runs just before the agent leg's `EXEC Dial`: MixMonitor with option `b` writes only while
the channel is bridged, i.e. from the moment the agent answers, and `D` keeps the two directions as
the two channels of a stereo raw file (caller left, agent right). `stop` runs when Dial returns
(hang-up, or the agent leg ended by a transfer): StopMixMonitor by id, then the recordings home
ingests the file. Each agent leg gets its own recording. With `whole_call` the call is recorded
from the start (IVR included) into one more file. Pausing mutes the MixMonitor (`MixMonitorMute`,
both directions): the file keeps its length with silence in the gap, and the metadata marks it."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from ivr.api import IvrHost
from ivr.asterisk import calls
from ivr.asterisk.agi_protocol import AGIDeadChannel, AGIError, AGIHangup
from recordings import enabled_service

log = logging.getLogger(__name__)



async def start(runner: Any, conn: Any, call_id: str, *, agent_id: int | None, kind: str = "agent_leg") -> int | None:
    """Open a recording for this leg and start MixMonitor; returns the recording id (None: not recorded)."""
    svc = enabled_service(runner.platform)
    if svc is None:
        return None
    try:
        leg = await runner._domain(svc.start_leg, call_id, channel="asterisk", agent_id=agent_id,
                                   caller=conn.request.caller, kind=kind)
    except Exception:
        log.exception("AGI call %s: could not open a recording", call_id)
        return None
    if leg is None:
        return None
    options = svc.config.mixmonitor_options if kind == "agent_leg" else svc.config.mixmonitor_options.replace("b", "")
    reply = await conn.exec("MixMonitor", f"{leg.mixmonitor_file},{options}i(HOTLINE_MIXMON_{leg.recording_id})")
    if reply.value is not None and reply.value < 0:
        log.warning("AGI call %s: MixMonitor failed (%s); leg %s not recorded", call_id, reply.value, leg.leg)
        await runner._domain(svc.discard_leg, leg.recording_id, "mixmonitor_failed")
        return None
    return leg.recording_id


async def start_whole_call(runner: Any, conn: Any, call_id: str, entry: str) -> int | None:
    """Record the whole call (IVR included) when the entry number asks for it."""
    svc = enabled_service(runner.platform)
    if svc is None or not svc.whole_call(entry):
        return None
    return await start(runner, conn, call_id, agent_id=None, kind="whole_call")


NOT_ANSWERED = ("BUSY", "NOANSWER", "CHANUNAVAIL", "CONGESTION", "CANCEL", "INVALIDARGS")


async def stop(runner: Any, conn: Any, recording_id: int | None, *, dial_status: str) -> None:
    """End the leg's recording: StopMixMonitor (if the channel still lives), then ingest.

    A leg the agent never answered is discarded; when the caller hung up mid-leg DIALSTATUS cannot
    be read, and the file itself tells (MixMonitor `b` writes nothing before the answer)."""
    answered = dial_status not in NOT_ANSWERED
    reason = "agent_leg_ended" if answered else dial_status.lower()
    if recording_id is None:
        return
    svc = enabled_service(runner.platform)
    if svc is None:
        return
    try:
        monitor = await conn.get_variable(f"HOTLINE_MIXMON_{recording_id}")
        await conn.exec("StopMixMonitor", monitor or "")
    except (AGIDeadChannel, AGIHangup, AGIError):
        pass  # the channel is gone: Asterisk closed the file with it
    if not answered:
        await runner._domain(svc.discard_leg, recording_id, reason)
        return
    await runner._domain(svc.end_leg, recording_id, reason, ingest=False)
    runner.threads.submit(svc.ingest_now, recording_id)  # off the call's path: compression must not hold up the survey


class RecordingControl:
    """Pause/resume from the console (bus events) → AMI MixMonitorMute on the call's channel."""

    EVENTS = ("recording.paused", "recording.resumed")

    def __init__(self, platform: IvrHost, ami: Any) -> None:
        self.platform, self.ami = platform, ami
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sub = platform.bus.subscribe(self._on_event, self.EVENTS)

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def close(self) -> None:
        self._sub.close()

    def _on_event(self, event: Any) -> None:
        fields = event.data
        if fields.get("channel") != "asterisk" or self._loop is None:
            return
        channel = calls.channel_of(self.platform, str(fields.get("call_id"))).get("channel")
        if not channel:
            return
        state = "1" if event.type == "recording.paused" else "0"
        asyncio.run_coroutine_threadsafe(self.mute(channel, state), self._loop)

    async def mute(self, channel: str, state: str) -> None:
        try:
            await self.ami.action("MixMonitorMute", {"Channel": channel, "Direction": "both", "State": state})
        except Exception:
            log.exception("MixMonitorMute %s on %s failed", state, channel)
