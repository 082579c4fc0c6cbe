"""Who may hear which recording.

- national users (province scope "00") with the supervisor, qa or admin role: every recording;
- supervisors and QA reviewers of the recording's province: that province's recordings;
- an agent: their own calls, only where the center allows it (HOTLINE_RECORDING_AGENT_LISTEN);
- export (download) only for supervisors and QA reviewers, never for agents.
"""

from __future__ import annotations

from typing import Any

REVIEW_ROLES = ("supervisor", "qa", "admin")


def _roles(user: Any) -> frozenset[str]:
    roles = getattr(user, "roles", None)
    if isinstance(roles, str):
        return frozenset(r for r in roles.split(",") if r)
    return frozenset(roles or getattr(user, "role_set", ()) or ())


def is_national(user: Any) -> bool:
    return getattr(user, "province_scope", None) == "00"


def reviewer_scope(user: Any) -> str | None:
    """"00" for a national reviewer, the province code for a provincial one, None for neither."""
    if not _roles(user) & set(REVIEW_ROLES):
        return None
    return str(getattr(user, "province_scope", "") or "") or None


def can_listen(user: Any, rec: Any, *, own_agent_id: int | None, agent_listen_allowed: bool) -> bool:
    scope = reviewer_scope(user)
    if scope is not None and (scope == "00" or scope == rec.province):
        return True
    if "agent" in _roles(user) and own_agent_id is not None and rec.agent_id == own_agent_id:
        return agent_listen_allowed
    return False


def can_export(user: Any, rec: Any) -> bool:
    scope = reviewer_scope(user)
    roles = _roles(user)
    return scope is not None and bool(roles & {"supervisor", "qa"}) and (scope == "00" or scope == rec.province)
