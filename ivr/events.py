"""The events the IVR emits (`core.events.DomainEvent`): a call's steps (`call.*`, shown to supervisors
of the call's province, see web/sse.py) and a flow version going live (`ivr.flow.live`, internal: the
other nodes drop their live-version snapshot).

A call's events belong to the caller's province once known, else the entry center, else "00"
(`Ctx.scope`, `engine._scope`); numbers arrive masked (`mask_phone`, `ivr.context.masked`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from core.events import DomainEvent, phone_field, scope_field


@dataclass(frozen=True, kw_only=True)
class CallStarted(DomainEvent):
    type: ClassVar[str] = "call.started"
    call_id: str
    caller: str | None = phone_field()
    entry: str
    channel: str
    flow_version: int
    province: str | None = scope_field()


@dataclass(frozen=True, kw_only=True)
class CallBlocked(DomainEvent):
    """A blocked caller was turned away: the block's id and scope ("*" national, or a province code:
    a nationally blocked caller's event goes to every console), never the reason."""

    type: ClassVar[str] = "call.blocked"
    call_id: str
    caller: str | None = phone_field()
    block_id: int
    scope: str | None = scope_field()


@dataclass(frozen=True, kw_only=True)
class CallMenu(DomainEvent):
    """A menu key chosen (carries no province: national roles only)."""

    type: ClassVar[str] = "call.menu"
    call_id: str
    node: str
    key: str
    target: str


@dataclass(frozen=True, kw_only=True)
class CallInput(DomainEvent):
    """An input as the call log keeps it (`value` masked: never a password, IDs and numbers masked)."""

    type: ClassVar[str] = "call.input"
    call_id: str
    node: str
    kind: str
    value: str
    province: str | None = scope_field()


@dataclass(frozen=True, kw_only=True)
class CallKbAnswer(DomainEvent):
    type: ClassVar[str] = "call.kb_answer"
    call_id: str
    query: str
    found: bool
    province: str | None = scope_field()
    article_id: str | None = None
    revision_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class CallEnded(DomainEvent):
    type: ClassVar[str] = "call.ended"
    call_id: str
    outcome: str
    flow_version: int | None
    path: list[Any]
    province: str | None = scope_field()


@dataclass(frozen=True, kw_only=True)
class FlowLive(DomainEvent):
    """A flow version became live for an entry number (`how`: published, rolled_back)."""

    type: ClassVar[str] = "ivr.flow.live"
    entry: str
    version: int
    how: str
