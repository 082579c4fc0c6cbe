"""The in-process channel: runs a call through the live flow from the terminal or from a script.

Scripted keys (`--keys "7 11010519491231002X# 246810#"`): whitespace separates what the caller
types at successive prompts; a token longer than a prompt needs is typed ahead into the next one.
`X` is typed as `*` (the keypad has no X); `-` lets a prompt time out; `h` hangs up. When the
script runs out while the flow waits for input, the caller hangs up. Scripted utterances (`--say`)
answer `Listen` actions in order. The clock is a FakeClock that the simulator advances (speech
takes time, timeouts elapse, agents answer after simulated seconds): nothing waits for real.

While a call is queued the simulator plays a demo agent (unless `--no-agent`): after
`answer_after_s` it logs in and readies an agent of the queue's center with a matching skill, which
accepts the offer; they talk for `talk_s`, the agent hangs up and the flow goes on to the survey.
"""

from __future__ import annotations

import logging
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

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
    Result,
    Speech,
    Timeout,
    Transfer,
)
from ivr.api import IvrHost

log = logging.getLogger(__name__)

CHARS_PER_SECOND = 5.0  # how fast the simulated TTS speaks Chinese
NO_ANSWER_RING_S = 20.0  # how long an agent's phone rings before the channel gives up
MAX_STEPS = 500


class ScriptedCaller:
    """Keys and utterances given up front."""

    def __init__(self, keys: str = "", says: list[str] | None = None) -> None:
        self.tokens: deque[str] = deque(t.upper().replace("X", "*") for t in keys.split())
        self.says: deque[str] = deque(says or [])

    def has_keys(self) -> bool:
        return bool(self.tokens)

    def collect(self, action: Collect) -> Result | None:
        """Digits for a Collect; None = the script ran out (hang up)."""
        if not self.tokens:
            return None
        token = self.tokens.popleft()
        if token == "-":
            return Timeout()
        if token == "H":
            return None
        taken = ""
        rest = token
        while rest and len(taken) < action.max_digits:
            ch, rest = rest[0], rest[1:]
            if action.terminator and ch == action.terminator:
                break
            taken += ch
        if rest and action.terminator and rest[0] == action.terminator:
            rest = rest[1:]  # the terminator right after a full entry ends it
        if rest:
            self.tokens.appendleft(rest)  # typed ahead into the next prompt
        return Digits(taken) if taken else Timeout()

    def listen(self, action: Listen) -> Result | None:
        if self.says:
            return Speech(self.says.popleft(), 0.9)
        if self.tokens:
            return self.collect(Collect(prompts=(), max_digits=1, terminator=None))
        return None

    def hold_key(self, action: Hold) -> str | None:
        if self.tokens and action.keys and self.tokens[0][:1] in action.keys:
            token = self.tokens.popleft()
            if len(token) > 1:
                self.tokens.appendleft(token[1:])
            return token[0]
        return None


class InteractiveCaller:
    """Prompts printed, keys typed at the terminal (empty line = let it time out, q = hang up)."""

    def __init__(self, read: Callable[[str], str] = input, write: Callable[[str], None] = print) -> None:
        self.read, self.write = read, write

    def _ask(self, hint: str) -> str | None:
        try:
            text = self.read(f"[{hint}] > ").strip()
        except EOFError:
            return None
        return None if text.lower() in ("q", "quit", "h") else text

    def has_keys(self) -> bool:
        return True

    def collect(self, action: Collect) -> Result | None:
        text = self._ask(f"keys, up to {action.max_digits}; empty = timeout; q = hang up")
        if text is None:
            return None
        digits = text.upper().replace("X", "*").rstrip("#")
        return Digits(digits) if digits else Timeout()

    def listen(self, action: Listen) -> Result | None:
        text = self._ask("say something, or type a key; empty = timeout; q = hang up")
        if text is None:
            return None
        if not text:
            return Timeout()
        if len(text) == 1 and (text.isdigit() or text in "*#"):
            return Digits(text)
        return Speech(text, 1.0)

    def hold_key(self, action: Hold) -> str | None:
        return None


@dataclass
class DemoAgent:
    """Plays the agent side: readies an agent of the queue, accepts the offer, talks, hangs up."""

    platform: IvrHost
    answer_after_s: float = 20.0
    talk_s: float = 90.0
    agent_id: int | None = None
    tried: set[int] = field(default_factory=set)

    def ready_one(self, queue_id: str) -> None:
        from agents.domain import AcdError

        agents = self.platform.agents
        center, _, topic = queue_id.partition("-")
        for prof in agents.profiles(center):
            if prof.id in self.tried or (topic not in prof.skills and "general" not in prof.skills):
                continue
            self.tried.add(prof.id)
            try:
                status = agents.agent_status(prof.id)
                if status is None or getattr(status, "state", "") in ("", "logged_out"):
                    agents.login(prof.id)
                agents.set_ready(prof.id)
                return
            except AcdError as exc:  # busy or in wrap-up: try the next one
                log.debug("demo agent %s not usable: %s", prof.id, exc)

    def step(self, call_id: str, waited: float) -> None:
        """Called while the caller holds; accepts once the call has waited long enough."""
        if waited < self.answer_after_s:
            return
        agents = self.platform.agents
        tick = getattr(agents, "tick", None)
        if callable(tick):
            tick()  # the ACD's timers (wrap-up ends, offers time out), as a node's runtime would run them
        status = agents.call_status(call_id)
        if status is None:
            return
        if status.state == "waiting" and status.queue_id:
            self.ready_one(status.queue_id)
            status = agents.call_status(call_id)
        if status is not None and status.state == "offered" and status.agent_id is not None:
            agents.accept(status.agent_id, call_id)
            self.agent_id = status.agent_id


    def hang_up(self) -> None:
        """The agent ends the conversation and finishes wrap-up at once (ready for the next call)."""
        if self.agent_id is None:
            return
        from agents.domain import AcdError

        try:
            self.platform.agents.wrap_up(self.agent_id, "resolved", "simulated call")
        except AcdError as exc:
            log.debug("demo agent %s wrap-up: %s", self.agent_id, exc)
        self.agent_id = None


@dataclass
class SimulatedCall:
    call_id: str
    flow_version: int | None
    outcome: str
    events: list[dict]

    def to_dict(self) -> dict:
        return {"call_id": self.call_id, "flow_version": self.flow_version, "events": self.events,
                "outcome": self.outcome}


class Simulator:
    def __init__(self, platform: IvrHost, caller_script: ScriptedCaller | InteractiveCaller, *, agent: bool = True,
                 answer_after_s: float = 20.0, talk_s: float = 90.0, patience_s: float = 300.0,
                 on_action: Callable[[Action], None] | None = None, ivr: Any = None, homes: IvrHost | None = None,
                 agent_no_answer: int = 0) -> None:
        self.platform = platform
        self.ivr = ivr if ivr is not None else platform.ivr
        self.caller = caller_script
        self.agent = DemoAgent(homes if homes is not None else platform, answer_after_s, talk_s) if agent else None
        self.patience_s = patience_s
        self._holds = 0
        self.on_action = on_action
        self.agent_no_answer = agent_no_answer  # agent legs whose phone never picks up (ring-no-answer)

    def advance(self, seconds: float) -> None:
        advance = getattr(self.platform.clock, "advance", None)
        if advance is not None and seconds > 0:
            advance(seconds)

    def speak(self, action: Action) -> None:
        chars = sum(len(p.text) for p in getattr(action, "prompts", ()))
        self.advance(round(chars / CHARS_PER_SECOND, 1))

    def run(self, *, caller: str | None, called: str = "12333", language: str | None = None,
            call_id: str | None = None, args: dict | None = None) -> SimulatedCall:
        """`args`: what the channel would pass to start_call besides speech (e.g. handoff=<reference>)."""
        ivr = self.ivr
        call_id = call_id or f"sim-{uuid.uuid4().hex[:12]}"
        speech = isinstance(self.caller, InteractiveCaller) or bool(getattr(self.caller, "says", None))
        action = ivr.start_call(call_id=call_id, caller=caller, called=called, channel="simulator",
                                language=language, args={"speech": speech, **(args or {})})
        hold_start: float | None = None
        for _ in range(MAX_STEPS):
            if self.on_action is not None:
                self.on_action(action)
            if isinstance(action, Hangup | Transfer):
                if isinstance(action, Transfer):
                    ivr.hangup(call_id, "transferred")
                break
            if isinstance(action, Hold):
                self._holds = self._holds + 1 if hold_start is not None else 1
                hold_start = self.platform.clock.time() if hold_start is None else hold_start
            elif not isinstance(action, Play):
                hold_start = None
            result = self.answer(action, call_id, hold_start)
            action = ivr.resume(call_id, result)
            if isinstance(result, AgentLegEnded) and self.agent is not None:
                if result.reason == "agent_no_answer":
                    self.agent.agent_id = None  # the ACD made that agent not ready; another one will answer
                else:
                    self.agent.hang_up()
        else:
            ivr.hangup(call_id, "simulator_step_limit")
        return self.result(call_id)

    def answer(self, action: Action, call_id: str, hold_start: float | None) -> Result:
        self.speak(action)
        if isinstance(action, Play):
            return Played()
        if isinstance(action, Collect):
            got = self.caller.collect(action)
            if isinstance(got, Timeout):
                self.advance(action.timeout_s)
            elif isinstance(got, Digits):
                self.advance(0.4 * len(got.value) + 0.5)
            return got if got is not None else CallerHangup()
        if isinstance(action, Listen):
            got = self.caller.listen(action)
            if isinstance(got, Timeout):
                self.advance(action.timeout_s)
            elif isinstance(got, Speech):
                self.advance(1 + len(got.text) / CHARS_PER_SECOND)
            return got if got is not None else CallerHangup()
        if isinstance(action, Hold):
            return self.hold(action, call_id, hold_start)
        if isinstance(action, Connect):
            if self.agent_no_answer > 0:
                self.agent_no_answer -= 1
                self.advance(NO_ANSWER_RING_S)
                return AgentLegEnded("agent_no_answer")
            self.advance(self.agent.talk_s if self.agent else 60.0)
            return AgentLegEnded("agent_hangup")
        return CallerHangup()

    def hold(self, action: Hold, call_id: str, hold_start: float | None) -> Result:
        now = self.platform.clock.time()
        waited = 0.0 if hold_start is None else now - hold_start
        if waited >= self.patience_s:
            return CallerHangup()  # nobody came: the caller gives up (the ACD records an abandon)
        if self.agent is not None:
            # The agent answers within this hold period: wake when the ACD says so.
            step = max(1.0, min(action.max_seconds, self.agent.answer_after_s - waited))
            self.advance(step)
            self.agent.step(call_id, waited + step)
            return HoldTick()
        key = self.caller.hold_key(action) if self._holds > 1 else None  # listen to one announcement first
        if key is not None:
            self.advance(2.0)
            return Digits(key)
        self.advance(action.max_seconds)
        return HoldTick()

    def result(self, call_id: str) -> SimulatedCall:
        """The call as the caller heard it (the engine's state lingers briefly after the end; the
        call log keeps the same events with records read to the caller redacted)."""
        state = self.ivr.engine.state(call_id)
        if state is not None:
            return SimulatedCall(call_id, state.get("flow_version"), str(state.get("outcome") or "ended"),
                                 list(state.get("events", [])))
        row = self.ivr.transcript(call_id)
        if row is None:
            return SimulatedCall(call_id, None, "no_flow", [])
        return SimulatedCall(call_id, row["flow_version"], str(row["outcome"]), list(row["events"]))
