"""`platform.agents`: the ACD service. Commands from the IVR channels (enqueue, abandon, end_call,
request_callback) and the console (login, ready, accept, hold, transfer, wrap-up) become atomic
transactions on the ACD state; `tick()` drives the timers. Decisions come from `agents.policy`.

The service is composed of mixins, one job each: `roster` (agent profiles), `matching`, `callbacks`,
`reports` (statistics); the state keys are in `agents.keys`.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from sqlalchemy import select

from agents import endpoints, policy, stats, transitions
from agents.api import AcdDirectory, AgentsHost, QueueDef
from agents.callbacks import CallbackMixin
from agents.config import AcdSettings
from agents.domain import (
    DISPOSITIONS,
    AcdError,
    AgentStatus,
    CallStatus,
    QueuedCall,
    TransferSource,
)
from agents.events import (
    AcdStats,
    AgentDevice,
    AgentState,
    CallConnected,
    CallQueued,
    CallWrapped,
)
from agents.eventscope import ScopedBus
from agents.keys import (
    ACTIVE,
    AGENTS,
    DUE,
    FLUSHED,
    LANGS,
    LOAD,
    MAXWAIT,
    OFFERS,
    RPOOLS,
    WAITING_STATES,
    WRAP,
    agent_pools,
    aht_key,
    ak,
    ck,
    due_all,
    qk,
    rlk,
    sk,
)
from agents.matching import MatchingMixin
from agents.models import Agent, WrapUp
from agents.queues import Queues
from agents.records import AgentRec, CallRec
from agents.reports import ReportsMixin
from agents.roster import RosterMixin
from agents.state import StaleRecord, basis_of, make_acd_state
from core.db import table_of
from core.masking import mask_phone
from core.testcalls import is_test_call

# Built once: values come as parameters and the compiled form is cached (an ORM insert per wrap-up
# cost ~0.4 ms of the ~2 ms of an in-process decision).
_WRAPUP_INSERT = table_of(WrapUp).insert()
log = logging.getLogger(__name__)

DEVICE_STATES = ("registered", "available", "in_use", "ringing", "offline")



class AcdService(RosterMixin, MatchingMixin, CallbackMixin, ReportsMixin):
    def __init__(self, platform: AgentsHost) -> None:
        self.platform = platform
        self.clock = platform.clock
        self.bus = ScopedBus(platform.bus, platform.store)  # every ACD event carries its province
        self.state = make_acd_state(platform.store)
        self.queue_defs = queue_defs = Queues(platform)  # the queue definitions, cached (agents/queues.py)
        self.queue = queue_defs.queue
        self.queue_for = queue_defs.queue_for
        self.queues = queue_defs.queues
        self.update_queue = queue_defs.update
        self.ensure_queues = queue_defs.ensure_queues
        self.store = platform.store
        self.config = AcdSettings.of(platform.settings)
        self.offer_timeout = self.config.offer_timeout
        self.wrap_seconds = self.config.wrapup_seconds
        self.sl_seconds = self.config.sl_seconds
        self.missed_after = self.config.missed_after
        self.scan_depth = 5  # waiting calls looked at per queue when matching
        self.pool_depth = 8  # longest-idle agents read per pool
        self.recheck = 30.0  # seconds: the timer looks at a queue with waiting calls at least this often
        self._last_stats = 0.0
        self._last_retry = 0.0
        self._restored = False
        self._reindexed = False

    # -- helpers -------------------------------------------------------------------------------
    @property
    def directory(self) -> AcdDirectory:
        """Centers and hours, as the composition root gives them (the switch's directory)."""
        return self.platform.acd_directory

    def _now(self) -> float:
        return self.clock.time()

    def _call(self, call_id: str) -> dict[str, str]:
        return self.store.hgetall(ck(call_id))

    def _agent(self, agent_id: int) -> dict[str, str]:
        return self.store.hgetall(ak(agent_id))

    def _pools(self, agent: dict[str, str]) -> list[str]:
        return agent_pools(agent)

    def _queue_def(self, queue_id: str) -> QueueDef:
        q = self.queue_defs.queue(queue_id)
        if q is None:
            raise AcdError("unknown_queue", f"没有队列 {queue_id}")
        return q

    # -- agent states ---------------------------------------------------------------------------
    def login(self, agent_id: int) -> AgentStatus:
        prof = self.profile(agent_id)
        if prof is None:
            raise AcdError("unknown_agent", f"没有坐席 {agent_id}")
        txn = transitions.login(prof, agent_id, self._now())
        if self.state.txn(txn.checks, txn.ops):
            self._emit_txn(txn)
        return self.agent_status(agent_id)  # type: ignore[return-value]

    def logout(self, agent_id: int) -> None:
        agent = self._agent(agent_id)
        if not agent or agent.get("state") == "logged_out":
            return
        txn = transitions.logout(AgentRec.from_hash(agent), agent_id, self._now())
        if not self.state.txn(txn.checks, txn.ops):
            raise AcdError("busy", "通话或整理中不能签出")
        self._emit_txn(txn)

    def set_ready(self, agent_id: int) -> AgentStatus:
        agent = self._agent(agent_id)
        if not agent or agent.get("state") in ("", "logged_out"):
            raise AcdError("logged_out", "坐席未签入")
        txn = transitions.ready(AgentRec.from_hash(agent), agent_id, self._now())
        if not self.state.txn(txn.checks, txn.ops):
            if agent.get("state") == "ready":
                return self.agent_status(agent_id)  # type: ignore[return-value]
            raise AcdError("busy", "当前状态不能置闲")
        self._emit_txn(txn)
        self._dispatch_for_agent(agent_id, agent)
        return self.agent_status(agent_id)  # type: ignore[return-value]

    def set_not_ready(self, agent_id: int, reason: str = "break") -> AgentStatus:
        txn = transitions.not_ready(AgentRec.from_hash(self._agent(agent_id)), agent_id, reason, self._now())
        if not self.state.txn(txn.checks, txn.ops):
            raise AcdError("busy", "当前状态不能置忙")
        self._emit_txn(txn)
        return self.agent_status(agent_id)  # type: ignore[return-value]

    def _emit_txn(self, txn: transitions.Txn) -> None:
        for event in txn.events:
            self.bus.emit(event)

    def device_state(self, endpoint: str, state: str) -> AgentStatus | None:
        """A softphone's state as the PBX sees it (registered, available, in_use, ringing, offline).

        A ready agent whose softphone goes offline can no longer be offered calls, so the agent is
        set not ready ("softphone_offline"); coming back online does not make them ready again:
        the agent chooses that. Returns the agent's status, or None for an unknown endpoint.
        """
        if state not in DEVICE_STATES:
            raise AcdError("bad_device_state", f"unknown device state {state!r}")
        with self.platform.db.session() as s:
            agent_id = s.execute(select(Agent.id).where(Agent.endpoint == endpoint)).scalar_one_or_none()
            if agent_id is None:  # a device serving one channel only (the per-channel endpoints)
                agent_id = next((a.id for a in s.execute(select(Agent).where(Agent.active.is_(True))).scalars()
                                 if endpoint in endpoints.all_of(a.endpoint, a.endpoints)), None)
        if agent_id is None:
            return None
        self.state.txn([], [["hset", ak(agent_id), {"device": state}]])  # a change: the hash's version moves
        self.platform.bus.emit(AgentDevice(agent_id=agent_id, endpoint=endpoint, device=state))
        agent = self._agent(agent_id)
        if state == "offline" and agent and agent.get("state") == "ready":
            with contextlib.suppress(AcdError):  # it may have just been offered a call
                self.set_not_ready(agent_id, "softphone_offline")
        return self.agent_status(agent_id)

    def agent_status(self, agent_id: int) -> AgentStatus | None:
        agent = self._agent(agent_id)
        # a softphone can register before its agent ever signed in: then only "device" is known
        return _agent_status(agent) if agent and "id" in agent else None

    def agents_live(self, center_code: str | None = None) -> list[AgentStatus]:
        ids = sorted(self.store.smembers(AGENTS), key=int)
        rows = self.state.hgetall_many([ak(i) for i in ids])
        return [_agent_status(r) for r in rows if r and (center_code is None or r.get("center") == center_code)]

    # -- calls from the IVR ---------------------------------------------------------------------
    def enqueue(self, call: QueuedCall) -> CallStatus:
        queue = self._queue_def(call.queue_id)
        now = self._now()
        txn = transitions.enqueue(call, queue, now)
        topic = call.topic or queue.topic
        # One round trip: the transaction, the call's position, the wait-estimate inputs and whether a
        # ready agent speaking the caller's language is in a pool the call's tiers reach now.
        reach = policy.pools_for_wait(queue.center_code, topic, now - transitions.arrival(call, now), self._centers())
        pools = [rlk(ctr, t, call.language or "zh") for ctr, t in reach]
        ok, (rank, aht, staff, *ready) = self.state.txn_read(
            txn.checks, txn.ops,
            [("zrank", qk(queue.id), call.call_id), ("get", aht_key(queue.id)), _staff_states(queue.center_code, topic),
             *[("zcard", p) for p in pools]])
        if not ok:
            return self.call_status(call.call_id)  # type: ignore[return-value]
        for event in txn.events:  # the call's position read in the same round trip
            self.bus.emit(replace(event, position=rank) if isinstance(event, CallQueued) else event)
        if any(ready) and self._dispatch_queue(queue.id):  # an agent may take it (or a call ahead of it)
            return self.call_status(call.call_id)  # type: ignore[return-value]
        waiting = {"state": "callback" if call.callback_number else "waiting", "queue_id": queue.id}
        return self._waiting_status(call.call_id, waiting, rank, float(aht) if aht else None, _staffed(staff))

    def endpoint_for_channel(self, agent_id: int, channel: str | None) -> str:
        """Where this agent is reached on `channel` ("asterisk", "twilio"): the endpoint set for that
        channel, else the default ("" when none; e.g. the phone a supervisor listens on). Read from
        the profile, so it answers for an agent who is not logged in to the ACD too."""
        profile = self.profile(agent_id)
        if profile is None:
            return ""
        return endpoints.for_channel(channel, profile.endpoint, profile.endpoints)

    def _endpoint_for(self, agent_id: int, c: dict[str, str]) -> str:
        """The agent's endpoint for this call's channel (its own for the channel, else the default)."""
        agent = self._agent(agent_id) or {}
        channel = json.loads(c.get("context") or "{}").get("channel")
        return endpoints.for_channel(channel, agent.get("endpoint"), agent.get("endpoints"))

    def call_status(self, call_id: str) -> CallStatus | None:
        c = self._call(call_id)
        if not c:
            return None
        state = c["state"]
        agent_id = int(c["agent_id"]) if c.get("agent_id") else None
        endpoint = None
        if agent_id is not None and state in ("offered", "connected"):
            endpoint = self._endpoint_for(agent_id, c)
        if state in WAITING_STATES:
            rank = self.state.zrank(qk(c["queue_id"]), call_id)
            if rank is not None:
                return self._waiting_status(call_id, c, rank, self.aht(c["queue_id"]),
                                            self.staffed(c["center"], c["topic"]))
        return CallStatus(call_id=call_id, state=state, position=None, ewt_seconds=None, agent_id=agent_id,
                          agent_endpoint=endpoint, queue_id=c.get("queue_id"), overflow=c.get("overflow") or None,
                          text_zh="")

    @staticmethod
    def _waiting_status(call_id: str, c: dict[str, Any], rank: int, aht: float | None, staffed: int) -> CallStatus:
        """The status of a call waiting at `rank` in its queue, with its estimated wait."""
        ewt = policy.estimated_wait(rank, aht, staffed)
        return CallStatus(call_id=call_id, state=str(c["state"]), position=rank, ewt_seconds=ewt, agent_id=None,
                          agent_endpoint=None, queue_id=str(c["queue_id"]), overflow=c.get("overflow") or None,
                          text_zh=policy.wait_text(rank, ewt))

    def call_context(self, call_id: str) -> dict | None:
        """The IVR context, journey and notes of a call (for the console's screen pop)."""
        c = self._call(call_id)
        if not c:
            return None
        return {"call_id": call_id, "queue_id": c.get("queue_id"), "center_code": c.get("center"),
                "topic": c.get("topic"), "caller_masked": mask_phone(c.get("caller")),
                "state": c.get("state"), "journey": json.loads(c.get("journey") or "[]"),
                "notes": json.loads(c.get("notes") or "[]"), "context": json.loads(c.get("context") or "{}"),
                "callback_number_masked": mask_phone(c.get("cb_number")) or None}

    def abandon(self, call_id: str, reason: str = "caller_hangup") -> None:
        """The caller left. A call on virtual hold keeps its place when the caller hangs up (that is the
        point of it); only reason "callback_cancelled" takes it out of the queue."""
        c = self._call(call_id)
        state = c.get("state")
        if not c or state in ("ended", "abandoned") or (state == "callback" and reason != "callback_cancelled"):
            return
        if state == "connected":
            self.end_call(call_id, reason)
            return
        now = self._now()
        rec = CallRec.from_hash(c)
        waited = now - rec.queued_at
        agent = AgentRec.from_hash(self._agent(int(c["agent_id"]))) if state == "offered" else None
        txn = transitions.abandon(rec, agent, reason, now)
        if not self.state.txn(txn.checks, txn.ops):
            self.abandon(call_id, reason)  # the call moved on meanwhile: act on its new state
            return
        self._emit_txn(txn)
        if state == "offered":
            self._dispatch_for_agent(int(c["agent_id"]))
        if c.get("caller") and waited >= self.missed_after and state != "callback" and not is_test_call(call_id):
            self._add_callback(c, "missed", c["caller"], waited)

    def withdraw(self, call_id: str, reason: str = "self_service") -> bool:
        """Take a waiting call out of its queue without counting it as offered or abandoned: the caller
        went back to the IVR (a handed-over caller's record self-service) and may be enqueued again under
        the same call id. False when the call is not waiting (offered to an agent, connected, gone)."""
        c = self._call(call_id)
        if not c or c.get("state") != "waiting":
            return False
        txn = transitions.withdraw(CallRec.from_hash(c), reason)
        if not self.state.txn(txn.checks, txn.ops):
            return False
        self._emit_txn(txn)
        return True

    def caller_left(self, call_id: str, reason: str = "caller_hangup") -> str | None:
        """The caller's side is gone (hung up, transferred away, or the flow moved on): a waiting or
        offered call is abandoned, a connected one ended ("completed" when the caller hung up).
        Idempotent — the one way every channel settles the ACD, called by the IVR engine: a call
        already settled, unknown here or on virtual hold (callback) is left alone. Returns
        "abandoned", "ended" or None."""
        c = self._call(call_id)
        state = c.get("state") if c else None
        if state in ("waiting", "offered"):
            self.abandon(call_id, reason)
            return "abandoned"
        if state == "connected":
            self.end_call(call_id, "completed" if reason == "caller_hangup" else reason)
            return "ended"
        return None

    def end_call(self, call_id: str, reason: str = "completed") -> None:
        self._end_call(call_id, reason, fresh=False)

    def _end_call(self, call_id: str, reason: str, fresh: bool) -> None:
        """`fresh`: the call's hash read now; otherwise the one this node keeps (issue 18: the end is
        then one round trip on Redis), sent as the transaction's basis and read again if it changed."""
        keys = [ck(call_id)]
        (c,) = self.state.records(keys, fresh)
        if not c or c.get("state") != "connected":
            if not fresh:  # decided on the current hash, not a kept one
                return self._end_call(call_id, reason, fresh=True)
            if c and c.get("state") in ("waiting", "offered", "callback"):
                self.abandon(call_id, reason)
            return None
        txn = transitions.end(CallRec.from_hash(c), reason, self._now(), self.wrap_seconds)
        agent_key = txn.checks[1][0]
        try:
            ok, (agent_center,) = self.state.txn_read(txn.checks, txn.ops, [("hget", agent_key, "center")],
                                                      None if fresh else basis_of(keys, [c]))
        except StaleRecord:
            return self._end_call(call_id, reason, fresh=True)
        if ok:  # the agent event's scope was read in the same round trip
            ended, wrapping = txn.events
            self.bus.emit(ended)
            if agent_center and isinstance(wrapping, AgentState):
                wrapping = replace(wrapping, center_code=agent_center)
            self.bus.emit(wrapping)

    # -- console commands -----------------------------------------------------------------------
    def accept(self, agent_id: int, call_id: str) -> CallStatus:
        return self._accept(agent_id, call_id, fresh=False)

    def _accept(self, agent_id: int, call_id: str, fresh: bool) -> CallStatus:
        """`fresh` as for `_end_call`: otherwise the hashes this node keeps (the offer it made left them
        here), so the answer is one round trip on Redis."""
        keys = [ck(call_id), ak(agent_id)]
        c, agent = self.state.records(keys, fresh)
        now = self._now()
        if not c:
            raise AcdError("unknown_call", "没有这通来电")
        call, rec = CallRec.from_hash(c), AgentRec.from_hash(agent)
        txn = transitions.accept(call, rec, agent_id, now, self.sl_seconds)
        try:
            accepted = self.state.txn(txn.checks, txn.ops, None if fresh else basis_of(keys, [c, agent]))
        except StaleRecord:
            return self._accept(agent_id, call_id, fresh=True)
        if not accepted:
            raise AcdError("not_offered", "这通来电已不再分配给您")
        if call.cb_number:
            self._callback_dialling(call_id)
        self._emit_txn(txn)
        endpoint = next(e.endpoint for e in txn.events if isinstance(e, CallConnected))
        if c.get("cb_number"):
            return self.call_status(call_id)  # type: ignore[return-value]
        return CallStatus(call_id=call_id, state="connected", position=None, ewt_seconds=None, agent_id=agent_id,
                          agent_endpoint=endpoint, queue_id=c["queue_id"], overflow=c.get("overflow") or None,
                          text_zh="")

    def decline(self, agent_id: int, call_id: str) -> None:
        """Decline an offer; refused (AcdError, a 409 on the API) unless the call is offered to this agent."""
        if not self._call(call_id):
            raise AcdError("unknown_call", "没有这通来电")
        if not self._return_offer(agent_id, call_id, "declined"):
            raise AcdError("not_offered", "这通来电没有分配给您，无法拒接 / this call is not offered to you")

    def ring_no_answer(self, call_id: str, reason: str = "agent_no_answer") -> CallStatus | None:
        """The agent accepted in the console but their phone or browser never picked up (the
        telephony side reports it): ring-no-answer as for an offer — the call goes back to the head
        of its queue, the agent becomes not ready, and the answer counted at accept is taken back."""
        c = self._call(call_id)
        if not c or c.get("state") != "connected" or not c.get("agent_id"):
            return self.call_status(call_id)
        self._return_offer(int(c["agent_id"]), call_id, reason, from_state="connected")
        return self.call_status(call_id)

    def _return_offer(self, agent_id: int, call_id: str, reason: str, *, from_state: str = "offered") -> bool:
        """The call goes back to the head of its queue; the agent becomes not ready."""
        c = self._call(call_id)
        if not c:
            return False
        head = self.store.zrange(qk(c["queue_id"]), 0, 0)
        txn = transitions.requeue(CallRec.from_hash(c), agent_id, reason, head[0][1] if head else None, self._now(),
                                  self.sl_seconds, from_state)
        ok = self.state.txn(txn.checks, txn.ops)
        if ok:
            self._emit_txn(txn)
            self._dispatch_queue(c["queue_id"])
        return ok

    def hold(self, agent_id: int, call_id: str) -> None:
        txn = transitions.hold(call_id, agent_id, self._now())
        if not self.state.txn(txn.checks, txn.ops):
            raise AcdError("not_on_call", "没有可保持的通话")
        self._emit_txn(txn)

    def resume(self, agent_id: int, call_id: str) -> None:
        call = CallRec.from_hash(self._call(call_id))
        if call.held is None:
            raise AcdError("not_held", "通话未处于保持状态")
        txn = transitions.resume(call, agent_id, self._now())
        if not self.state.txn(txn.checks, txn.ops):
            raise AcdError("not_held", "通话未处于保持状态")
        self._emit_txn(txn)

    def transfer_source(self, agent_id: int, call_id: str, notes: str = "") -> TransferSource:
        """What the switch needs to transfer this agent's connected call (`SwitchApi.transfer`): where
        it is, its topic, and the context for the next side with the agent's notes (this one appended)
        and the wait before answer (credited by a receiving deployment)."""
        c = self._connected(agent_id, call_id)
        context = json.loads(c.get("context") or "{}")
        return TransferSource(call_id=call_id, center_code=c["center"], topic=c["topic"], context={
            **context, "agent_notes": self._notes_with(c, agent_id, notes),
            "waited_seconds": _waited_before_answer(c), "caller_masked": mask_phone(c.get("caller")),
            "language": c.get("language") or "zh"})

    def _connected(self, agent_id: int, call_id: str) -> dict[str, str]:
        c = self._call(call_id)
        if not c or c.get("state") != "connected" or c.get("agent_id") != str(agent_id):
            raise AcdError("not_on_call", "只能转接自己正在通话的来电")
        return c

    @staticmethod
    def _notes_with(c: dict[str, str], agent_id: int, notes: str) -> list[dict]:
        return json.loads(c.get("notes") or "[]") + ([{"agent_id": agent_id, "text": notes}] if notes else [])

    def transfer(self, agent_id: int, call_id: str, *, queue_id: str | None, target: Mapping[str, Any],
                 notes: str = "") -> None:
        """Carry out a transfer the switch decided (`SwitchApi.transfer`). With `queue_id` the call
        re-enters that queue of this deployment ahead of new calls, with its context, journey and the
        agent's notes; without, it left for another deployment and ends here. The agent goes to
        wrap-up either way; `acd.call.transferred` carries `target` (where it went, the handoff)."""
        c = self._connected(agent_id, call_id)
        queue = self._queue_def(queue_id) if queue_id is not None else None
        txn = transitions.transfer(CallRec.from_hash(c), agent_id, self._notes_with(c, agent_id, notes), queue, target,
                                   self._now(), self.wrap_seconds)
        if not self.state.txn(txn.checks, txn.ops):
            raise AcdError("not_on_call", "通话状态已变化，转接未完成")
        self._emit_txn(txn)
        if queue_id is not None:
            self._dispatch_queue(queue_id)

    def wrap_up(self, agent_id: int, disposition: str, notes: str = "", *, ready: bool = True) -> AgentStatus:
        if disposition not in DISPOSITIONS:
            raise AcdError("bad_disposition", f"未知的处理结果代码 {disposition}")
        return self._finish_wrap(agent_id, disposition, notes, ready)

    def _finish_wrap(self, agent_id: int, disposition: str, notes: str, ready: bool,
                     fresh: bool = False) -> AgentStatus:
        """`fresh` as for `_end_call` (the end of the call left the agent's hash here)."""
        keys = [ak(agent_id)]
        (agent,) = self.state.records(keys, fresh)
        if agent.get("state") != "wrap_up":
            if not fresh:  # refused on the current hash, not a kept one
                return self._finish_wrap(agent_id, disposition, notes, ready, fresh=True)
            raise AcdError("not_wrap_up", "当前不在话后整理状态")
        rec, now = AgentRec.from_hash(agent), self._now()
        call_id, queue_id, handle = rec.call_id, rec.call_queue, transitions.handle_seconds(rec, now)
        txn = transitions.finish_wrap(rec, agent_id, disposition, ready, now)
        # the agent's next call is looked for in the same round trip as the wrap-up
        prefetch = self.heads_prefetch(agent) if ready else None
        # The wrap-up row is inserted first and committed only if the state change happened: a database
        # error leaves the agent in wrap-up with nothing lost; a refused change leaves no row.
        try:
            with self.platform.db.engine.begin() as conn:
                conn.execute(_WRAPUP_INSERT, {"call_id": call_id, "agent_id": agent_id, "queue_id": queue_id,
                                              "disposition": disposition, "notes": notes,
                                              "handle_seconds": int(handle), "created_at": self.clock.now()})
                done, (active, call_center, after, *heads) = self.state.txn_read(
                    txn.checks, txn.ops, [("smembers", ACTIVE), ("hget", ck(call_id), "center"),
                                          ("hgetall", ak(agent_id)), *([prefetch.read] if prefetch else [])],
                    None if fresh else basis_of(keys, [agent]))
                if not done:
                    raise AcdError("not_wrap_up", "当前不在话后整理状态")
        except StaleRecord:  # the row was rolled back with the refused change
            return self._finish_wrap(agent_id, disposition, notes, ready, fresh=True)
        wrapped, agent_state = txn.events
        if isinstance(wrapped, CallWrapped):  # its scope was read in the same round trip
            wrapped = replace(wrapped, center_code=call_center or None)
        self.bus.emit(wrapped)
        self.bus.emit(agent_state)
        claimed = (self._dispatch_for_agent(agent_id, agent, active=active,
                                            prefetched=(prefetch, heads[0]) if prefetch else None)
                   if ready else None)
        return _agent_status(claimed or after)  # as the last transaction left it, read with it

    # -- supervisor actions on waiting calls -----------------------------------------------------
    def waiting_calls(self, center_code: str | None = None) -> list[dict]:
        """The calls waiting in each queue (of one center — "00" is the national center itself — or of
        all with None), in the order they will be served: wait, priority, masked caller, the IVR path,
        whether it is a test call."""
        now = self._now()
        queues = sorted(q for q in self.store.smembers(ACTIVE) if center_code is None or
                        q.split("-")[0] == center_code)
        out: list[dict] = []
        per_queue = self.state.zrange_many([qk(q) for q in queues], 200)
        hashes = self.state.hgetall_many([ck(m) for rows in per_queue for m, _ in rows])  # one read for all
        start = 0
        for q, rows in zip(queues, per_queue, strict=True):
            mine, start = hashes[start:start + len(rows)], start + len(rows)
            for position, (c, (call_id, _)) in enumerate(zip(mine, rows, strict=True)):
                if not c:
                    continue
                context = json.loads(c.get("context") or "{}")
                out.append({"call_id": call_id, "queue_id": q, "center_code": c.get("center"), "position": position,
                            "state": c.get("state"), "priority": int(c.get("priority") or 0),
                            "waited": round(now - float(c.get("queued_at") or now), 1),
                            "caller_masked": mask_phone(c.get("caller")), "topic": c.get("topic"),
                            "ivr_path": context.get("ivr_path") or [], "entry": context.get("entry"),
                            "flow_version": context.get("flow_version"), "test": is_test_call(call_id)})
        return out

    def prioritise(self, call_id: str, priority: int) -> CallStatus:
        """Change a waiting call's priority class (higher is served sooner); it keeps its arrival time."""
        c = self._call(call_id)
        if not c or c.get("state") not in WAITING_STATES:
            raise AcdError("not_waiting", "只能调整排队中的来电")
        txn = transitions.prioritise(CallRec.from_hash(c), priority)
        if not self.state.txn(txn.checks, txn.ops):
            raise AcdError("not_waiting", "来电状态已变化，请刷新")
        self._emit_txn(txn)
        self._dispatch_queue(c["queue_id"])
        return self.call_status(call_id)  # type: ignore[return-value]

    def move(self, call_id: str, queue_id: str) -> CallStatus:
        """Move a waiting call to another queue, keeping its arrival time and priority."""
        c = self._call(call_id)
        if not c or c.get("state") != "waiting":
            raise AcdError("not_waiting", "只能移动排队中的来电")
        target = self._queue_def(queue_id)
        if target.id == c["queue_id"]:
            return self.call_status(call_id)  # type: ignore[return-value]
        txn = transitions.move(CallRec.from_hash(c), target)
        if not self.state.txn(txn.checks, txn.ops):
            raise AcdError("not_waiting", "来电状态已变化，请刷新")
        self._emit_txn(txn)
        self._dispatch_queue(target.id)
        return self.call_status(call_id)  # type: ignore[return-value]

    # -- estimated wait inputs ------------------------------------------------------------------
    def aht(self, queue_id: str) -> float | None:
        v = self.store.get(aht_key(queue_id))
        return float(v) if v else None

    def staffed(self, center: str, topic: str) -> int:
        """Agents logged in with the skill and not on a break (they will take calls)."""
        return _staffed(self.state.read_many([_staff_states(center, topic)])[0])

    def center_load(self, center_code: str) -> int:
        """Calls waiting at a center (the switch compares it with the center's capacity)."""
        return int(self.store.hget(LOAD, center_code) or 0)

    # -- timers ---------------------------------------------------------------------------------
    def tick(self) -> None:
        now = self._now()
        self.state.on_timer()
        interval = stats.interval_start(now)
        # one round trip for what a pass with nothing to do reads: the timers' heads, the ready pools
        # and caller languages for the matching pass, the last flushed interval, the open interval's
        # changed scopes
        reads: list[tuple[Any, ...]] = [("zrange", k, 0, 99) for k in (OFFERS, WRAP, MAXWAIT, DUE)]
        reads += [("smembers", RPOOLS), ("smembers", LANGS), ("get", FLUSHED),
                  ("smembers", stats.changed_key(interval))]
        offers, wraps, maxwaits, due, ready_pools, langs, flushed, changed = self.state.read_many(reads)
        moved = False  # the pass changed the state itself: what was read up front may be out of date
        for call_id, deadline in offers:
            if deadline > now:
                break
            moved = True
            agent_id = self.store.hget(ck(call_id), "agent_id")
            if agent_id:
                self._return_offer(int(agent_id), call_id, "no_answer")
            else:
                self.store.zrem(OFFERS, call_id)
        for agent_id, deadline in wraps:
            if deadline > now:
                break
            moved = True
            try:
                self._finish_wrap(int(agent_id), "none", "", True)
            except AcdError:
                self.store.zrem(WRAP, agent_id)
        for call_id, deadline in maxwaits:
            if deadline > now:
                break
            moved = True
            self._overflow_call(call_id)
        if not self._reindexed:
            self._reindexed = True
            moved = True
            self.reindex_languages()
            self.reindex_ready_agents()
            self.state.txn([], due_all(self.store.smembers(ACTIVE)))  # look at all once
        if moved:
            ready_pools, langs = self.store.smembers(RPOOLS), self.store.smembers(LANGS)
        moved = self._dispatch_due(self._now(), due, ready_pools, langs) or moved
        if not self._restored:
            self._restored = True
            moved = True
            self.restore_counters(now)
        self._flush_intervals(now, flushed)
        if now - self._last_retry >= 15:  # callbacks whose next attempt is due
            self._last_retry = now
            moved = True
            try:
                self.retry_callbacks()
            except Exception:
                log.exception("retrying callbacks failed")
        # the scopes this pass changed itself are in the set now: read it again (else a change made
        # meanwhile by another node waits for the next pass, as it would after the read anyway)
        self.persist_open_interval(now, None if moved else changed)
        if now - self._last_stats >= 15:
            self._last_stats = now
            self.bus.emit(AcdStats.of(self.stats("national")))

    def _overflow_call(self, call_id: str) -> None:
        """A call past its queue's maximum wait gets the queue's overflow action, once."""
        c = self._call(call_id)
        queue = self.queue_defs.queue(c.get("queue_id", "")) if c else None
        if queue is None or c.get("state") not in WAITING_STATES or c.get("overflow"):
            self.store.zrem(MAXWAIT, call_id)
            return
        action = queue.overflow_action
        target = self.queue_defs.queue(action[6:]) if action.startswith("queue:") else None
        txn = transitions.overflow(CallRec.from_hash(c), queue, target)
        if self.state.txn(txn.checks, txn.ops):
            self._emit_txn(txn)
            if target is not None:
                self._dispatch_queue(target.id)

def _agent_status(h: dict[str, str]) -> AgentStatus:
    a = AgentRec.from_hash(h)
    return AgentStatus(agent_id=a.id, name=a.name, center_code=a.center, state=a.state, reason=a.reason,
                       since=a.since, call_id=a.call_id or None, endpoint=a.endpoint, skills=a.skills,
                       deadline=a.deadline)


def _waited_before_answer(c: dict) -> float:
    """How long a connected call waited in its queue before an agent answered (for a handoff's credit)."""
    try:
        return round(max(0.0, float(c.get("answered_at") or 0) - float(c.get("queued_at") or 0)), 1)
    except ValueError:
        return 0.0


_STAFFED_STATES = frozenset(("ready", "offered", "on_call", "wrap_up"))


def _staff_states(center: str, topic: str) -> tuple[str, str, str, str]:
    """The read of the states of a (center, topic)'s logged-in agents, for the wait estimate's staffed
    count: one read (one command on Redis) whatever the number of agents."""
    return ("member_fields", sk(center, topic), ak(""), "state")


def _staffed(states: list[str | None]) -> int:
    """Agents logged in with the skill and not on a break (they will take calls)."""
    return sum(1 for state in states if state in _STAFFED_STATES)
