"""The events the console itself emits (`core.events.DomainEvent`): a broadcast message
(`console.broadcast`, shown on every console in its scope, see web/sse.py) and a supervisor's request
to listen to, whisper to or barge into a call (`supervisor.monitor`, internal: the Asterisk adapter
rings the supervisor, ivr/asterisk/control.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from core.events import DomainEvent, scope_field


@dataclass(frozen=True, kw_only=True)
class ConsoleBroadcast(DomainEvent):
    """`scope`: a province code, or "*" for every console. `sent_at`: the sender's epoch seconds (the
    page measures the latency with it)."""

    type: ClassVar[str] = "console.broadcast"
    message: str
    by: str
    sent_at: float | None
    scope: str | None = scope_field()


@dataclass(frozen=True, kw_only=True)
class SupervisorMonitor(DomainEvent):
    """`mode`: listen, whisper or barge; `endpoint`: the supervisor's phone; `by`: their user id;
    `channel`: the call's channel (only an Asterisk call is acted on from the bus)."""

    type: ClassVar[str] = "supervisor.monitor"
    call_id: str
    mode: str
    endpoint: str
    by: int
    channel: str = "asterisk"
