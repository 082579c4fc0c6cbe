"""A stand-in for the IVR engine in channel-adapter tests (Asterisk, Twilio): it answers each
start/resume with the next scripted Action and records what the channel sent back."""

from __future__ import annotations

import time
from collections import deque
from typing import Any

from ivr.actions import Action, CallerHangup, Hangup


class ScriptedEngine:
    def __init__(self, *script: Action, fail_on: int | None = None, delay_s: float = 0.0) -> None:
        self.script = deque(script)
        self.fail_on = fail_on  # raise on the n-th resume, like an engine bug
        self.delay_s = delay_s  # widen the window in which a concurrent delivery could slip in
        self.started: list[dict[str, Any]] = []
        self.results: list[Any] = []
        self.hangups: list[tuple[str, str]] = []

    def start_call(self, **kwargs: Any) -> Action:
        self.started.append(kwargs)
        return self.script.popleft()

    def resume(self, call_id: str, result: Any) -> Action:
        if self.delay_s:
            time.sleep(self.delay_s)
        self.results.append(result)
        if self.fail_on is not None and len(self.results) == self.fail_on:
            raise RuntimeError("engine bug")
        if isinstance(result, CallerHangup):
            return Hangup(reason="caller_hangup")
        return self.script.popleft()

    def hangup(self, call_id: str, reason: str = "caller_hangup") -> None:
        self.hangups.append((call_id, reason))
