"""The test-call channel: a caller driven over the node's API (the console's test-call page,
`hotline call --node URL`), whose call runs through the running node's engine, switch, ACD and
events, so a ready agent in the console gets the offer like any other call.

Like the Twilio adapter, the channel keeps only what the next request needs in the state store
(hash `testcall:<id>`: the pending action, the hold deadline, the channel-side log), under a store
lock, so any node can answer any request. Plays are heard at once (the caller reads them); a
`Collect`/`Listen` waits for the caller's keys or words; a `Hold` waits for an `acd.call.*` event
(an agent accepted) or its deadline; a `Connect` lasts until the agent hangs up or transfers in
the console. What the agent's actions do to the caller (hold music, transfer, hang-up) is written
to the channel log, which the page and the terminal show.

Test calls have ids `test-…` (`core.testcalls`): they are counted apart from real calls and never
leave a missed-call callback.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from core.errors import Refusal
from core.masking import mask_phone
from ivr.actions import (
    Action,
    AgentLegEnded,
    CallerHangup,
    Collect,
    Digits,
    Hangup,
    Hold,
    HoldTick,
    Listen,
    Play,
    Played,
    Result,
    Speech,
    Timeout,
    Transfer,
    action_from_dict,
    is_final,
)
from ivr.api import IvrHost
from ivr.simulator import ScriptedCaller

log = logging.getLogger(__name__)

CHANNEL = "test"
ACTIVE = "testcall:active"
STATE_TTL_S = 6 * 3600
ENDED_TTL_S = 1800
MAX_PLAYS = 200  # Plays answered in one go before the channel gives up (a looping flow)
MAX_KEYS = 200  # characters of keys accepted in one request
MAX_SPEECH = 200  # characters of one utterance

# what the caller hears when the agent does something in the console (zh, en)
AGENT_ACTIONS = {
    "acd.call.offered": ("正在为您接通坐席（坐席的话机在振铃）", "an agent's phone is ringing"),
    "acd.call.connected": ("坐席已接听，您正在与坐席通话", "an agent answered: you are talking to the agent"),
    "acd.call.held": ("坐席将您的通话保持，您听到等待音乐", "the agent put you on hold: you hear music"),
    "acd.call.resumed": ("坐席恢复了通话", "the agent took you off hold"),
    "acd.call.transferred": ("坐席正在为您转接", "the agent is transferring you"),
    "acd.call.requeued": ("坐席未能接听，您回到队列首位",
                          "the agent did not pick up: you are first in the queue again"),
    "acd.call.ended": ("坐席已挂断", "the agent hung up"),
}


class TestCallError(Refusal):
    """A request the call cannot take now (unknown call, ended, wrong kind of input)."""

    kind = "conflict"

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code=code)


def key(call_id: str) -> str:
    return f"testcall:{call_id}"


def new_call_id() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


class TestCalls:
    """Start, drive and watch test calls on this node."""

    def __init__(self, platform: IvrHost) -> None:
        self.platform = platform
        self._subscription: Any = None
        self._executor: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ wiring

    def attach(self) -> None:
        """Listen to ACD events (any thread) to wake held calls and log what the agent does."""
        with self._lock:
            if self._subscription is None:
                self._subscription = self.platform.bus.subscribe(self._on_event, ("acd.call.",))

    def close(self) -> None:
        with self._lock:
            if self._subscription is not None:
                self._subscription.close()
                self._subscription = None
            if self._executor is not None:
                self._executor.shutdown(wait=True, cancel_futures=False)
                self._executor = None

    def _on_event(self, event: Any) -> None:
        call_id = event.data.get("call_id")
        if not isinstance(call_id, str) or not call_id.startswith("test-") or event.type == "acd.call.queued":
            return
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="testcall")
            executor = self._executor
        # the publisher is often a console request holding ACD state: act after it, in a worker
        executor.submit(self._wake_safely, call_id, event.type, dict(event.data))

    def _wake_safely(self, call_id: str, event_type: str, data: dict) -> None:
        try:
            self.wake(call_id, event_type, data)
        except Exception:
            log.exception("test call %s: handling %s failed", call_id, event_type)

    # ------------------------------------------------------------------ the caller's side

    def start(self, *, caller: str | None, called: str = "12333", language: str | None = None,
              by: str, keys: str = "", speech: bool = True) -> dict:
        """Place a call; `keys` (optional) are typed at the first prompts as `hotline call --keys`."""
        call_id = new_call_id()
        store = self.platform.store
        with self._call_lock(call_id):
            store.hset(key(call_id), {"caller": caller or "", "called": called, "by": by, "log": "[]",
                                      "created": str(self.platform.clock.time()), "ended": ""})
            store.expire(key(call_id), STATE_TTL_S)
            store.sadd(ACTIVE, call_id)
            action = self.platform.ivr.start_call(call_id=call_id, caller=caller, called=called, channel=CHANNEL,
                                                  language=language, args={"speech": speech, "test_call": True})
            self._carry_out(call_id, action)
            if keys:
                self._feed(call_id, keys)
        self.platform.audit.record(actor=by, channel="console", action="testcall.start", outcome="ok",
                                   detail={"call_id": call_id, "caller": mask_phone(caller), "called": called})
        log.info("test call %s placed by %s from %s to %s", call_id, by, mask_phone(caller), called)
        return self.view(call_id)

    def keys(self, call_id: str, keys: str) -> dict:
        """Keys for the prompts waiting (whitespace separates prompts; `-` lets one time out)."""
        keys = (keys or "").strip()
        if not keys:
            raise TestCallError("bad_input", "没有按键 / no keys given")
        if len(keys) > MAX_KEYS:
            raise TestCallError("bad_input", f"按键最多{MAX_KEYS}个 / at most {MAX_KEYS} keys")
        with self._call_lock(call_id):
            self._require_live(call_id)
            self._feed(call_id, keys)
        return self.view(call_id)

    def say(self, call_id: str, text: str) -> dict:
        """Words for a speech prompt (or as the caller's side of the conversation with the agent)."""
        text = (text or "").strip()
        if not text:
            raise TestCallError("bad_input", "没有内容 / nothing said")
        if len(text) > MAX_SPEECH:
            raise TestCallError("bad_input", f"一句话最多{MAX_SPEECH}个字 / at most {MAX_SPEECH} characters")
        with self._call_lock(call_id):
            state = self._require_live(call_id)
            pending = state.get("pending", "")
            if pending == "listen":
                self._resume(call_id, Speech(text, 0.9), input_line=f"说：{text}")
            elif pending == "connect":
                self._log(call_id, "caller", f"对坐席说：{text}")
            else:
                raise TestCallError("wrong_input", "现在请按键，不是说话 / this prompt wants keys, not speech")
        return self.view(call_id)

    def hangup(self, call_id: str, by: str = "") -> dict:
        """The caller hangs up (the ACD counts an abandon or ends the conversation)."""
        with self._call_lock(call_id):
            state = self.platform.store.hgetall(key(call_id))
            if not state:
                raise TestCallError("unknown_call", f"没有测试来电 {call_id}")
            if state.get("ended") != "1":
                self._log(call_id, "caller", "来电者挂机 / the caller hung up")
                action = self.platform.ivr.resume(call_id, CallerHangup())  # settles the ACD too
                self._carry_out(call_id, action)
                self._end(call_id, "caller_hangup")
        return self.view(call_id)

    def view(self, call_id: str, since: int = 0) -> dict:
        """The call as the caller experiences it: state, what is asked now, the events so far
        (prompts as text), the channel log. Also moves on a hold whose deadline passed."""
        state = self.platform.store.hgetall(key(call_id))
        if not state:
            raise TestCallError("unknown_call", f"没有测试来电 {call_id}")
        if state.get("pending") == "hold" and state.get("ended") != "1" and \
                float(state.get("hold_until") or 0) <= self.platform.clock.time():
            self.tick(call_id)
            state = self.platform.store.hgetall(key(call_id))
        events = self._events(call_id)
        pending = "" if state.get("ended") == "1" else state.get("pending", "")
        action = json.loads(state.get("action") or "{}")
        acd = None
        try:
            status = self.platform.agents.call_status(call_id)
            acd = {"state": status.state, "position": status.position, "agent_id": status.agent_id,
                   "queue_id": status.queue_id} if status is not None else None
        except ModuleNotFoundError:
            acd = None
        return {"call_id": call_id, "caller": mask_phone(state.get("caller")), "called": state.get("called"),
                "ended": state.get("ended") == "1", "outcome": state.get("outcome") or None,
                "pending": pending, "expects": _expects(action) if pending else None,
                "prompts": [p.get("text") for p in action.get("prompts", [])] if pending else [],
                "acd": acd, "events": events[since:], "event_count": len(events),
                "log": json.loads(state.get("log") or "[]")}

    # ------------------------------------------------------------------ node side

    def wake(self, call_id: str, event_type: str, data: dict | None = None) -> None:
        """An ACD event for a test call: log what the agent did; move a held or connected call on."""
        with self._call_lock(call_id):
            state = self.platform.store.hgetall(key(call_id))
            if not state or state.get("ended") == "1":
                return
            text = AGENT_ACTIONS.get(event_type)
            if text and not (event_type == "acd.call.ended" and (data or {}).get("reason") != "agent_hangup"):
                detail = ""
                if event_type == "acd.call.transferred" and data:
                    where = "本平台队列" if data.get("kind") == "local" else "其他部署"
                    detail = f"（{data.get('center_code')}，{where}）"
                self._log(call_id, "agent", text[0] + detail)
            pending = state.get("pending")
            if pending == "hold" and event_type not in ("acd.call.offered",):
                self._resume(call_id, HoldTick())
            elif pending == "connect":
                if event_type == "acd.call.ended":
                    self._resume(call_id, AgentLegEnded(str((data or {}).get("reason") or "agent_hangup")))
                elif event_type == "acd.call.transferred":
                    if (data or {}).get("kind") == "local":
                        self._resume(call_id, AgentLegEnded("transferred"))
                    else:
                        self.platform.ivr.hangup(call_id, "transferred")
                        self._end(call_id, "transferred")

    def tick(self, call_id: str) -> None:
        """A hold whose deadline passed: the engine's next announcement (or its max-wait fallback)."""
        with self._call_lock(call_id):
            state = self.platform.store.hgetall(key(call_id))
            if state.get("pending") == "hold" and state.get("ended") != "1" and \
                    float(state.get("hold_until") or 0) <= self.platform.clock.time():
                self._resume(call_id, HoldTick())

    def tick_all(self) -> int:
        """Tick every test call on hold (the node's timer); forget ended ones. Returns how many ticked."""
        n = 0
        for call_id in sorted(self.platform.store.smembers(ACTIVE)):
            state = self.platform.store.hgetall(key(call_id))
            if not state or state.get("ended") == "1":
                self.platform.store.srem(ACTIVE, call_id)
                continue
            if state.get("pending") == "hold" and float(state.get("hold_until") or 0) <= self.platform.clock.time():
                self.tick(call_id)
                n += 1
        return n

    # ------------------------------------------------------------------ internals

    def _call_lock(self, call_id: str) -> Any:
        return self.platform.store.lock(f"testcall-lock:{call_id}", timeout=10.0)

    def _require_live(self, call_id: str) -> dict[str, str]:
        state = self.platform.store.hgetall(key(call_id))
        if not state:
            raise TestCallError("unknown_call", f"没有测试来电 {call_id}")
        if state.get("ended") == "1":
            raise TestCallError("call_ended", "通话已结束 / the call has ended")
        return state

    def _feed(self, call_id: str, keys: str) -> None:
        """Type a key script at the waiting prompts, as the simulator's scripted caller does."""
        script = ScriptedCaller(keys)
        while script.has_keys():
            state = self.platform.store.hgetall(key(call_id))
            if state.get("ended") == "1":
                return
            pending = state.get("pending", "")
            action = action_from_dict(json.loads(state["action"])) if state.get("action") else None
            if pending == "collect" and isinstance(action, Collect):
                got: Result | None = script.collect(action)
            elif pending == "listen" and isinstance(action, Listen):
                got = script.listen(action)
            elif pending == "hold" and isinstance(action, Hold):
                keyed = script.hold_key(action)
                got = Digits(keyed) if keyed else None
                if got is None:
                    self._log(call_id, "caller", f"排队时按键无效：{' '.join(script.tokens)}")
                    return
            else:
                self._log(call_id, "caller", f"按键：{' '.join(script.tokens)}（现在不需要按键）")
                return
            if got is None:  # 'h' in the script
                self._log(call_id, "caller", "来电者挂机 / the caller hung up")
                action_next = self.platform.ivr.resume(call_id, CallerHangup())  # settles the ACD too
                self._carry_out(call_id, action_next)
                self._end(call_id, "caller_hangup")
                return
            self._resume(call_id, got)

    def _resume(self, call_id: str, result: Result, input_line: str = "") -> None:
        if input_line:
            self._log(call_id, "caller", input_line)
        action = self.platform.ivr.resume(call_id, result)
        self._carry_out(call_id, action)

    def _carry_out(self, call_id: str, action: Action) -> None:
        """Hear every Play at once; stop at what needs the caller, the ACD or the agent."""
        for _ in range(MAX_PLAYS):
            if not isinstance(action, Play):
                break
            action = self.platform.ivr.resume(call_id, Played())
        fields = {"pending": action.kind, "action": json.dumps(action.to_dict(), ensure_ascii=False)}
        if isinstance(action, Hold):
            fields["hold_until"] = str(self.platform.clock.time() + float(action.max_seconds))
        self.platform.store.hset(key(call_id), fields)
        if is_final(action):
            if isinstance(action, Transfer):
                self.platform.ivr.hangup(call_id, "transferred")
            self._end(call_id, action.reason if isinstance(action, Hangup) else "transferred")

    def _end(self, call_id: str, outcome: str) -> None:
        state = self.platform.ivr.engine.state(call_id) or {}
        self.platform.store.hset(key(call_id), {"ended": "1", "pending": "",
                                                "outcome": str(state.get("outcome") or outcome)})
        self.platform.store.expire(key(call_id), ENDED_TTL_S)
        self.platform.store.srem(ACTIVE, call_id)

    def _log(self, call_id: str, who: str, text: str) -> None:
        entries = json.loads(self.platform.store.hget(key(call_id), "log") or "[]")
        t0 = float(self.platform.store.hget(key(call_id), "created") or self.platform.clock.time())
        entries.append({"t": round(self.platform.clock.time() - t0, 1), "who": who, "text": text})
        self.platform.store.hset(key(call_id), {"log": json.dumps(entries[-200:], ensure_ascii=False)})

    def _events(self, call_id: str) -> list[dict]:
        state = self.platform.ivr.engine.state(call_id)
        if state is not None:
            return list(state.get("events", []))
        row = self.platform.ivr.transcript(call_id)
        return list(row["events"]) if row else []


def _expects(action: dict) -> dict | None:
    kind = action.get("kind")
    if kind == "collect":
        return {"kind": "keys", "max_digits": action.get("max_digits"), "terminator": action.get("terminator")}
    if kind == "listen":
        return {"kind": "speech_or_key"}
    if kind == "hold":
        return {"kind": "wait", "keys": action.get("keys") or ""}
    if kind == "connect":
        return {"kind": "talk"}
    return None


__all__ = ["CHANNEL", "TestCallError", "TestCalls", "Timeout"]
