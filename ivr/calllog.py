"""The call log: one row per call (written at start, completed at the end), survey results, and the
read side used by the console (earlier contacts, screen pop) and by reports.

The caller's number is stored (the console needs it for "earlier contacts") and shown masked; an ID
number is kept only as a keyed hash (for look-up) and masked; passwords are never stored."""

from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.dialects import postgresql, sqlite

from core import provinces
from core.db import table_of
from core.masking import mask_id, mask_phone, scrub_records
from ivr.journal import WriteBehindJournal
from ivr.models import CallRecord, SurveyResult

log = logging.getLogger(__name__)

_CALLS = table_of(CallRecord)
_ENDING = ("path", "inputs", "routing", "events", "language", "province", "topic", "outcome", "ended_at")
_TIMES = ("started_at", "ended_at")  # epoch seconds in the journal, datetimes in the database


def _statements(dialect: str) -> tuple[Any, Any]:
    """The two idempotent writes, built once per dialect (a record may be applied twice after a
    crash): a call's opening row unless the call is there, and its whole row at the end, which fills
    the ending into an existing row (an identity learnt during the call is kept; none learnt leaves
    the row's as it is)."""
    insert: Any = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}[dialect]
    opening = insert(_CALLS).on_conflict_do_nothing(index_elements=["call_id"])
    whole: Any = insert(_CALLS)
    ending = {name: whole.excluded[name] for name in _ENDING}
    ending["id_hash"] = func.coalesce(whole.excluded.id_hash, _CALLS.c.id_hash)
    ending["id_masked"] = func.coalesce(whole.excluded.id_masked, _CALLS.c.id_masked)
    return opening, whole.on_conflict_do_update(index_elements=["call_id"], set_=ending)


# String columns and their lengths: a value longer than its column (a SIP URI as the caller) is
# clipped rather than refused, as PostgreSQL would refuse it.
_LENGTHS: dict[str, int] = {c.name: int(getattr(c.type, "length", 0) or 0) for c in _CALLS.columns
                            if getattr(c.type, "length", None)}
_COLUMNS = tuple(c.name for c in _CALLS.columns if c.name != "id")  # what a journal row holds


class _Write:
    """One of the two upserts, compiled once for the engine's dialect and run on the driver with each
    column's own bind processor. SQLAlchemy does not cache a dialect's INSERT ... ON CONFLICT (it
    compiled both for every batch), and its per-row parameter handling was half a batch's cost; the
    SQL, the processors (JSON text, timestamps) and so what is stored are SQLAlchemy's own."""

    def __init__(self, statement: Any, dialect: Any) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=list(_COLUMNS))
        self.sql = str(compiled)
        positions = compiled.positiontup  # None for a driver with named parameters (psycopg)
        self.named = positions is None
        self.names = tuple(_COLUMNS if positions is None else positions)
        self.converters = tuple(_converter(name, _CALLS.c[name].type.dialect_impl(dialect).bind_processor(dialect))
                                for name in self.names)

    def parameters(self, rows: list[dict[str, Any]]) -> list[Any]:
        out: list[Any] = []
        for row in rows:
            values = [value if convert is None else convert(value)
                      for value, convert in zip(map(row.get, self.names), self.converters, strict=True)]
            out.append(dict(zip(self.names, values, strict=True)) if self.named else tuple(values))
        return out

    def run(self, conn: Any, rows: list[dict[str, Any]]) -> None:
        conn.exec_driver_sql(self.sql, self.parameters(rows))


def _converter(name: str, bind: Any) -> Any:
    """A journal value (epoch seconds for the times, strings maybe longer than their column) to what
    the driver takes."""
    if name in _TIMES:
        def moment(v: Any) -> Any:
            if v is None:
                return None
            when = datetime.fromtimestamp(float(v), UTC)
            return bind(when) if bind else when
        return moment
    length = _LENGTHS.get(name)
    if length:
        return lambda v: v[:length] if isinstance(v, str) and len(v) > length else v
    return bind


def _private(event: dict[str, Any]) -> dict[str, Any]:
    """A record read to its owner is not kept in the call log: only that it was read."""
    if event.get("type") == "prompt" and str(event.get("id", "")).startswith("records:"):
        return {**event, "text": "（已朗读个人信息）"}
    return event


class CallLog:
    """The call log. Its two writes per call go through a write-behind journal (`ivr/journal.py`):
    appended to a local file when the call starts and ends (kept if the process dies), written to
    the database in batches a moment later. Every read here writes what is pending first, so a
    process reads its own calls; another process sees a call within the journal's interval."""

    def __init__(self, db: Any, clock: Any, secret: str, journal_dir: Path | None = None,
                 node: str = "node") -> None:
        self.db = db
        self.clock = clock
        self._secret = (secret or "ivr").encode()
        self._writes: tuple[_Write, _Write] | None = None
        self.journal = (WriteBehindJournal(journal_dir, "calllog", node, self._apply)
                        if journal_dir is not None else None)

    def id_hash(self, id_number: str) -> str:
        return hmac.new(self._secret, id_number.upper().encode(), hashlib.sha256).hexdigest()

    def _opening(self, state: dict[str, Any], language: str) -> dict[str, Any]:
        return {"call_id": state["call_id"], "caller": state.get("caller"), "entry": state["entry"],
                "channel": state["channel"], "language": language, "flow_version_id": state.get("flow_id"),
                "flow_version": state.get("flow_version"), "started_at": float(state["t0"]),
                "path": [], "inputs": [], "routing": {}, "events": [], "province": None, "topic": None,
                "outcome": None, "ended_at": None, "id_hash": None, "id_masked": None}

    def started(self, state: dict[str, Any]) -> None:
        self._write("start", self._opening(state, str(state["vars"].get("language", "zh"))))

    def finished(self, state: dict[str, Any]) -> None:
        v = state["vars"]
        row = self._opening(state, "zh")  # the whole row, in case the start never reached the log
        row.update({
            "path": list(state.get("path", [])), "inputs": scrub_records(state.get("inputs", [])),
            "routing": {**(state.get("route") or {}), "queue": state.get("queue")},
            # scrubbed when they were made; checked again here, the last step before the database
            "events": scrub_records(_private(e) for e in state.get("events", [])),
            "language": str(v.get("language") or "zh"), "province": v.get("province"), "topic": v.get("topic"),
            "outcome": str(state.get("outcome") or "ended")[:40], "ended_at": self.clock.time()})
        if v.get("id_number"):
            row["id_hash"] = self.id_hash(str(v["id_number"]))
            row["id_masked"] = mask_id(str(v["id_number"]))
        self._write("end", row)

    def _write(self, kind: str, row: dict[str, Any]) -> None:
        record = {"kind": kind, "row": row}
        if self.journal is not None:
            try:
                self.journal.append(record)
                return
            except OSError:  # the journal's disk is full or gone: straight to the database instead
                log.exception("call log journal unavailable; call %s written directly", row.get("call_id"))
        self._apply([record])

    def _apply(self, records: list[dict[str, Any]]) -> None:
        """Write journal records in one transaction: the openings first, then the endings (a call's
        end is never appended before its start, so this order keeps every call's order)."""
        engine = self.db.engine
        if self._writes is None:
            opening, whole = _statements(engine.dialect.name)
            self._writes = _Write(opening, engine.dialect), _Write(whole, engine.dialect)
        opening_write, whole_write = self._writes
        starts = [r["row"] for r in records if r.get("kind") == "start"]
        ends = [r["row"] for r in records if r.get("kind") == "end"]
        with engine.begin() as conn:
            if starts:
                opening_write.run(conn, starts)
            if ends:
                whole_write.run(conn, ends)

    def flush(self) -> None:
        """Write the pending call-log records now (reads do it first)."""
        if self.journal is not None:
            self.journal.flush()

    def close(self) -> None:
        if self.journal is not None:
            self.journal.close()

    def save_survey(self, state: dict[str, Any], *, question: str, score: int, label: str) -> None:
        v = state["vars"]
        with self.db.session() as s:
            s.add(SurveyResult(call_id=state["call_id"], question=question, score=score, label=label,
                               agent_id=v.get("agent_id"), queue_id=(state.get("queue") or {}).get("queue_id"),
                               province=(state.get("route") or {}).get("province") or v.get("province"),
                               entry=state["entry"], flow_version=state.get("flow_version"),
                               created_at=self.clock.now()))

    def open_calls(self, started_before: datetime, limit: int = 500) -> list[str]:
        """Ids of calls with no end logged that started before the given time."""
        self.flush()
        with self.db.session() as s:
            q = select(CallRecord.call_id).where(CallRecord.ended_at.is_(None),
                                                 CallRecord.started_at < started_before).limit(limit)
            return list(s.execute(q).scalars())

    def mark_lost(self, call_id: str) -> None:
        self.flush()
        with self.db.session() as s:
            row = s.execute(select(CallRecord).where(CallRecord.call_id == call_id)).scalar_one_or_none()
            if row is not None and row.ended_at is None:
                row.outcome, row.ended_at = "lost", self.clock.now()

    # -- read side ----------------------------------------------------------------------------
    @staticmethod
    def view(row: CallRecord, *, with_events: bool = False) -> dict[str, Any]:
        out = {"call_id": row.call_id, "caller": mask_phone(row.caller), "entry": row.entry, "channel": row.channel,
               "language": row.language, "flow_version": row.flow_version, "province": row.province,
               "province_name": provinces.name_of(row.province) if row.province else None, "topic": row.topic,
               "id_masked": row.id_masked, "path": row.path, "inputs": row.inputs, "routing": row.routing,
               "outcome": row.outcome, "started_at": row.started_at.isoformat(),
               "ended_at": row.ended_at.isoformat() if row.ended_at else None}
        if with_events:
            out["events"] = row.events
        return out

    def contacts(self, caller: str | None = None, id_number: str | None = None, limit: int = 10) -> list[dict]:
        if not caller and not id_number:
            return []
        self.flush()
        with self.db.session() as s:
            q = select(CallRecord).order_by(CallRecord.started_at.desc(), CallRecord.id.desc()).limit(limit)
            if caller and id_number:
                q = q.where((CallRecord.caller == caller) | (CallRecord.id_hash == self.id_hash(id_number)))
            elif caller:
                q = q.where(CallRecord.caller == caller)
            else:
                q = q.where(CallRecord.id_hash == self.id_hash(str(id_number)))
            return [self.view(r) for r in s.execute(q).scalars()]

    def get(self, call_id: str, *, with_events: bool = True) -> dict[str, Any] | None:
        self.flush()
        with self.db.session() as s:
            row = s.execute(select(CallRecord).where(CallRecord.call_id == call_id)).scalar_one_or_none()
            return self.view(row, with_events=with_events) if row else None

    def survey_report(self, *, since: datetime | None = None, until: datetime | None = None,
                      group_by: str = "province", include_test: bool = False) -> list[dict[str, Any]]:
        """Count, mean score, satisfied rate (share of 1 非常满意 and 2 满意 on the 1–4 scale, 1 best) and
        the distribution of scores per province / agent_id / queue_id / flow_version. Test and
        simulated calls are left out unless `include_test`."""
        from core.testcalls import TEST_PREFIXES

        column = {"province": SurveyResult.province, "agent": SurveyResult.agent_id, "queue": SurveyResult.queue_id,
                  "flow_version": SurveyResult.flow_version}[group_by]
        with self.db.session() as s:
            q = select(column, func.count(), func.avg(SurveyResult.score),
                       func.sum(case((SurveyResult.score <= 2, 1), else_=0)),
                       *[func.sum(case((SurveyResult.score == k, 1), else_=0)) for k in (1, 2, 3, 4)]
                       ).group_by(column)
            if since:
                q = q.where(SurveyResult.created_at >= since)
            if until:
                q = q.where(SurveyResult.created_at < until)
            if not include_test:
                for prefix in TEST_PREFIXES:
                    q = q.where(SurveyResult.call_id.not_like(prefix + "%"))
            rows = s.execute(q.order_by(column)).all()
        return [{group_by: key, "answers": int(n), "mean_score": round(float(avg), 2),
                 "satisfied_rate": round(int(sat or 0) / int(n), 3),
                 "distribution": {str(k): int(c or 0) for k, c in zip((1, 2, 3, 4), counts, strict=True)}}
                for key, n, avg, sat, *counts in rows]

    def surveys(self, *, limit: int = 100) -> list[dict[str, Any]]:
        with self.db.session() as s:
            rows = s.execute(select(SurveyResult).order_by(SurveyResult.id.desc()).limit(limit)).scalars()
            return [{"call_id": r.call_id, "question": r.question, "score": r.score, "label": r.label,
                     "agent_id": r.agent_id, "queue_id": r.queue_id, "province": r.province,
                     "flow_version": r.flow_version, "created_at": r.created_at.isoformat()} for r in rows]
