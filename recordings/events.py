"""The events the recordings home emits (`core.events.DomainEvent`, `recording.*`), internal: the
console never shows them. The channel adapters pause and resume a live call's recording on
`recording.paused` / `recording.resumed` (ivr/asterisk/recording.py, ivr/twilio/recording.py, by
`channel` and `call_id`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from core.events import DomainEvent, scope_field


@dataclass(frozen=True, kw_only=True)
class RecordingStarted(DomainEvent):
    """A recording row opened for a leg of a call (`kind`: agent_leg or a whole-call recording)."""

    type: ClassVar[str] = "recording.started"
    recording_id: int
    call_id: str
    leg: int
    kind: str
    channel: str
    province: str | None = scope_field()


@dataclass(frozen=True, kw_only=True)
class RecordingPauseChanged(DomainEvent):
    """Every open recording of the call (`recording_ids`) paused or resumed; `recording_id` and `leg`
    are the agent's current leg."""

    recording_id: int
    recording_ids: list[int]
    call_id: str
    channel: str
    leg: int


@dataclass(frozen=True, kw_only=True)
class RecordingPaused(RecordingPauseChanged):
    type: ClassVar[str] = "recording.paused"


@dataclass(frozen=True, kw_only=True)
class RecordingResumed(RecordingPauseChanged):
    type: ClassVar[str] = "recording.resumed"


@dataclass(frozen=True, kw_only=True)
class RecordingStored(DomainEvent):
    type: ClassVar[str] = "recording.stored"
    recording_id: int
    call_id: str
    province: str | None = scope_field()
    duration_s: float
    size: int


@dataclass(frozen=True, kw_only=True)
class RecordingsPurged(DomainEvent):
    """Expired recordings deleted by the retention pass (how many)."""

    type: ClassVar[str] = "recording.purged"
    count: int
