"""Agent profiles in the database: who can log in as an agent, where, with which skills."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from agents.api import AcdDirectory, AgentsHost
from agents.domain import DEFAULT_MAX_TICKETS, MAX_TICKETS_LIMIT, AcdError, AgentProfile
from agents.endpoints import CHANNELS
from agents.models import Agent


class RosterMixin:
    platform: AgentsHost
    clock: Any

    if TYPE_CHECKING:  # provided by AcdService
        @property
        def directory(self) -> AcdDirectory: ...

    def create_agent(self, user_id: int, *, name: str, center_code: str, skills: Iterable[str],
                     languages: Iterable[str] = ("zh",), level: int = 1, endpoint: str | None = None,
                     endpoints: Mapping[str, str] | None = None, max_tickets: int = DEFAULT_MAX_TICKETS) -> int:
        """Give a console user an agent profile; returns the agent id."""
        _check_max_tickets(max_tickets)
        if self.directory.center(center_code) is None:
            raise AcdError("unknown_center", f"没有中心 {center_code}")
        with self.platform.db.session() as s:
            row = Agent(user_id=user_id, name=name, center_code=center_code, skills=list(skills),
                        languages=list(languages), level=level, endpoint="", endpoints=_channels(endpoints),
                        max_tickets=max_tickets, active=True,
                        created_at=self.clock.now())
            s.add(row)
            s.flush()
            row.endpoint = endpoint or f"PJSIP/agent-{row.id}"
            return row.id

    def update_agent(self, agent_id: int, *, skills: Iterable[str] | None = None,
                     languages: Iterable[str] | None = None, level: int | None = None,
                     endpoint: str | None = None, endpoints: Mapping[str, str] | None = None,
                     max_tickets: int | None = None) -> AgentProfile:
        """Change an agent's profile; the queues use it from the agent's next sign-in (the work-order
        limit at once: it is checked when a ticket is assigned)."""
        if max_tickets is not None:
            _check_max_tickets(max_tickets)
        with self.platform.db.session() as s:
            row = s.get(Agent, agent_id)
            if row is None:
                raise AcdError("unknown_agent", f"没有坐席 {agent_id}")
            if skills is not None:
                row.skills = list(skills)
            if languages is not None:
                row.languages = list(languages)
            if level is not None:
                row.level = level
            if endpoint is not None:
                row.endpoint = endpoint
            if endpoints is not None:
                row.endpoints = _channels(endpoints)
            if max_tickets is not None:
                row.max_tickets = max_tickets
            return _profile(row)

    def profile(self, agent_id: int) -> AgentProfile | None:
        with self.platform.db.session() as s:
            row = s.get(Agent, agent_id)
            return _profile(row) if row else None

    def agent_for_user(self, user_id: int) -> AgentProfile | None:
        with self.platform.db.session() as s:
            row = s.execute(select(Agent).where(Agent.user_id == user_id)).scalar_one_or_none()
            return _profile(row) if row else None

    def profiles(self, center_code: str | None = None) -> list[AgentProfile]:
        with self.platform.db.session() as s:
            q = select(Agent).where(Agent.active.is_(True)).order_by(Agent.id)
            if center_code:
                q = q.where(Agent.center_code == center_code)
            return [_profile(r) for r in s.execute(q).scalars()]


def _profile(row: Agent) -> AgentProfile:
    return AgentProfile(id=row.id, user_id=row.user_id, name=row.name, center_code=row.center_code,
                        skills=tuple(row.skills), languages=tuple(row.languages), level=row.level,
                        endpoint=row.endpoint, endpoints=dict(row.endpoints or {}), max_tickets=row.max_tickets)


def _check_max_tickets(value: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_TICKETS_LIMIT:
        raise AcdError("max_tickets", f"在办工单上限须为 1–{MAX_TICKETS_LIMIT} / the work-order limit is 1 to "
                                      f"{MAX_TICKETS_LIMIT}")


def _channels(endpoints: Mapping[str, str] | None) -> dict[str, str]:
    """Only known channels, only non-empty endpoints."""
    unknown = set(endpoints or {}) - set(CHANNELS)
    if unknown:
        raise AcdError("unknown_channel", f"unknown channel(s) {sorted(unknown)}: use {', '.join(CHANNELS)}")
    return {k: v for k, v in (endpoints or {}).items() if v}
