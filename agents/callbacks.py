"""Callbacks: virtual hold (the caller keeps their place and is rung back) and the missed-call list
(calls abandoned after a while), kept in the database for supervisors."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from agents import transitions
from agents.api import AcdDirectory, AgentsHost, QueueDef
from agents.config import AcdSettings
from agents.domain import PRIORITY_CALLBACK, AcdError, CallStatus, QueuedCall
from agents.events import CallbackCompleted, CallbackMissed, CallbackQueued, CallbackRequested, CallbackRetry
from agents.models import Callback
from agents.records import CallRec
from core import phone
from core.masking import mask_phone

log = logging.getLogger(__name__)

# What the telephony side saw when it dialled a callback (callback_result).
CALLBACK_RESULTS = ("reached", "no_answer", "busy", "failed")

# How a callback ended when a supervisor closes it by hand -> the status it gets.
CALLBACK_OUTCOMES: dict[str, str] = {"reached": "done", "not_needed": "done", "no_answer": "failed",
                                     "wrong_number": "failed"}


class CallbackMixin:
    platform: AgentsHost
    clock: Any
    bus: Any
    store: Any
    state: Any
    sl_seconds: int

    if TYPE_CHECKING:  # provided by AcdService
        @property
        def directory(self) -> AcdDirectory: ...
        def _now(self) -> float: ...
        def _call(self, call_id: str) -> dict[str, str]: ...
        def _queue_def(self, queue_id: str) -> QueueDef: ...
        def call_status(self, call_id: str) -> CallStatus | None: ...
        def enqueue(self, call: QueuedCall) -> CallStatus: ...

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
        txn = transitions.request_callback(call_id, info.national)
        if not self.state.txn(txn.checks, txn.ops):
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
        listed = CallbackMissed if kind == "missed" else CallbackRequested
        self.bus.emit(listed(callback_id=cb_id, call_id=c["call_id"], queue_id=c["queue_id"],
                             number=mask_phone(number)))
        return cb_id

    @staticmethod
    def _callback_rows(s: Any, call_id: str) -> list[Callback]:
        """The list entries an ACD call rings back: `cb-<id>` / `cb-<id>-<attempt>`, or a virtual hold."""
        parts = call_id.split("-")
        if parts[0] == "cb" and len(parts) in (2, 3) and all(p.isdigit() for p in parts[1:]):
            row = s.get(Callback, int(parts[1]))
            return [row] if row is not None else []
        return list(s.execute(select(Callback).where(Callback.call_id == call_id,
                                                     Callback.kind == "virtual_hold")).scalars())

    def _callback_dialling(self, call_id: str) -> None:
        """An agent accepted a callback: the telephony side now dials the citizen (one more attempt).
        The entry is done only when `callback_result(call_id, "reached")` says the citizen answered."""
        with self.platform.db.session() as s:
            for row in self._callback_rows(s, call_id):
                row.status, row.attempts, row.next_attempt_at = "dialling", (row.attempts or 0) + 1, None

    def _callback_policy(self) -> tuple[int, float, bool]:
        """Tries, seconds between them, and whether to text a citizen no try reached (`AcdSettings`)."""
        config = AcdSettings.of(self.platform.settings)
        return config.callback_attempts, config.callback_spacing, config.callback_unreachable_sms

    def callback_result(self, call_id: str, outcome: str) -> dict | None:
        """What the telephony side saw when it dialled a callback: `reached` (the citizen answered and
        the agent is bridged) → done; `no_answer`, `busy` or `failed` → the agent's leg ends and the
        callback is retried after the spacing, within the center's opening hours, up to the attempts
        of the policy, then closed as `unreachable` (with an SMS to the citizen if configured).
        Returns the callback as `callbacks()` lists it (None when the call is no callback)."""
        if outcome not in CALLBACK_RESULTS:
            raise AcdError("invalid_outcome", f"回拨结果必须是 {', '.join(CALLBACK_RESULTS)} 之一")
        attempts_max, spacing, sms = self._callback_policy()
        now = self.clock.now()
        unreachable: tuple[str, int] | None = None
        with self.platform.db.session() as s:
            rows = self._callback_rows(s, call_id)
            if not rows or rows[0].status != "dialling":
                return None
            row = rows[0]
            if outcome == "reached":
                row.status, row.done_at, row.outcome = "done", now, "reached"
            elif (row.attempts or 0) < attempts_max:
                row.status, row.outcome = "retry", outcome
                row.next_attempt_at = now + timedelta(seconds=spacing)
            else:
                row.status, row.done_at, row.outcome = "failed", now, "unreachable"
                unreachable = (row.number, row.attempts or 0)
            done = _listed(row)
        if outcome != "reached":
            self._free_agent_of_failed_callback(call_id, f"callback_{outcome}")
        became = CallbackCompleted if done["status"] in ("done", "failed") else CallbackRetry
        self.bus.emit(became(callback_id=done["id"], call_id=call_id, queue_id=done["queue_id"],
                             center_code=done["center_code"], outcome=done["outcome"], status=done["status"],
                             attempts=done["attempts"], next_attempt_at=done["next_attempt_at"]))
        if unreachable is not None and sms:
            self._text_unreachable(call_id, *unreachable)
        return done

    def _free_agent_of_failed_callback(self, call_id: str, why: str) -> None:
        """The citizen of a callback was not reached: the agent's leg ends and the agent is freed (not
        ready, the reason shown, no wrap-up of a conversation that never happened); the answer counted
        at accept is taken back, so a failed callback is never counted as answered."""
        c = self._call(call_id)
        if not c or c.get("state") != "connected" or not c.get("agent_id"):
            return
        txn = transitions.callback_unreached(CallRec.from_hash(c), why[:40], self._now(), self.sl_seconds)
        if self.state.txn(txn.checks, txn.ops):
            for event in txn.events:
                self.bus.emit(event)

    def _text_unreachable(self, call_id: str, number: str, attempts: int) -> None:
        try:
            self.platform.sms.send(number, "free_text", {
                "text": f"您预约的12333回电已拨打{attempts}次未能接通，如仍需咨询，请在工作时间拨打12333。"},
                category="reply", idempotency_key=f"callback-unreachable:{call_id}")
        except Exception:
            log.exception("the unreachable-callback SMS for %s could not be queued", call_id)

    def retry_callbacks(self) -> list[str]:
        """Queue the callbacks whose next attempt is due, when their center is open (opening hours
        decide: a retry due at night waits for the morning). Returns the ACD call ids queued."""
        now = self.clock.now()
        with self.platform.db.session() as s:
            due = [(r.id, r.attempts or 0, r.center_code) for r in s.execute(
                select(Callback).where(Callback.status == "retry", Callback.next_attempt_at <= now)).scalars()]
        queued = []
        for callback_id, attempts, center in due:
            try:
                if not self.directory.hours_state(center).open:
                    continue
            except KeyError:
                continue
            queued.append(self._queue_callback(callback_id, f"cb-{callback_id}-{attempts + 1}", ("retry",)))
        return [q for q in queued if q]

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
        call_id = self._queue_callback(callback_id, f"cb-{callback_id}", ("pending",))
        if call_id is None:
            raise AcdError("not_pending", "该回拨不在待处理列表中")
        return self.call_status(call_id)  # type: ignore[return-value]

    def _queue_callback(self, callback_id: int, call_id: str, from_statuses: tuple[str, ...]) -> str | None:
        with self.platform.db.session() as s:
            row = s.get(Callback, callback_id)
            if row is None or row.status not in from_statuses:
                return None
            row.status = "queued"
            number, queue_id, center, original, kind = row.number, row.queue_id, row.center_code, row.call_id, row.kind
            attempts = row.attempts or 0
        queue = self._queue_def(queue_id)
        self.enqueue(QueuedCall(call_id=call_id, queue_id=queue_id, center_code=center, topic=queue.topic,
                                skills=queue.skills, priority=PRIORITY_CALLBACK, caller=number,
                                context={"callback_for": original, "kind": kind, "attempt": attempts + 1},
                                callback_number=number))
        self.bus.emit(CallbackQueued(callback_id=callback_id, call_id=call_id, queue_id=queue_id, attempt=attempts + 1))
        return call_id

    def complete_callback(self, callback_id: int, *, outcome: str, actor: str) -> dict:
        """Close a pending callback by hand (e.g. the supervisor rang the caller from a desk phone):
        `outcome` in CALLBACK_OUTCOMES sets status done or failed. Audited; emits
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
        self.bus.emit(CallbackCompleted(callback_id=callback_id, call_id=done["call_id"], queue_id=done["queue_id"],
                                        center_code=done["center_code"], outcome=outcome, status=status))
        return done


def _listed(row: Callback) -> dict:
    """A callback as the console lists it: the number masked."""
    return {"id": row.id, "call_id": row.call_id, "number_masked": mask_phone(row.number), "queue_id": row.queue_id,
            "center_code": row.center_code, "kind": row.kind, "status": row.status, "outcome": row.outcome,
            "waited_seconds": row.waited_seconds, "created_at": row.created_at.isoformat(),
            "attempts": row.attempts or 0,
            "next_attempt_at": row.next_attempt_at.isoformat() if row.next_attempt_at else None}
