"""The channel adapter: runs one call of the IVR engine over an AGI connection.

Each engine `Action` becomes AGI commands and one `Result` goes back (see ivr/actions.py). The
engine is synchronous domain code, so its calls run in a small thread pool, never on the event loop.
Caller hang-up (unsolicited `HANGUP`, end of stream, `result=-1` on a dead channel, 511) ends the call
in the engine and the ACD exactly once (`calls.end_call`). A call the platform handled to the end
gets `HOTLINE_DONE=1`; a dialplan seeing it unset knows the platform failed and uses its fallback.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import uuid
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from core.masking import mask_phone
from ivr.actions import (
    Action,
    AgentLegEnded,
    CallerHangup,
    Collect,
    Connect,
    Digits,
    Hangup,
    Hold,
    HoldTick,
    Listen,
    Play,
    Played,
    Prompt,
    Result,
    Timeout,
    Transfer,
)
from ivr.asterisk import calls, recording
from ivr.asterisk.agi import AGIConnection
from ivr.asterisk.agi_protocol import AGIDeadChannel, AGIError, AGIHangup, Reply

log = logging.getLogger(__name__)

ALL_KEYS = "0123456789*#"
LEG_LIMIT_S = 8 * 3600.0  # an EXEC Dial lasts as long as the conversation
T = TypeVar("T")


class _CallerGone(Exception):
    """Raised inside the adapter when the caller's channel is gone."""


class _HandedBack(Exception):
    """The call went back to the dialplan (connect_mode="dialplan"); AMI sees how it ends."""


@dataclass(frozen=True)
class ChannelConfig:
    """How prompts and legs map onto the Asterisk side (documented in docs/asterisk.md)."""

    sound_prefix: str = "hotline/"          # STREAM FILE <prefix><prompt.audio>
    tts_app: str = "Playback"               # EXEC <tts_app> <tts_data> for prompts without audio
    tts_data: str = "hotline/tts/{id}"      # formatted with id, text, language
    music_class: str = "default"
    hold_period_s: float = 30.0             # hold tick when the engine gives no max_seconds
    dial_timeout_s: int = 30
    dial_options: str = "g"                 # g: continue the AGI after the agent hangs up
    connect_mode: str = "dial"              # "dial" (EXEC Dial) or "dialplan" (set variables, return)
    transfer_dial: str = "PJSIP/{center}@{trunk}"
    transfer_options: str = "b(hotline-handoff^s^1({token}))"  # pre-dial handler adds the SIP header
    default_trunk: str = "national"
    answer: bool = True


class CallRunner:
    """Runs calls arriving over FastAGI; `handle` is the FastAGI server's handler."""

    def __init__(self, platform: Any, config: ChannelConfig | None = None, *,
                 executor: Executor | None = None, waker: calls.Waker | None = None) -> None:
        self.platform = platform
        self.config = config or ChannelConfig()
        self.executor = executor or ThreadPoolExecutor(max_workers=8, thread_name_prefix="agi-domain")
        self.waker = waker or calls.Waker(platform.bus)
        self.node = getattr(platform.settings, "node_id", "node")

    async def _domain(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, functools.partial(fn, *args, **kwargs))

    async def handle(self, conn: AGIConnection) -> None:
        req = conn.request
        call_id = f"ast-{req.uniqueid}" if req.uniqueid else f"ast-{uuid.uuid4().hex[:12]}"
        log.info("AGI call %s from %s on %s entry %r", call_id, mask_phone(req.caller), req.channel, req.entry)
        await conn.set_variable("HOTLINE_CALL_ID", call_id)
        await self._domain(calls.register, self.platform, call_id, req.uniqueid, req.channel, self.node)
        self.waker.watch(call_id)
        call = _Call(self, conn, call_id)
        whole_call: int | None = None
        try:
            if self.config.answer:
                await conn.answer()
            whole_call = await recording.start_whole_call(self, conn, call_id, req.entry)
            args = {f"arg{n}": value for n, value in enumerate(req.args, 1)}
            args.update(req.query)
            args["dnid"] = req.called
            action: Action = await self._domain(
                self.platform.ivr.start_call, call_id=call_id, caller=req.caller, called=req.entry,
                channel="asterisk", language=req.query.get("lang") or None, args=args)
            while True:
                if isinstance(action, Hangup | Transfer):
                    await call.final(action)
                    return
                result = await call.execute(action)
                if isinstance(result, CallerHangup):
                    raise _CallerGone
                action = await self._domain(self.platform.ivr.resume, call_id, result)
        except _HandedBack:
            log.info("AGI call %s: handed back to the dialplan", call_id)
        except (_CallerGone, AGIHangup):
            log.info("AGI call %s: caller hung up", call_id)
            await self._domain(calls.end_call, self.platform, call_id, "caller_hangup")
        except Exception:
            # The platform failed mid-call: HOTLINE_DONE stays unset, so the dialplan's fallback takes
            # the caller; the engine and the ACD must not keep the call.
            await self._domain(calls.end_call, self.platform, call_id, "platform_error")
            raise
        finally:
            self.waker.unwatch(call_id)
            await recording.stop(self, conn, whole_call, dial_status="")

    def close(self) -> None:
        self.waker.close()
        if isinstance(self.executor, ThreadPoolExecutor):
            self.executor.shutdown(wait=False, cancel_futures=True)


class _Call:
    """One call's action executor."""

    def __init__(self, runner: CallRunner, conn: AGIConnection, call_id: str) -> None:
        self.runner, self.conn, self.call_id = runner, conn, call_id
        self.cfg = runner.config

    async def execute(self, action: Action) -> Result:
        if isinstance(action, Play):
            digit = await self.say(action.prompts, ALL_KEYS if action.barge_in else "")
            return Digits(digit) if digit else Played()
        if isinstance(action, Collect):
            return await self.collect(action)
        if isinstance(action, Listen):
            return await self.listen(action)
        if isinstance(action, Hold):
            return await self.hold(action)
        if isinstance(action, Connect):
            return await self.connect(action)
        raise ValueError(f"unsupported action {action!r}")

    # -- prompts --------------------------------------------------------------------------------
    async def _alive(self) -> bool:
        """After `result=-1`: a dead channel answers 511 (hang-up), a live one its state (missing file)."""
        if self.conn.hungup.is_set():
            return False
        try:
            status = await self.conn.channel_status()
        except AGIDeadChannel:
            return False
        return status is not None and status >= 0

    async def _check(self, reply: Reply) -> Reply:
        if reply.value == -1 and not await self._alive():
            raise _CallerGone
        return reply

    async def _tts(self, prompt: Prompt) -> None:
        data = self.cfg.tts_data.format(id=prompt.id, text=prompt.text, language=prompt.language)
        reply = await self.conn.exec(self.cfg.tts_app, data)
        if reply.value == -2:
            log.warning("AGI call %s: TTS application %r not found", self.call_id, self.cfg.tts_app)
        elif reply.value == -1 and not await self._alive():
            raise _CallerGone

    async def say(self, prompts: tuple[Prompt, ...], escape: str) -> str:
        """Play prompts in order; returns the key that interrupted them ('' if none)."""
        for prompt in prompts:
            if not prompt.audio:
                await self._tts(prompt)
                continue
            reply = await self._check(await self.conn.stream_file(self.cfg.sound_prefix + prompt.audio, escape))
            if reply.value == -1:  # the file is missing on the Asterisk box: fall back to TTS
                log.warning("AGI call %s: sound file %r missing", self.call_id, prompt.audio)
                await self._tts(prompt)
            elif reply.value and reply.value > 0:
                return chr(reply.value)
        return ""

    # -- input ----------------------------------------------------------------------------------
    async def _digit(self, timeout_s: float) -> str:
        reply = await self._check(await self.conn.wait_for_digit(max(1, int(timeout_s * 1000))))
        return chr(reply.value) if reply.value and reply.value > 0 else ""

    async def collect(self, action: Collect) -> Result:
        prompts = action.prompts
        simple = (prompts and prompts[-1].audio and action.terminator in ("#", None, "")
                  and abs(action.inter_digit_timeout_s - action.timeout_s) < 0.5 and action.max_digits > 1)
        head = prompts[:-1] if simple else prompts
        first = await self.say(head, ALL_KEYS)
        if simple and not first:
            reply = await self.conn.get_data(self.cfg.sound_prefix + (prompts[-1].audio or ""),
                                             int(action.timeout_s * 1000), action.max_digits)
            if reply.result != "-1":
                return Digits(reply.result) if reply.result else Timeout()
            if not await self._alive():
                raise _CallerGone
            log.warning("AGI call %s: prompt %r missing for GET DATA", self.call_id, prompts[-1].audio)
            await self._tts(prompts[-1])
        digits = "" if first == (action.terminator or "") else first
        if first and first == action.terminator:
            return Digits("")
        if not digits:
            digits = await self._digit(action.timeout_s)
            if not digits:
                return Timeout()
            if digits == action.terminator:
                return Digits("")
        while len(digits) < action.max_digits:
            key = await self._digit(action.inter_digit_timeout_s)
            if not key or key == action.terminator:
                break
            digits += key
        return Digits(digits)

    async def listen(self, action: Listen) -> Result:
        """No speech recogniser on this channel: the caller may key in instead."""
        key = await self.say(action.prompts, ALL_KEYS) or await self._digit(action.timeout_s)
        return Digits(key) if key else Timeout()

    # -- queue ----------------------------------------------------------------------------------
    async def hold(self, action: Hold) -> Result:
        queue = self.runner.waker.watch(self.call_id)
        changed = False
        while not queue.empty():  # something happened while the engine was deciding: look again now
            if queue.get_nowait().startswith("event:"):
                changed = True
        if changed:
            return HoldTick()
        await self.runner._domain(calls.set_state, self.runner.platform, self.call_id, "held")
        key = await self.say(action.prompts, action.keys)
        if key and key in action.keys:
            return Digits(key)
        if action.music:
            await self.conn.set_music(True, self.cfg.music_class)
        limit = action.max_seconds if action.max_seconds and action.max_seconds > 0 else self.cfg.hold_period_s
        self.conn.watch()  # no command runs while on hold: see HANGUP/EOF as it comes
        hangup = asyncio.ensure_future(self.conn.hungup.wait())
        getter = asyncio.ensure_future(self._next_wake(queue, action.keys))
        try:
            done, _ = await asyncio.wait({hangup, getter}, timeout=limit, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for fut in (hangup, getter):
                fut.cancel()
        if hangup in done or self.conn.hungup.is_set():
            raise _CallerGone
        if action.music:
            await self.conn.set_music(False)
        if getter in done and not getter.cancelled() and getter.result():
            return Digits(getter.result())
        return HoldTick()

    @staticmethod
    async def _next_wake(queue: asyncio.Queue[str], keys: str) -> str:
        """'' for an ACD event; the digit for a wanted key pressed over AMI."""
        while True:
            item = await queue.get()
            if item.startswith("event:"):
                return ""
            digit = item.removeprefix("dtmf:")
            if digit and digit in keys:
                return digit

    async def connect(self, action: Connect) -> Result:
        endpoint = action.endpoint
        await self.conn.set_variable("HOTLINE_AGENT", str(action.agent_id or ""))
        if not endpoint:
            log.warning("AGI call %s: agent %s has no endpoint", self.call_id, action.agent_id)
            return AgentLegEnded("no_endpoint")
        await self.runner._domain(calls.set_state, self.runner.platform, self.call_id, "connected")
        if self.cfg.connect_mode == "dialplan":
            await self.conn.set_variable("HOTLINE_ENDPOINT", endpoint)
            await self.conn.set_variable("HOTLINE_DONE", "connect")
            raise _HandedBack
        data = f"{endpoint},{self.cfg.dial_timeout_s},{self.cfg.dial_options}".rstrip(",")
        rec_id = await recording.start(self.runner, self.conn, self.call_id, agent_id=action.agent_id)
        status = ""
        try:
            reply = await self.conn.exec("Dial", data, timeout=LEG_LIMIT_S)
            status = await self.conn.get_variable("DIALSTATUS") or ""
        finally:
            await recording.stop(self.runner, self.conn, rec_id, dial_status=status)
        if reply.value == -1 and not await self._alive():
            raise _CallerGone
        reason = {"ANSWER": "completed", "BUSY": "agent_busy", "NOANSWER": "agent_no_answer",
                  "CHANUNAVAIL": "agent_unavailable", "CONGESTION": "agent_unavailable"}.get(status, "agent_hangup")
        return AgentLegEnded(reason)

    # -- the end ----------------------------------------------------------------------------------
    async def final(self, action: Hangup | Transfer) -> None:
        platform = self.runner.platform
        if isinstance(action, Transfer):
            await self.runner._domain(calls.mark_ended, platform, self.call_id, "transferred")
            await self.conn.set_variable("HOTLINE_HANDOFF", action.token)
            trunk = action.trunk or self.cfg.default_trunk
            dial = self.cfg.transfer_dial.format(center=action.center_code, trunk=trunk, token=action.token)
            options = self.cfg.transfer_options.format(token=action.token)
            await self.conn.set_variable("HOTLINE_DONE", "1")
            try:
                await self.runner._domain(platform.ivr.hangup, self.call_id, "transferred")
            except Exception:
                log.exception("AGI call %s: engine hangup after transfer failed", self.call_id)
            await self.runner._domain(calls.settle_acd, platform, self.call_id, "transferred")
            await self.conn.exec("Dial", f"{dial},{self.cfg.dial_timeout_s},{options}", timeout=LEG_LIMIT_S)
            return
        await self.runner._domain(calls.mark_ended, platform, self.call_id, action.reason)
        try:
            await self.say(action.prompts, "")
        except _CallerGone:
            pass
        try:
            await self.conn.set_variable("HOTLINE_DONE", "1")
            await self.runner._domain(calls.settle_acd, platform, self.call_id, "completed")
            await self.conn.hangup()
        except (AGIDeadChannel, AGIHangup):
            pass
        except AGIError as exc:
            log.info("AGI call %s: hangup: %s", self.call_id, exc)
