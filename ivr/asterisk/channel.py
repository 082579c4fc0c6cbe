"""The channel adapter: runs one call of the IVR engine over an AGI connection.

Each engine `Action` becomes AGI commands and one `Result` goes back (see ivr/actions.py). The
engine is synchronous domain code, so its calls run on a few worker threads (`core.domain_threads`),
never on the event loop.
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
from dataclasses import dataclass
from typing import Any, TypeVar

from core.domain_threads import DomainThreads
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
from ivr.api import IvrHost
from ivr.asterisk import calls, recording
from ivr.asterisk.agi import AGIConnection
from ivr.asterisk.agi_protocol import AGIDeadChannel, AGIError, AGIHangup, Reply
from ivr.speech import SpeechService, SpeechUnavailable

log = logging.getLogger(__name__)

ALL_KEYS = "0123456789*#"
KEY_MARGIN_S = 0.3  # an AMI DTMFEnd this soon after a command's reply belongs to that command
TERMINATOR_WAIT_S = 3.0  # after a full-length input, wait at most this long for the terminator
LEG_LIMIT_S = 8 * 3600.0  # an EXEC Dial lasts as long as the conversation
T = TypeVar("T")


# DIALSTATUS -> AgentLegEnded reason. Only ANSWER means the caller spoke to the agent; every other status
# (INVALIDARGS for an endpoint Asterisk cannot dial included) is a leg that never answered.
DIAL_REASONS = {"ANSWER": "completed", "BUSY": "agent_busy", "NOANSWER": "agent_no_answer",
                "CHANUNAVAIL": "agent_unavailable", "CONGESTION": "agent_unavailable"}


def asterisk_endpoint(endpoint: str) -> bool:
    """Can Asterisk dial this agent endpoint? (`PJSIP/agent-7` yes, a Twilio `client:agent-7` no)."""
    from agents.endpoints import fits

    return fits("asterisk", endpoint)


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

    def __init__(self, platform: IvrHost, config: ChannelConfig | None = None, *,
                 workers: int = 8, waker: calls.Waker | None = None,
                 speech: SpeechService | None = None) -> None:
        self.platform = platform
        self.speech = speech  # None: recorded sounds on the Asterisk box + the TTS application
        self.config = config or ChannelConfig()
        self.threads = DomainThreads(workers, name="agi-domain")
        self.waker = waker or calls.Waker(platform.bus)
        self.node = getattr(platform.settings, "node_id", "node")

    async def _domain(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await self.threads.run(functools.partial(fn, **kwargs) if kwargs else fn, *args)

    async def handle(self, conn: AGIConnection) -> None:
        req = conn.request
        call_id = f"ast-{req.uniqueid}" if req.uniqueid else f"ast-{uuid.uuid4().hex[:12]}"
        log.info("AGI call %s from %s on %s entry %r", call_id, mask_phone(req.caller), req.channel, req.entry)
        await conn.set_variable("HOTLINE_CALL_ID", call_id)
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
            action: Action = await self._domain(self._open, conn, call_id, args)
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

    def _open(self, conn: AGIConnection, call_id: str, args: dict[str, str]) -> Action:
        """Map the channel to the call and start it in the engine: one trip to the domain thread
        (each trip costs more CPU than the work of a short step; see docs/asterisk.md)."""
        req = conn.request
        calls.register(self.platform, call_id, req.uniqueid, req.channel, self.node)
        return self.platform.ivr.start_call(call_id=call_id, caller=req.caller, called=req.entry,
                                            channel="asterisk", language=req.query.get("lang") or None,
                                            args=args)

    def close(self) -> None:
        self.waker.close()
        self.threads.close()


class _Call:
    """One call's action executor."""

    def __init__(self, runner: CallRunner, conn: AGIConnection, call_id: str) -> None:
        self.runner, self.conn, self.call_id = runner, conn, call_id
        self.cfg = runner.config
        self.pending = ""  # keys pressed before the input that wants them (a leftover, or seen over AMI)

    async def execute(self, action: Action) -> Result:
        if isinstance(action, Play | Collect | Listen | Hold):
            self.absorb()
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
        """The configured Asterisk TTS application (used when the node has no speech layer)."""
        data = self.cfg.tts_data.format(id=prompt.id, text=prompt.text, language=prompt.language)
        reply = await self.conn.exec(self.cfg.tts_app, data)
        if reply.value == -2:
            log.warning("AGI call %s: TTS application %r not found", self.call_id, self.cfg.tts_app)
        elif reply.value == -1 and not await self._alive():
            raise _CallerGone

    async def _source(self, prompt: Prompt, *, fallback: bool = False) -> str | None:
        """What STREAM FILE / GET DATA play for a prompt: the speech layer's signed URL (or shared file),
        or, on a node without it, the recorded sound `<prefix><audio>` on the Asterisk box."""
        speech = self.runner.speech
        if speech is None:
            return self.cfg.sound_prefix + prompt.audio if prompt.audio and not fallback else None
        try:
            rendered = await self.runner._domain(speech.render_prompt, prompt, prefer_fallback=fallback)
        except SpeechUnavailable as exc:
            log.error("AGI call %s: prompt %s could not be rendered: %s", self.call_id, prompt.id, exc)
            return None
        return speech.playable(rendered)

    @staticmethod
    def _played(reply: Reply) -> bool:
        """STREAM FILE played something: `result=-1` (missing/unfetchable file) or `endpos=0` mean it did not."""
        if reply.value is not None and reply.value > 0:
            return True
        return reply.value == 0 and reply.endpos != 0

    async def _stream(self, source: str, escape: str) -> tuple[bool, str]:
        reply = await self._check(await self.conn.stream_file(source, escape))
        if reply.value is not None and reply.value > 0:
            return True, chr(reply.value)
        return self._played(reply), ""

    async def play_prompt(self, prompt: Prompt, escape: str) -> str:
        """Play one prompt; a prompt that cannot be played is logged with the call id and replaced:
        the text re-rendered by the fallback engine, else "please hold" and one more try - never silence."""
        source = await self._source(prompt)
        if source is not None:
            ok, key = await self._stream(source, escape)
            if ok:
                return key
            log.warning("AGI call %s: prompt %s could not be played (%s)", self.call_id, prompt.id, source[:120])
        if self.runner.speech is None:
            await self._tts(prompt)
            return ""
        second = await self._source(prompt, fallback=True)
        if second is not None and second != source:
            ok, key = await self._stream(second, escape)
            if ok:
                return key
        try:
            hold = self.runner.speech.playable(
                await self.runner._domain(self.runner.speech.please_hold, prompt.language))
            ok, key = await self._stream(hold, escape)
            if key:
                return key
            if source is not None:
                ok, key = await self._stream(source, escape)
                if ok:
                    return key
        except SpeechUnavailable:
            pass
        log.error("AGI call %s: prompt %s: no fallback could be played; the configured TTS application is tried",
                  self.call_id, prompt.id)
        await self._tts(prompt)
        return ""

    async def say(self, prompts: tuple[Prompt, ...], escape: str) -> str:
        """Play prompts in order; returns the key that interrupted them ('' if none). A key the caller
        pressed before (buffered) interrupts at once."""
        if escape:
            early = self.take_pending(escape, 1)
            if early:
                return early
        for prompt in prompts:
            key = await self.play_prompt(prompt, escape)
            if key:
                return key
        return ""

    # -- keys pressed between commands (seen over AMI) --------------------------------------------
    def absorb(self) -> None:
        """Move keys seen over AMI while no AGI command ran (Asterisk throws those away, see
        docs/asterisk.md) into the pending buffer; keys pressed during a command are AGI's."""
        queue = self.runner.waker.watch(self.call_id)
        keep: list[str] = []
        while not queue.empty():
            item = queue.get_nowait()
            if not item.startswith("dtmf:"):
                keep.append(item)
                continue
            key, _, stamp = item.removeprefix("dtmf:").partition("@")
            at = float(stamp or 0)
            windows = self.conn.windows
            if not windows or at < windows[0][0] - 0.05:
                continue  # older than the commands remembered: cannot tell, so never replay it
            if any(start - 0.05 <= at <= end + KEY_MARGIN_S for start, end in windows):
                continue  # pressed while a command ran: AGI saw it, or Asterisk dropped it mid-prompt
            self.pending += key
            log.info("AGI call %s: key pressed between commands kept for the next input", self.call_id)
        for item in keep:
            queue.put_nowait(item)

    def take_pending(self, allowed: str, count: int | None = None) -> str:
        """Up to `count` buffered keys (all if None), stopping at the first key not in `allowed`."""
        taken = ""
        while self.pending and self.pending[0] in allowed and (count is None or len(taken) < count):
            taken, self.pending = taken + self.pending[0], self.pending[1:]
        return taken

    # -- input ----------------------------------------------------------------------------------
    async def _digit(self, timeout_s: float) -> str:
        reply = await self._check(await self.conn.wait_for_digit(max(1, int(timeout_s * 1000))))
        key = chr(reply.value) if reply.value and reply.value > 0 else ""
        return key

    async def collect(self, action: Collect) -> Result:
        """Digits up to `max_digits`, ended by the terminator (never passed on) or the inter-digit timeout.
        A terminator pressed right after the last allowed digit is swallowed here, not read by the next menu."""
        term = action.terminator or ""
        prompts = action.prompts
        buffered = self.take_pending(ALL_KEYS)
        simple = (not buffered and prompts and term in ("#", "") and action.max_digits > 1
                  and abs(action.inter_digit_timeout_s - action.timeout_s) < 0.5)
        first = ""
        if simple:
            first = await self.say(prompts[:-1], ALL_KEYS)
            source = None if first else await self._source(prompts[-1])
            if source is not None:
                # one more digit than wanted: GET DATA then ends on the '#' after a full-length input
                # instead of returning before it (the '#' would reach the next menu)
                want = action.max_digits + (1 if term else 0)
                reply = await self.conn.get_data(source, int(action.timeout_s * 1000), want)
                if reply.result != "-1":
                    value = reply.result or ""
                    if not value:
                        return Timeout()
                    self.pending = value[action.max_digits:] + self.pending
                    return Digits(value[: action.max_digits])
                if not await self._alive():
                    raise _CallerGone
                log.warning("AGI call %s: prompt %s could not be played by GET DATA", self.call_id, prompts[-1].id)
                first = await self.play_prompt(prompts[-1], ALL_KEYS)
            elif not first:
                first = await self.play_prompt(prompts[-1], ALL_KEYS)
        elif not buffered:
            first = await self.say(prompts, ALL_KEYS)
        typed = buffered or first

        async def key(timeout_s: float) -> str:
            nonlocal typed
            if typed:
                k, typed = typed[0], typed[1:]
                return k
            return await self._digit(timeout_s)

        k = await key(action.timeout_s)
        if not k:
            return Timeout()
        digits = ""
        while not (term and k == term):
            digits += k
            if len(digits) >= action.max_digits:
                if term and action.max_digits > 1:  # swallow the terminator the prompt asked for
                    after = await key(min(action.inter_digit_timeout_s, TERMINATOR_WAIT_S))
                    if after and after != term:
                        typed = after + typed
                break
            k = await key(action.inter_digit_timeout_s)
            if not k:
                break
        self.pending = typed + self.pending
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
        early = self.take_pending(action.keys, 1) if action.keys else ""
        if early:
            return Digits(early)
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
            digit = item.removeprefix("dtmf:").partition("@")[0]
            if digit and digit in keys:
                return digit

    async def connect(self, action: Connect) -> Result:
        endpoint = action.endpoint
        await self.conn.set_variable("HOTLINE_AGENT", str(action.agent_id or ""))
        if not endpoint or not asterisk_endpoint(endpoint):
            # e.g. a Twilio `client:` agent: Asterisk cannot dial it; the engine re-queues the caller at
            # the head of the queue and the agent is set not ready with this reason
            log.warning("AGI call %s: agent %s has no Asterisk endpoint (%r)", self.call_id, action.agent_id,
                        endpoint)
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
        await self.runner._domain(calls.set_state, self.runner.platform, self.call_id, "ivr")
        reason = DIAL_REASONS.get(status, "agent_failed")
        if reason != "completed":
            log.warning("AGI call %s: agent %s leg not answered (DIALSTATUS=%s)", self.call_id, action.agent_id,
                        status or "unset")
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
            try:  # the engine settles the ACD too
                await self.runner._domain(platform.ivr.hangup, self.call_id, "transferred")
            except Exception:
                log.exception("AGI call %s: engine hangup after transfer failed", self.call_id)
            await self.conn.exec("Dial", f"{dial},{self.cfg.dial_timeout_s},{options}", timeout=LEG_LIMIT_S)
            return
        await self.runner._domain(calls.mark_ended, platform, self.call_id, action.reason)
        try:
            await self.say(action.prompts, "")
        except _CallerGone:
            pass
        try:
            await self.conn.set_variable("HOTLINE_DONE", "1")
            await self.runner._domain(platform.ivr.hangup, self.call_id, "completed")  # settles the ACD
            await self.conn.hangup()
        except (AGIDeadChannel, AGIHangup):
            pass
        except AGIError as exc:
            log.info("AGI call %s: hangup: %s", self.call_id, exc)
