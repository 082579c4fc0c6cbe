"""Callbacks: virtual hold (the caller keeps their place and is rung back) and the missed-call list
(calls abandoned after a while), kept in the database for supervisors."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from agents import stats
from agents.domain import PRIORITY_CALLBACK, AcdError, CallStatus, QueuedCall
from agents.keys import ak, ck
from agents.models import Callback
from core import phone
from core.masking import mask_phone

# How a callback ended when a supervisor closes it by hand -> the status it gets.
CALLBACK_OUTCOMES: dict[str, str] = {"reached": "done", "not_needed": "done", "no_answer": "failed",
                                     "wrong_number": "failed"}


class CallbackMixin:
    platform: Any
    clock: Any
    bus: Any
    store: Any
    state: Any

    def callback_number(self, call_id: str, *, actor: str = "system:telephony") -> str | None:
        """The number to text or ring back for a call, unmasked and audited: the number the caller
        left for a callback, else the number they called from."""
        c = self._call(call_id)
        number = (c.get("cb_number") or c.get("caller") or None) if c else None
        if number:
            self.platform.audit.record(actor=actor, channel="system", action="acd.callback.number", outcome="ok",
                                       session_id=call_id, fields=["phone"])
        return number

    def request_callback(self, call_id: str, number: str) -> CallStatus:
        """Virtual hold: the caller hangs up but keeps their place; the agent rings them back."""
        try:
            info = phone.parse(number)
        except phone.InvalidPhoneNumber as exc:
            raise AcdError("invalid_number", str(exc)) from None
        c = self._call(call_id)
        if not c:
            raise AcdError("unknown_call", "没有这通来电")
        ok = self.state.txn([(ck(call_id), "state", ("waiting",))],
                            [["hset", ck(call_id), {"state": "callback", "cb_number": info.national,
                                                    "overflow": ""}]])
        if not ok:
            raise AcdError("not_waiting", "只有排队中的来电可以预约回拨")
        self._add_callback(c, "virtual_hold", info.national, self._now() - float(c["queued_at"]))
        return self.call_status(call_id)  # type: ignore[return-value]

    def _add_callback(self, c: dict[str, str], kind: str, number: str, waited: float) -> int:
        with self.platform.db.session() as s:
            row = Callback(call_id=c["call_id"], number=number, queue_id=c["queue_id"], center_code=c["center"],
                           kind=kind, status="pending" if kind == "missed" else "queued",
                           waited_seconds=int(waited), created_at=self.clock.now())
            s.add(row)
            s.flush()
            cb_id = row.id
        self.bus.publish(f"acd.callback.{'missed' if kind == 'missed' else 'requested'}", callback_id=cb_id,
                         call_id=c["call_id"], queue_id=c["queue_id"], number=mask_phone(number))
        return cb_id

    def _callback_done(self, call_id: str) -> None:
        """The agent reached a callback: its list entry is done."""
        with self.platform.db.session() as s:
            if call_id.startswith("cb-") and call_id[3:].isdigit():
                rows = [s.get(Callback, int(call_id[3:]))]
            else:
                rows = list(s.execute(select(Callback).where(Callback.call_id == call_id,
                                                             Callback.kind == "virtual_hold")).scalars())
            for row in rows:
                if row is not None:
                    row.status, row.done_at, row.outcome = "done", self.clock.now(), "reached"

    def _callback_rows(self, s: Any, call_id: str) -> list[Callback]:
        if call_id.startswith("cb-") and call_id[3:].isdigit():
            row = s.get(Callback, int(call_id[3:]))
            return [row] if row is not None else []
        return list(s.execute(select(Callback).where(Callback.call_id == call_id,
                                                     Callback.kind == "virtual_hold")).scalars())

    def callback_failed(self, call_id: str, reason: str) -> CallStatus | None:
        """The telephony side could not reach the citizen of a callback the agent accepted (Originate
        busy / no answer / failed): the agent is freed (not ready, the reason shown), the answer counted at
        accept is taken back, and the callback returns to the pending list with its attempt counted."""
        c = self._call(call_id)
        if not c or c.get("state") != "connected" or not c.get("agent_id"):
            return self.call_status(call_id)
        agent_id = int(c["agent_id"])
        now = self._now()
        answered = float(c.get("answered_at") or now)
        waited = answered - float(c["queued_at"])
        why = f"callback_{reason}"[:40]
        ops: list[list] = [
            ["hset", ck(call_id), {"state": "ended", "ended_at": now, "end_reason": why, "answered_at": ""}],
            ["hset", ak(agent_id), {"state": "not_ready", "reason": why, "call_id": "", "since": now,
                                    "answered_at": "", "call_queue": "", "call_center": ""}],
            *stats.count_ops(answered, c["queue_id"], c["center"], answered=-1, wait_ms=-int(waited * 1000),
                             answered_sl=-int(waited <= self.sl_seconds))]  # type: ignore[attr-defined]
        if not self.state.txn([(ck(call_id), "state", ("connected",)), (ak(agent_id), "call_id", (call_id,))], ops):
            return self.call_status(call_id)
        ids = []
        with self.platform.db.session() as s:
            for row in self._callback_rows(s, call_id):
                row.status, row.done_at, row.outcome = "pending", None, reason[:20]
                row.attempts = (row.attempts or 0) + 1
                ids.append(row.id)
        self.bus.publish("acd.callback.failed", call_id=call_id, agent_id=agent_id, reason=reason, callback_ids=ids)
        self._publish_agent(agent_id, "not_ready", why)  # type: ignore[attr-defined]
        return self.call_status(call_id)

    def callbacks(self, *, status: str | None = "pending", center_code: str | None = None) -> list[dict]:
        with self.platform.db.session() as s:
            q = select(Callback).order_by(Callback.id)
            if status:
                q = q.where(Callback.status == status)
            if center_code:
                q = q.where(Callback.center_code == center_code)
            return [_listed(r) for r in s.execute(q).scalars()]

    def dial_callback(self, callback_id: int) -> CallStatus:
        """Put a missed call back in its queue, ahead of ordinary calls, as a callback to make."""
        with self.platform.db.session() as s:
            row = s.get(Callback, callback_id)
            if row is None or row.status != "pending":
                raise AcdError("not_pending", "该回拨不在待处理列表中")
            row.status = "queued"
            number, queue_id, center, original = row.number, row.queue_id, row.center_code, row.call_id
        call_id = f"cb-{callback_id}"
        queue = self._queue_def(queue_id)
        self.enqueue(QueuedCall(call_id=call_id, queue_id=queue_id, center_code=center, topic=queue.topic,
                                skills=queue.skills, priority=PRIORITY_CALLBACK, caller=number,
                                context={"callback_for": original, "kind": "missed"}))
        self.state.txn([(ck(call_id), "state", ("waiting",))],
                       [["hset", ck(call_id), {"state": "callback", "cb_number": number}]])
        self.bus.publish("acd.callback.queued", callback_id=callback_id, call_id=call_id, queue_id=queue_id)
        return self.call_status(call_id)  # type: ignore[return-value]

    def complete_callback(self, callback_id: int, *, outcome: str, actor: str) -> dict:
        """Close a pending callback by hand (e.g. the supervisor rang the caller from a desk phone):
        `outcome` in CALLBACK_OUTCOMES sets status done or failed. Audited; publishes
        `acd.callback.completed`. Returns the callback as `callbacks()` lists it."""
        status = CALLBACK_OUTCOMES.get(outcome)
        if status is None:
            raise AcdError("invalid_outcome", f"回拨结果必须是 {', '.join(CALLBACK_OUTCOMES)} 之一")
        with self.platform.db.session() as s:
            row = s.get(Callback, callback_id)
            if row is None or row.status != "pending":
                raise AcdError("not_pending", "该回拨不在待处理列表中")
            row.status, row.done_at, row.outcome = status, self.clock.now(), outcome
            self.platform.audit.record(actor=actor, channel="system", action="acd.callback.complete", outcome="ok",
                                       subject=f"callback:{callback_id}", session_id=row.call_id,
                                       detail={"outcome": outcome, "status": status,
                                               "center_code": row.center_code}, session=s)
            done = _listed(row)
        self.bus.publish("acd.callback.completed", callback_id=callback_id, call_id=done["call_id"],
                         queue_id=done["queue_id"], center_code=done["center_code"], outcome=outcome, status=status)
        return done


def _listed(row: Callback) -> dict:
    """A callback as the console lists it: the number masked."""
    return {"id": row.id, "call_id": row.call_id, "number_masked": mask_phone(row.number), "queue_id": row.queue_id,
            "center_code": row.center_code, "kind": row.kind, "status": row.status, "outcome": row.outcome,
            "waited_seconds": row.waited_seconds, "created_at": row.created_at.isoformat(),
            "attempts": row.attempts or 0}
