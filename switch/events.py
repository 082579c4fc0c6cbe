"""The events the switch emits (`core.events.DomainEvent`): routing and placing a call and the
cross-province handoff (`route.*`, shown to the supervisors of the province concerned, see web/sse.py),
and changes to the caller blocklist (`switch.block.*`, internal: the other nodes drop their snapshot)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Self

from core import provinces
from core.events import DomainEvent, phone_field, scope_field

if TYPE_CHECKING:
    from switch.blocklist import Block
    from switch.routing import RoutingDecision


@dataclass(frozen=True, kw_only=True)
class RouteDecided(DomainEvent):
    """A routing decision (`RoutingDecision.to_dict()` without the hours text) for a call; its
    province is the province the call was routed for."""

    type: ClassVar[str] = "route.decided"
    call_id: str | None
    caller: str | None = phone_field()
    province: str | None = scope_field()
    province_name: str
    center_code: str
    center_name: str
    queue_id: str | None
    topic: str | None
    reasons: list[dict[str, Any]]
    overflow: str | None
    remote: bool
    is_open: bool
    priority: int
    trunk: str | None
    announcement: str

    @classmethod
    def of(cls, decision: RoutingDecision, *, call_id: str | None, caller: str | None) -> RouteDecided:
        """The event of `decision` (`caller` as given: the caller's number masked)."""
        return cls(call_id=call_id, caller=caller, province=decision.province,
                   province_name=provinces.name_of(decision.province), center_code=decision.center_code,
                   center_name=provinces.name_of(decision.center_code), queue_id=decision.queue_id,
                   topic=decision.topic, reasons=[r.to_dict() for r in decision.reasons],
                   overflow=decision.overflow, remote=decision.remote, is_open=decision.is_open,
                   priority=decision.priority, trunk=decision.trunk, announcement=decision.announcement)


@dataclass(frozen=True, kw_only=True)
class RoutePlaced(DomainEvent):
    """Where a routed call went (`kind`: queued, transferred, ticket, callback, closed)."""

    type: ClassVar[str] = "route.placed"
    call_id: str
    kind: str
    center_code: str | None = scope_field()
    queue_id: str | None
    reason: str


@dataclass(frozen=True, kw_only=True)
class RouteHandoffSent(DomainEvent):
    """A call handed to another deployment, which answered with the reference `code`."""

    type: ClassVar[str] = "route.handoff.sent"
    call_id: str
    center_code: str | None = scope_field()
    code: str


@dataclass(frozen=True, kw_only=True)
class RouteHandoffReceived(DomainEvent):
    """Another deployment handed a call to `center_code` here (stored under `code` until it arrives)."""

    type: ClassVar[str] = "route.handoff.received"
    center_code: str | None = scope_field()
    code: str
    from_center: str


@dataclass(frozen=True, kw_only=True)
class RouteHandoffRefused(DomainEvent):
    """A handoff reference a call arrived with was refused (`reason`: unknown, expired, claimed; no
    province: national roles only)."""

    type: ClassVar[str] = "route.handoff.refused"
    call_id: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class RouteHandoffArrived(DomainEvent):
    """A handed-over call arrived and was queued at `center_code`."""

    type: ClassVar[str] = "route.handoff.arrived"
    call_id: str
    center_code: str | None = scope_field()
    queue_id: str
    from_center: str
    remote_call_id: str | None
    waited_seconds: float


@dataclass(frozen=True, kw_only=True)
class _BlockChanged(DomainEvent):
    """A block as `Block.to_dict()` gives it (the number masked; `scope` "*" national or a province)."""

    id: int
    number: str | None = phone_field()
    scope: str | None = scope_field()
    scope_name: str
    reason: str
    created_by: str
    created_at: str
    expires_at: str
    lifted_at: str | None

    @classmethod
    def of(cls, block: Block) -> Self:
        return cls(id=block.id, number=block.number_masked, scope=block.scope,
                   scope_name="全国" if block.scope == "*" else provinces.name_of(block.scope),
                   reason=block.reason, created_by=block.created_by, created_at=block.created_at.isoformat(),
                   expires_at=block.expires_at.isoformat(),
                   lifted_at=block.lifted_at.isoformat() if block.lifted_at else None)


@dataclass(frozen=True, kw_only=True)
class BlockAdded(_BlockChanged):
    type: ClassVar[str] = "switch.block.added"


@dataclass(frozen=True, kw_only=True)
class BlockLifted(_BlockChanged):
    type: ClassVar[str] = "switch.block.lifted"
