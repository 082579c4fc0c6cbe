"""The contract of `platform.agents`: what other homes and the front ends may call."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from core.kernel import Kernel
from core.topics import TOPICS

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from datetime import datetime
    from typing import Any

    from agents.domain import AgentProfile, AgentStatus, CallStatus, QueuedCall, TransferSource
    from sms.api import SmsApi


@dataclass(frozen=True)
class QueueDef:
    """A queue of the ACD (`acd_queues`, id "<center>-<topic>"): the skills it asks for, its maximum wait
    and what happens after it (`overflow_action`: "callback" or "queue:<queue id>")."""

    id: str
    center_code: str
    topic: str
    skills: tuple[str, ...]
    max_wait: int = 600
    overflow_action: str = "callback"  # "callback" or "queue:<queue id>"

    def to_dict(self) -> dict:
        return {"id": self.id, "center_code": self.center_code, "topic": self.topic,
                "topic_name": TOPICS.get(self.topic, self.topic), "skills": list(self.skills),
                "max_wait": self.max_wait, "overflow_action": self.overflow_action}


class CenterInfo(Protocol):
    @property
    def code(self) -> str: ...
    @property
    def remote(self) -> bool:
        """Served by another deployment (its calls leave this ACD)."""


class OpenNow(Protocol):
    @property
    def open(self) -> bool: ...


class AcdDirectory(Protocol):
    """What the ACD reads about centers and opening hours. The switch owns that directory; the
    composition root hands it to the ACD (`AgentsHost.acd_directory`), so the ACD never calls the switch.
    The queues are the ACD's own (`AcdApi.queue`, `queue_for`, `queues`)."""

    def centers(self) -> Sequence[CenterInfo]: ...

    def center(self, code: str) -> CenterInfo | None: ...

    def hours_state(self, center_code: str) -> OpenNow: ...


class AcdApi(Protocol):
    """`platform.agents`."""

    def abandon(self, call_id: str, reason: str = ...) -> None:
        """The caller left. A call on virtual hold keeps its place when the caller hangs up (that is the point of it);
        only reason "callback_cancelled" takes it out of the queue.
        """

    def accept(self, agent_id: int, call_id: str) -> CallStatus: ...

    def agent_for_user(self, user_id: int) -> AgentProfile | None: ...

    def agent_status(self, agent_id: int) -> AgentStatus | None: ...

    def agents_live(self, center_code: str | None = ...) -> list[AgentStatus]: ...

    def aht(self, queue_id: str) -> float | None: ...

    def call_context(self, call_id: str) -> dict | None:
        """The IVR context, journey and notes of a call (for the console's screen pop)."""

    def call_status(self, call_id: str) -> CallStatus | None: ...

    def callback_number(self, call_id: str, *, actor: str = ...) -> str | None:
        """The number to text or ring back for a call, unmasked and audited: the number the caller left for a callback,
        else the number they called from.
        """

    def callback_result(self, call_id: str, outcome: str) -> dict | None: ...

    def callbacks(self, *, status: str | None = ..., center_code: str | None = ...) -> list[dict]: ...

    def caller_left(self, call_id: str, reason: str = ...) -> str | None:
        """The caller's side is gone: abandon a waiting/offered call, end a connected one (idempotent)."""

    def center_load(self, center_code: str) -> int:
        """Calls waiting at a center (the switch compares it with the center's capacity)."""

    def complete_callback(self, callback_id: int, *, outcome: str, actor: str) -> dict: ...

    def counters(self, scope: str, bucket: str | int, *, test: bool = ...) -> dict[str, int]:
        """A scope's counters in one bucket; `test=True`: those of test and simulated calls."""

    def create_agent(
        self,
        user_id: int,
        *,
        name: str,
        center_code: str,
        skills: Iterable[str],
        languages: Iterable[str] = ...,
        level: int = ...,
        endpoint: str | None = ...,
        endpoints: Mapping[str, str] | None = ...,
        max_tickets: int = ...,
    ) -> int:
        """Give a console user an agent profile; returns the agent id."""

    def current_interval(self, scope: str) -> dict:
        """The open 15-minute interval (live counters, not yet in the database) with its figures."""

    def decline(self, agent_id: int, call_id: str) -> None:
        """Decline an offer; refused (AcdError, a 409 on the API) unless the call is offered to this agent."""

    def device_state(self, endpoint: str, state: str) -> AgentStatus | None:
        """A softphone's state as the PBX sees it (registered, available, in_use, ringing, offline)."""

    def dial_callback(self, callback_id: int) -> CallStatus:
        """Put a missed call back in its queue, ahead of ordinary calls, as a callback to make."""

    def end_call(self, call_id: str, reason: str = ...) -> None: ...

    def ensure_queues(self, center_code: str) -> int:
        """Create a center's missing default queues (one per topic, see `agents.queues.default_queues`);
        return how many were created. The switch calls it when it creates a center."""

    def endpoint_for_channel(self, agent_id: int, channel: str | None) -> str: ...

    def enqueue(self, call: QueuedCall) -> CallStatus: ...

    def flush_interval(self, start: int) -> int:
        """Write a closed interval's counters to the database (over what `persist_open_interval` wrote while it was
        open).
        """

    def handled_by_agent(
        self, since: datetime, until: datetime, center_code: str | None = ..., *, include_test: bool = ...
    ) -> list[dict]:
        """Per agent: calls wrapped up in [since, until), average handle time, dispositions. Test and simulated calls
        (`core.testcalls`) are left out unless `include_test`.
        """

    def history(self, scope: str, since: datetime, until: datetime) -> list[dict]:
        """Stored 15-minute intervals of one scope, with the derived figures."""

    def hold(self, agent_id: int, call_id: str) -> None: ...

    def intervals(self, scope: str, since: datetime, until: datetime) -> list[dict]:
        """`history()` plus the open interval when it falls in [since, until) and has calls."""

    def login(self, agent_id: int) -> AgentStatus: ...

    def logout(self, agent_id: int) -> None: ...

    def move(self, call_id: str, queue_id: str) -> CallStatus:
        """Move a waiting call to another queue, keeping its arrival time and priority."""

    def persist_open_interval(self, now: float) -> bool: ...

    def prioritise(self, call_id: str, priority: int) -> CallStatus:
        """Change a waiting call's priority class (higher is served sooner); it keeps its arrival time."""

    def profile(self, agent_id: int) -> AgentProfile | None: ...

    def profiles(self, center_code: str | None = ...) -> list[AgentProfile]: ...

    def queue(self, queue_id: str) -> QueueDef | None: ...

    def queue_for(self, center_code: str, topic: str | None) -> QueueDef | None:
        """The center's queue for a topic (its general queue when it has none for the topic); None for a center
        without queues. Where the switch queues a routed call or books a callback.
        """

    def queues(self, center_code: str | None = ...) -> list[QueueDef]:
        """Every queue (of one center), ordered by id."""

    def reindex_languages(self) -> int:
        """Put waiting calls queued before the per-language indexes existed into them (once, on the first timer pass of
        a node: a rolling upgrade loses no waiting call). Returns how many.
        """

    def request_callback(self, call_id: str, number: str) -> CallStatus:
        """Virtual hold: the caller hangs up but keeps their place; the agent rings them back."""

    def restore_counters(self, now: float) -> int: ...

    def resume(self, agent_id: int, call_id: str) -> None: ...

    def retry_callbacks(self) -> list[str]:
        """Queue the callbacks whose next attempt is due, when their center is open (opening hours decide: a retry due
        at night waits for the morning). Returns the ACD call ids queued.
        """

    def ring_no_answer(self, call_id: str, reason: str = ...) -> CallStatus | None: ...

    def set_not_ready(self, agent_id: int, reason: str = ...) -> AgentStatus: ...

    def set_ready(self, agent_id: int) -> AgentStatus: ...

    def staffed(self, center: str, topic: str) -> int:
        """Agents logged in with the skill and not on a break (they will take calls)."""

    def stats(self, scope: str = ...) -> dict:
        """Live figures for a queue, a center or the nation: today's counters and the snapshot now."""

    def tick(self) -> None: ...

    def transfer(
        self, agent_id: int, call_id: str, *, queue_id: str | None, target: Mapping[str, Any], notes: str = ...
    ) -> None:
        """Carry out a transfer the switch decided (`SwitchApi.transfer`): re-queue the call at `queue_id` of this
        deployment, or (None) end it here because it left for another deployment; the agent goes to wrap-up.
        """

    def transfer_source(self, agent_id: int, call_id: str, notes: str = ...) -> TransferSource:
        """What the switch needs to transfer this agent's connected call; refused (AcdError) unless it is theirs."""

    def update_agent(
        self,
        agent_id: int,
        *,
        skills: Iterable[str] | None = ...,
        languages: Iterable[str] | None = ...,
        level: int | None = ...,
        endpoint: str | None = ...,
        endpoints: Mapping[str, str] | None = ...,
        max_tickets: int | None = ...,
    ) -> AgentProfile:
        """Change an agent's profile; the queues use it from the agent's next sign-in (the work-order limit at once: it
        is checked when a ticket is assigned).
        """

    def update_queue(self, queue_id: str, *, max_wait: int, overflow_action: str) -> tuple[QueueDef, QueueDef]:
        """Change a queue's maximum wait (30–3600 s) and overflow action ("callback" or "queue:<id>"); (before,
        after). Waiting calls keep their deadline; new calls get the new one on every node.
        """

    def waiting_calls(self, center_code: str | None = ...) -> list[dict]: ...

    def withdraw(self, call_id: str, reason: str = ...) -> bool: ...

    def wrap_up(self, agent_id: int, disposition: str, notes: str = ..., *, ready: bool = ...) -> AgentStatus: ...


class AgentsHost(Kernel, Protocol):
    """What `agents` takes from the node: the kernel and the homes it calls."""

    @property
    def agents(self) -> AcdApi: ...

    @property
    def acd_directory(self) -> AcdDirectory:
        """Centers and hours (the switch's directory, wired at the root)."""

    @property
    def sms(self) -> SmsApi: ...
