"""Tables of the ACD: queues, agent profiles, wrap-ups, callbacks and 15-minute interval statistics."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime


class Agent(Base):
    __tablename__ = "acd_agents"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    center_code: Mapped[str] = mapped_column(String(2), index=True)
    skills: Mapped[list] = mapped_column(JSON, default=list)  # topics, e.g. ["pension", "general"]
    languages: Mapped[list] = mapped_column(JSON, default=list)  # ["zh", "yue"]
    level: Mapped[int] = mapped_column(Integer, default=1)  # 1 junior .. 3 senior
    endpoint: Mapped[str] = mapped_column(String(100))  # "PJSIP/agent-17" or "client:agent-17"
    # an endpoint per voice channel where the default does not fit it, e.g. {"asterisk": "PJSIP/agent-17",
    # "twilio": "client:agent-17"}: one agent answers calls of both channels
    endpoints: Mapped[dict] = mapped_column(JSON, default=dict)
    # concurrency of the task channel: work orders (工单) the agent may hold in progress at once; voice
    # is always one call at a time (the ACD offers nothing to an agent who is offered or on a call)
    max_tickets: Mapped[int] = mapped_column(Integer, default=10, server_default="10")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WrapUp(Base):
    __tablename__ = "acd_wrapups"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[str] = mapped_column(String(64), index=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("acd_agents.id", ondelete="CASCADE"), index=True)
    queue_id: Mapped[str] = mapped_column(String(30))
    disposition: Mapped[str] = mapped_column(String(30))
    notes: Mapped[str] = mapped_column(Text, default="")
    handle_seconds: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Callback(Base):
    """A caller to ring back: virtual hold (kept their place) or a missed (abandoned) call."""

    __tablename__ = "acd_callbacks"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[str] = mapped_column(String(64), index=True)
    number: Mapped[str] = mapped_column(String(32))
    queue_id: Mapped[str] = mapped_column(String(30))
    center_code: Mapped[str] = mapped_column(String(2), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # "virtual_hold" | "missed"
    # pending, queued, dialling, retry, done, failed, cancelled
    status: Mapped[str] = mapped_column(String(20), default="pending")
    waited_seconds: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(20), nullable=True)  # reached, no_answer, ...
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # times dialled
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)  # status "retry"


class IntervalStat(Base):
    """Counters of one 15-minute interval for one scope ("national", "center:44", "queue:44-pension")."""

    __tablename__ = "acd_interval_stats"
    __table_args__ = (UniqueConstraint("interval_start", "scope", name="uq_acd_interval_stats_interval_scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    interval_start: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    scope: Mapped[str] = mapped_column(String(40), index=True)
    offered: Mapped[int] = mapped_column(Integer, default=0)
    answered: Mapped[int] = mapped_column(Integer, default=0)
    answered_sl: Mapped[int] = mapped_column(Integer, default=0)
    abandoned: Mapped[int] = mapped_column(Integer, default=0)
    handled: Mapped[int] = mapped_column(Integer, default=0)
    rna: Mapped[int] = mapped_column(Integer, default=0)
    wait_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    handle_ms: Mapped[int] = mapped_column(BigInteger, default=0)


class QueueRow(Base):
    """A queue of the ACD, one per center and topic (taken over from the switch's `switch_queues`)."""

    __tablename__ = "acd_queues"

    id: Mapped[str] = mapped_column(String(30), primary_key=True)  # "44-pension"
    center_code: Mapped[str] = mapped_column(String(2), index=True)  # a center of the switch's directory
    topic: Mapped[str] = mapped_column(String(30))
    skills: Mapped[list] = mapped_column(JSON, default=list)
    max_wait: Mapped[int] = mapped_column(Integer, default=600)  # seconds, then the overflow action
    overflow_action: Mapped[str] = mapped_column(String(30), default="callback")  # or "queue:00-pension"
