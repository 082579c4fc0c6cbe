"""Every ACD event carries its province scope (`center_code`), so the console's live events reach
only the supervisors and agents of that province (events without a scope go to national roles
only: web/sse.py). The scope comes from the call's or the agent's record in the state store."""

from __future__ import annotations

from typing import Any

from agents.keys import ak, ck

SCOPE_FIELDS = ("province", "center_code", "scope")


class ScopedBus:
    """Wraps the platform bus for the ACD: adds `center_code` to events that lack a scope."""

    def __init__(self, bus: Any, store: Any) -> None:
        self._bus, self._store = bus, store

    def __getattr__(self, name: str) -> Any:
        return getattr(self._bus, name)

    def _scope(self, data: dict[str, Any]) -> str | None:
        try:
            if data.get("call_id"):
                center = self._store.hget(ck(str(data["call_id"])), "center")
                if center:
                    return str(center)
            if data.get("agent_id") not in (None, ""):
                center = self._store.hget(ak(data["agent_id"]), "center")
                if center:
                    return str(center)
            queue_id = str(data.get("queue_id") or "")
            head = queue_id.split("-", 1)[0]
            return head if len(head) == 2 and head.isdigit() else None
        except Exception:  # noqa: BLE001 - an unscoped event is still safe: national roles only
            return None

    def publish(self, event_type: str, **data: Any) -> Any:
        if not any(data.get(f) not in (None, "") for f in SCOPE_FIELDS):
            scope = self._scope(data)
            if scope:
                data["center_code"] = scope
        return self._bus.publish(event_type, **data)
