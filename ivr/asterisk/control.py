"""What the platform does over AMI: keep call state true from Hangup and DTMF events, feed the
agents' softphone state to the ACD, originate callbacks, redirect connected calls for transfers."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.masking import mask_phone
from ivr.api import IvrHost
from ivr.asterisk import calls
from ivr.asterisk.ami import AMIActionError, AMIClient, OriginateResult
from ivr.asterisk.ami_protocol import Message

log = logging.getLogger(__name__)

# Asterisk device states -> what the ACD needs to know about an agent's softphone.
DEVICE_STATES = {
    "NOT_INUSE": "available", "INUSE": "in_use", "BUSY": "in_use", "ONHOLD": "in_use",
    "RINGINUSE": "in_use", "RINGING": "ringing", "UNAVAILABLE": "offline", "INVALID": "offline",
    "UNKNOWN": "offline",
}
CONTACT_STATES = {"Created": "available", "Reachable": "available", "NonQualified": "available",
                  "Removed": "offline", "Unreachable": "offline"}
PEER_STATES = {"Registered": "available", "Reachable": "available", "Unregistered": "offline",
               "Unreachable": "offline", "Rejected": "offline"}

# Asterisk's OriginateResponse Reason -> the callback outcome (4 = answered)
ORIGINATE_OUTCOMES = {4: "reached", 5: "busy", 3: "no_answer", 1: "no_answer", 8: "failed", 0: "failed"}


def callback_outcome(result: OriginateResult) -> str:
    if result.success:
        return "reached"
    return ORIGINATE_OUTCOMES.get(result.reason if result.reason is not None else 0, "failed")


# ChanSpy options per supervisor mode: q no beep, E end when the spied channel hangs up; w whisper
# (speak to the spied agent only), B barge (speak to both sides).
SPY_MODES = {"listen": "qE", "whisper": "qwE", "barge": "qBE"}
SPY_CALLER_ID = {"listen": "12333 监听", "whisper": "12333 耳语", "barge": "12333 强插"}

WATCHED = ("Hangup", "DTMFEnd", "DeviceStateChange", "ContactStatus", "PeerStatus")


@dataclass(frozen=True)
class ControlConfig:
    callback_dial: str = "PJSIP/{number}@national"   # the citizen's leg of a callback
    callback_context: str = "hotline-callback"         # dialplan that runs the call once answered
    callback_timeout_ms: int = 30_000
    callback_caller_id: str = '"12333" <12333>'
    transfer_context: str = "hotline-transfer"
    device_prefix: str = "PJSIP/"
    hold_context: str = "hotline-hold"                 # Local channel playing music on hold to a held caller
    hold_music_class: str = "default"


class AsteriskControl:
    def __init__(self, platform: IvrHost, ami: AMIClient, waker: calls.Waker | None = None,
                 config: ControlConfig | None = None, *, run_domain: Callable[..., Any] | None = None) -> None:
        self.platform, self.ami, self.waker = platform, ami, waker
        self.config = config or ControlConfig()
        self._run_domain = run_domain
        self._sub = ami.subscribe(self.on_event, WATCHED)
        self.devices: dict[str, str] = {}
        self._device_lock = asyncio.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._bus_sub = platform.bus.subscribe(self._on_acd_event, ("acd.call.connected", "acd.call.transferred",
                                                                    "acd.call.ended", "acd.call.held",
                                                                    "acd.call.resumed"))
        self._spy_sub = platform.bus.subscribe(self._on_monitor, ("supervisor.monitor",))

    def close(self) -> None:
        self._sub.close()
        self._bus_sub.close()
        self._spy_sub.close()

    def _on_monitor(self, event: Any) -> None:
        """A supervisor asked to listen to, whisper to or barge into a call (already audited)."""
        if self._loop is None or not isinstance(event.data.get("call_id"), str):
            return
        if event.data.get("channel", "asterisk") != "asterisk":
            return  # a call on Twilio: its conference takes the supervisor in
        asyncio.run_coroutine_threadsafe(self._spy_safely(dict(event.data)), self._loop)

    async def _spy_safely(self, data: dict[str, Any]) -> None:
        try:
            result = await self.spy(str(data["call_id"]), str(data["endpoint"]), str(data.get("mode") or "listen"))
            log.info("AMI: %s on call %s from %s: %s", data.get("mode"), data["call_id"], data["endpoint"],
                     "answered" if result.success else f"failed ({result.reason})")
        except Exception:
            log.exception("AMI: %s on call %s failed", data.get("mode"), data.get("call_id"))

    async def spy(self, call_id: str, endpoint: str, mode: str = "listen") -> OriginateResult:
        """Ring the supervisor's phone; once answered, ChanSpy on the agent's leg of the call:
        listen (q: quiet), whisper (w: the agent hears the supervisor, the caller does not) or barge
        (B: both hear). Falls back to the caller's channel when the bridge peer is unknown."""
        options = SPY_MODES[mode]
        info = await self._domain(calls.channel_of, self.platform, call_id)
        channel = info.get("channel")
        if not channel:
            raise LookupError(f"no Asterisk channel known for call {call_id}")
        target = await self.ami.getvar(channel, "BRIDGEPEER") or channel
        return await self.ami.originate(endpoint, application="ChanSpy", data=f"{target},{options}",
                                        caller_id=f'"{SPY_CALLER_ID[mode]}" <12333>',
                                        variables={"HOTLINE_CALL_ID": call_id, "HOTLINE_SPY": mode},
                                        timeout_ms=self.config.callback_timeout_ms)

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """The loop the AMI client runs on (bus events arrive on other threads)."""
        self._loop = loop

    def _on_acd_event(self, event: Any) -> None:
        """Bus events (any thread): an agent transferred a call bridged here, or accepted a callback."""
        call_id = event.data.get("call_id")
        if self._loop is None or not isinstance(call_id, str):
            return
        if event.type == "acd.call.transferred":
            asyncio.run_coroutine_threadsafe(self._transferred_safely(dict(event.data)), self._loop)
            return
        if event.type == "acd.call.ended":
            if event.data.get("reason") == "agent_hangup":  # the console's hang-up: end the bridge on the line
                asyncio.run_coroutine_threadsafe(self._safely(self.end_bridge, call_id), self._loop)
            return
        if event.type in ("acd.call.held", "acd.call.resumed"):
            asyncio.run_coroutine_threadsafe(
                self._safely(self.hold if event.type == "acd.call.held" else self.unhold, call_id), self._loop)
            return
        endpoint = str(event.data.get("endpoint") or "")
        if endpoint and not endpoint.upper().startswith(self.config.device_prefix.upper()):
            return  # an agent on Twilio (browser, SIP URI, number): the Twilio side rings back
        context = self.platform.agents.call_context(call_id) or {}
        if not context.get("callback_number_masked"):
            return  # an ordinary call: its caller is on the line
        number = self.platform.agents.callback_number(call_id)
        if not number:
            return
        asyncio.run_coroutine_threadsafe(
            self._callback_safely(call_id, number, event.data.get("endpoint"), event.data.get("agent_id")),
            self._loop)

    async def _transferred_safely(self, data: dict[str, Any]) -> None:
        try:
            await self.on_transferred(data)
        except Exception:
            log.exception("AMI: transfer of call %s failed", data.get("call_id"))

    async def on_transferred(self, data: dict[str, Any]) -> None:
        """The console transferred a connected call. Remote: the caller's channel is redirected to the
        other center's trunk with the handoff token. Local: the agent leg is hung up, so the caller's
        `EXEC Dial` returns and the engine puts them back on hold in the new queue."""
        call_id = str(data["call_id"])
        info = await self._domain(calls.channel_of, self.platform, call_id)
        channel = info.get("channel")
        if not channel:
            return  # not a call on this Asterisk
        ticket = data.get("ticket") or {}
        if data.get("kind") == "remote" and ticket.get("token"):
            await self.transfer(call_id, str(data["center_code"]), str(ticket["token"]),
                                str(data.get("trunk") or "national"))
            log.info("AMI: call %s redirected to center %s", call_id, data["center_code"])
            return
        peer = await self.ami.getvar(channel, "BRIDGEPEER")
        if peer:
            await self.ami.hangup(peer)
            log.info("AMI: call %s: agent leg %s ended for a local transfer", call_id, peer)

    async def _safely(self, fn: Callable[[str], Any], call_id: str) -> None:
        try:
            await fn(call_id)
        except Exception:
            log.exception("AMI: %s of call %s failed", getattr(fn, "__name__", "action"), call_id)

    async def _agent_leg(self, call_id: str) -> tuple[str | None, str | None]:
        """(caller channel, agent channel bridged to it) of a call on this Asterisk."""
        info = await self._domain(calls.channel_of, self.platform, call_id)
        channel = info.get("channel")
        if not channel:
            return None, None
        return channel, (await self.ami.getvar(channel, "BRIDGEPEER")) or None

    async def end_bridge(self, call_id: str) -> str | None:
        """The agent hung up in the console: hang up the agent leg (the caller's Dial returns and the flow
        goes on: survey); with no agent leg bridged, the caller's channel. Returns the channel hung up."""
        channel, peer = await self._agent_leg(call_id)
        if channel is None:
            return None
        target = peer or channel
        await self.ami.hangup(target)
        log.info("AMI: call %s: console hang-up ended %s", call_id, "the agent leg" if peer else "the channel")
        return target

    async def hold(self, call_id: str) -> str | None:
        """Console hold: the agent leg is muted both ways (MuteAudio) and a Local channel running ChanSpy
        in whisper mode plays music on hold to the caller (`[hotline-hold]` in extensions.conf)."""
        channel, peer = await self._agent_leg(call_id)
        if channel is None or peer is None:
            return None
        cfg = self.config
        await self.ami.action("MuteAudio", {"Channel": peer, "Direction": "all", "State": "on"})
        result = await self.ami.originate(
            f"Local/s@{cfg.hold_context}/n", application="ChanSpy", data=f"{channel},qwE",
            variables={"HOTLINE_CALL_ID": call_id, "HOTLINE_MOH": cfg.hold_music_class},
            caller_id='"hold" <0>', timeout_ms=5000)
        if result.channel:
            await self._domain(self.platform.store.hset, f"asterisk:call:{call_id}", {"hold_channel": result.channel})
        log.info("AMI: call %s on hold (%s)", call_id, "music" if result.success else f"reason {result.reason}")
        return result.channel

    async def unhold(self, call_id: str) -> None:
        """Console resume: stop the music (hang up the hold channel) and unmute the agent leg."""
        _channel, peer = await self._agent_leg(call_id)
        info = await self._domain(calls.channel_of, self.platform, call_id)
        hold_channel = info.get("hold_channel")
        if hold_channel:
            try:
                await self.ami.hangup(hold_channel)
            except AMIActionError:  # already gone with the caller
                log.info("AMI: call %s: hold channel %s already gone", call_id, hold_channel)
            await self._domain(self.platform.store.hset, f"asterisk:call:{call_id}", {"hold_channel": ""})
        if peer:
            await self.ami.action("MuteAudio", {"Channel": peer, "Direction": "all", "State": "off"})
        log.info("AMI: call %s resumed", call_id)

    async def _callback_safely(self, call_id: str, number: str, endpoint: str | None, agent_id: Any) -> None:
        """Ring the citizen back and tell the ACD how it went: reached (the agent is bridged by the
        hotline-callback dialplan), or no answer / busy / failed (retried per the callback policy)."""
        try:
            result = await self.originate_callback(call_id, number, endpoint, agent_id)
            outcome = callback_outcome(result)
        except Exception:
            log.exception("AMI: callback %s could not be originated", call_id)
            outcome = "failed"
        try:
            await self._domain(self.platform.agents.callback_result, call_id, outcome)
        except Exception:
            log.exception("AMI: callback %s: reporting %s failed", call_id, outcome)

    async def _domain(self, fn: Callable[..., Any], *args: Any) -> Any:
        if self._run_domain is not None:
            return await self._run_domain(fn, *args)
        return await asyncio.get_running_loop().run_in_executor(None, functools.partial(fn, *args))

    async def on_event(self, msg: Message) -> None:
        name = msg.event
        if name == "Hangup":
            await self.on_hangup(msg)
        elif name == "DTMFEnd":
            self.on_dtmf(msg)
        elif name == "DeviceStateChange":
            await self.device(msg.get("Device") or "", DEVICE_STATES.get(msg.get("State") or "", "offline"))
        elif name == "ContactStatus":
            aor = msg.get("AOR") or ""
            state = CONTACT_STATES.get(msg.get("ContactStatus") or "")
            if aor and state:
                await self.device(self.config.device_prefix + aor, "registered" if state == "available" else state)
        elif name == "PeerStatus":
            state = PEER_STATES.get(msg.get("PeerStatus") or "")
            if state:
                await self.device(msg.get("Peer") or "", "registered" if state == "available" else state)

    async def on_hangup(self, msg: Message) -> None:
        call_id = await self._domain(calls.call_for, self.platform, msg.get("Uniqueid") or "")
        if call_id is None:
            return
        ended = await self._domain(calls.end_call, self.platform, call_id, "caller_hangup")
        if ended:
            log.info("AMI: call %s hung up (cause %s)", call_id, msg.get("Cause"))

    def on_dtmf(self, msg: Message) -> None:
        if self.waker is None or (msg.get("Direction") or "Received") != "Received":
            return
        call_id = calls.call_for(self.platform, msg.get("Uniqueid") or "")
        digit = msg.get("Digit") or ""
        if call_id and digit:
            self.waker.digit(call_id, digit)

    async def device(self, endpoint: str, state: str) -> None:
        """An agent's softphone changed state: registered/available/in_use/ringing/offline."""
        if not endpoint or self.devices.get(endpoint) == state:
            return
        self.devices[endpoint] = state
        async with self._device_lock:  # writes in order, each with the latest state seen
            await self._domain(self.platform.store.hset, "asterisk:devices", {endpoint: self.devices[endpoint]})
        try:
            agents = self.platform.agents
        except ModuleNotFoundError:
            return
        update = getattr(agents, "device_state", None)
        if callable(update):
            await self._domain(update, endpoint, state)

    async def originate_callback(self, call_id: str, number: str, agent_endpoint: str | None = None,
                                 agent_id: int | None = None) -> OriginateResult:
        """Call the citizen back; once answered the `hotline-callback` dialplan connects the agent."""
        cfg = self.config
        variables = {"HOTLINE_CALL_ID": call_id, "HOTLINE_CALLBACK": "1"}
        if agent_endpoint:
            variables["HOTLINE_ENDPOINT"] = agent_endpoint
        if agent_id is not None:
            variables["HOTLINE_AGENT"] = str(agent_id)
        result = await self.ami.originate(
            cfg.callback_dial.format(number=number), context=cfg.callback_context, exten="s", priority=1,
            caller_id=cfg.callback_caller_id, variables=variables, timeout_ms=cfg.callback_timeout_ms)
        log.info("AMI: callback %s to %s: %s (reason %s)", call_id, mask_phone(number),
                 "answered" if result.success else "failed", result.reason)
        if result.success and result.uniqueid:
            await self._domain(calls.register, self.platform, call_id, result.uniqueid, result.channel or "",
                               "ami")
        return result

    async def transfer(self, call_id: str, center_code: str, token: str, trunk: str = "national") -> Message:
        """Move a call that is not under AGI control (e.g. bridged to an agent) to another center."""
        info = await self._domain(calls.channel_of, self.platform, call_id)
        channel = info.get("channel")
        if not channel:
            raise LookupError(f"no Asterisk channel known for call {call_id}")
        await self.ami.setvar(channel, "HOTLINE_HANDOFF", token)
        await self.ami.setvar(channel, "HOTLINE_TRUNK", trunk)
        return await self.ami.redirect(channel, self.config.transfer_context, center_code)
