"""Every ACD event carries its province scope (its declared `scope_field()`, `center_code` in
`agents.events`), so the console's live events reach only the supervisors and agents of that province
(events without a scope go to national roles only: web/sse.py). The scope comes from the call's or the
agent's record in the state store when the event was emitted without it."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from agents.keys import ak, ck
from core.events import DomainEvent, Event, event_class, scope_field_of


class ScopedBus:
    """Wraps the platform bus for the ACD: fills the declared scope of events emitted without one."""

    def __init__(self, bus: Any, store: Any) -> None:
        self._bus, self._store = bus, store

    def __getattr__(self, name: str) -> Any:
        return getattr(self._bus, name)

    def _scope(self, event: DomainEvent) -> str | None:
        """The center of the event's call, else of its agent, else the one its queue id starts with."""
        call_id = getattr(event, "call_id", None)
        agent_id = getattr(event, "agent_id", None)
        try:
            if call_id:
                center = self._store.hget(ck(str(call_id)), "center")
                if center:
                    return str(center)
            if agent_id not in (None, ""):
                center = self._store.hget(ak(agent_id), "center")
                if center:
                    return str(center)
            head = str(getattr(event, "queue_id", None) or "").split("-", 1)[0]
            return head if len(head) == 2 and head.isdigit() else None
        except Exception:  # noqa: BLE001 - an unscoped event is still safe: national roles only
            return None

    def emit(self, event: DomainEvent) -> Event:
        name = scope_field_of(event)
        if name is not None and getattr(event, name) in (None, ""):
            scope = self._scope(event)
            if scope:
                event = replace(event, **{name: scope})
        return self._bus.emit(event)

    def publish(self, event_type: str, **data: Any) -> Event:
        """`emit` of the declared class named `event_type` (the scope filled the same way)."""
        return self.emit(event_class(event_type)(**data))
