"""`platform.qa`: forms, the review queue, scoring with comments, the agent's acknowledgement or
single dispute, and reports (CSV). Province scoping follows recordings.access: national QA and
supervisors see all, provincial ones their province, an agent only their own reviews."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from qa import sampling, scoring
from qa.api import QaHost
from qa.events import ReviewCompleted
from qa.models import QaComment, QaForm, QaReview
from recordings.access import reviewer_scope

REPORT_GROUPS = ("agent", "team", "province", "criterion")


class QaError(Exception):
    """A refused action (wrong state, not yours); the message is shown to the user."""


@dataclass(frozen=True)
class QaConfig:
    sample_rate: float = 0.02
    sample_minimum: int = 2
    long_handle_s: float = 900.0


def _form_dict(f: QaForm) -> dict[str, Any]:
    return {"id": f.id, "name": f.name, "province": f.province, "criteria": list(f.criteria), "active": f.active}


def _review_dict(r: QaReview, comments: list[QaComment] | None = None) -> dict[str, Any]:
    out = {c.name: getattr(r, c.name) for c in QaReview.__table__.columns}
    for key in ("created_at", "completed_at", "ack_at"):
        out[key] = out[key].isoformat(timespec="seconds") if out[key] else None
    if comments is not None:
        out["comments"] = [{"id": c.id, "offset_s": c.offset_s, "text": c.text, "author": c.author,
                            "created_at": c.created_at.isoformat(timespec="seconds")} for c in comments]
    return out


class QaService:
    def __init__(self, platform: QaHost, config: QaConfig | None = None) -> None:
        self.platform, self.config = platform, config or QaConfig()
        self.db, self.clock, self.audit = platform.db, platform.clock, platform.audit

    # ------------------------------------------------------------------ forms
    def create_form(self, name: str, criteria: list[dict], *, province: str = "00", actor: str) -> dict[str, Any]:
        name = (name or "").strip()
        if not name:
            raise ValueError("a form needs a name")
        clean = scoring.validate(criteria)
        with self.db.session() as s:
            form = QaForm(name=name[:100], province=province, criteria=clean, active=True, created_by=actor,
                          created_at=self.clock.now())
            s.add(form)
            s.flush()
            return _form_dict(form)

    def forms(self, province: str | None = None, *, active_only: bool = False) -> list[dict[str, Any]]:
        with self.db.session() as s:
            q = select(QaForm).order_by(QaForm.id)
            if province and province != "00":
                q = q.where(QaForm.province.in_(("00", province)))
            if active_only:
                q = q.where(QaForm.active.is_(True))
            return [_form_dict(f) for f in s.execute(q).scalars()]

    def form_for(self, province: str) -> dict[str, Any] | None:
        """The province's newest active form, else the newest national one."""
        forms = self.forms(province, active_only=True)
        own = [f for f in forms if f["province"] == province]
        pool = own or [f for f in forms if f["province"] == "00"]
        return pool[-1] if pool else None

    def ensure_default_form(self) -> dict[str, Any]:
        existing = self.forms("00", active_only=True)
        if existing:
            return existing[0]
        return self.create_form("12333 通话质检标准表", scoring.DEFAULT_CRITERIA, actor="system")

    # ------------------------------------------------------------------ queue
    def sample(self, week: str | None = None, *, province: str | None = None, rate: float | None = None,
               minimum: int | None = None, actor: str = "system") -> sampling.SamplePlan:
        """Queue this week's sample and flagged calls (idempotent: reviewed calls are not queued twice)."""
        week = week or sampling.week_of(self.clock.now())
        start, end = sampling.week_bounds(week)
        recs = self.platform.recordings.list(province=province, since=start, until=end, status="stored", limit=100000)
        with self.db.session() as s:
            already = set(s.execute(select(QaReview.recording_id)).scalars())
        holds = {r.id for r in recs if r.held and any(h["reason"] == "complaint" and not h["released_at"]
                                                      for h in self.platform.recordings.holds(r.id))}
        plan = sampling.plan(recs, week=week, rate=self.config.sample_rate if rate is None else rate,
                             minimum=self.config.sample_minimum if minimum is None else minimum,
                             long_handle_s=self.config.long_handle_s, db=self.db, complaint_holds=holds,
                             already=already)
        by_id = {r.id: r for r in recs}
        now = self.clock.now()
        with self.db.session() as s:
            for rec_id, source in sorted(plan.picks.items()):
                rec = by_id[rec_id]
                form = self.form_for(rec.province) or self.ensure_default_form()
                s.add(QaReview(recording_id=rec.id, call_id=rec.call_id, agent_id=rec.agent_id, province=rec.province,
                               queue_id=rec.queue_id, form_id=form["id"], source=source,
                               week=sampling.week_of(rec.started_at), status="queued", scores={}, created_at=now,
                               critical_failed=False, dispute_reason="", resolution=""))
        self.audit.record(actor=actor, channel="system", action="qa.sample", outcome="ok",
                          detail={"week": week, "province": province or "00", **plan.summary()})
        return plan

    def queue(self, user: Any, *, status: str = "queued") -> list[dict[str, Any]]:
        scope = reviewer_scope(user)
        if scope is None:
            return []
        with self.db.session() as s:
            q = select(QaReview).where(QaReview.status == status).order_by(QaReview.id)
            if scope != "00":
                q = q.where(QaReview.province == scope)
            return [_review_dict(r) for r in s.execute(q).scalars()]

    def review(self, review_id: int) -> dict[str, Any] | None:
        with self.db.session() as s:
            r = s.get(QaReview, review_id)
            if r is None:
                return None
            comments = list(s.execute(select(QaComment).where(QaComment.review_id == review_id)
                                      .order_by(QaComment.offset_s, QaComment.id)).scalars())
            out = _review_dict(r, comments)
            out["form"] = _form_dict(s.get_one(QaForm, r.form_id))
            return out

    def may_review(self, user: Any, review: dict[str, Any]) -> bool:
        scope = reviewer_scope(user)
        return scope is not None and (scope == "00" or scope == review["province"])

    def is_own(self, user: Any, review: dict[str, Any]) -> bool:
        own = self.platform.recordings.own_agent_id(user)
        return own is not None and review.get("agent_id") == own

    def mine(self, user: Any) -> list[dict[str, Any]]:
        """The agent's completed reviews."""
        own = self.platform.recordings.own_agent_id(user)
        if own is None:
            return []
        with self.db.session() as s:
            rows = s.execute(select(QaReview).where(QaReview.agent_id == own, QaReview.status == "done")
                             .order_by(QaReview.completed_at.desc())).scalars()
            return [_review_dict(r) for r in rows]

    # ------------------------------------------------------------------ scoring
    def comment(self, review_id: int, user: Any, offset_s: float, body: str) -> None:
        body = (body or "").strip()
        if not body:
            raise ValueError("the comment is empty")
        if offset_s < 0:
            raise ValueError("the time must be 0 or more seconds")
        with self.db.session() as s:
            if s.get(QaReview, review_id) is None:
                raise KeyError(review_id)
            s.add(QaComment(review_id=review_id, offset_s=round(float(offset_s), 1), text=body[:2000],
                            author=f"user:{user.id}", created_at=self.clock.now()))

    def submit(self, review_id: int, user: Any, marks: dict[str, str]) -> dict[str, Any]:
        with self.db.session() as s:
            r = s.get(QaReview, review_id)
            if r is None:
                raise KeyError(review_id)
            if r.status == "done":
                raise QaError("this review is already submitted")
            form = s.get_one(QaForm, r.form_id)
            result = scoring.score(list(form.criteria), marks)
            r.scores = {c["key"]: marks[c["key"]] for c in form.criteria}
            r.total, r.critical_failed = result.total, result.critical_failed
            r.status, r.reviewer, r.completed_at = "done", f"user:{user.id}", self.clock.now()
            r.ack_status = "pending"
            self.audit.record(actor=f"user:{user.id}", channel="console", action="qa.review",
                              subject=f"recording:{r.recording_id}", session_id=r.call_id, outcome="ok",
                              detail={"review_id": r.id, "total": r.total, "critical": r.critical_failed}, session=s)
            out = _review_dict(r)
        self.platform.bus.emit(ReviewCompleted(review_id=review_id, agent_id=out["agent_id"], province=out["province"],
                                               total=out["total"]))
        return out

    def acknowledge(self, review_id: int, user: Any) -> dict[str, Any]:
        return self._respond(review_id, user, "acknowledged", "")

    def dispute(self, review_id: int, user: Any, reason: str) -> dict[str, Any]:
        reason = (reason or "").strip()
        if not reason:
            raise ValueError("say why you dispute the review")
        return self._respond(review_id, user, "disputed", reason)

    def _respond(self, review_id: int, user: Any, status: str, reason: str) -> dict[str, Any]:
        review = self.review(review_id)
        if review is None or not self.is_own(user, review):
            raise QaError("this review is not about your call")
        with self.db.session() as s:
            r = s.get_one(QaReview, review_id)  # checked above, in the same service call
            if r.status != "done" or r.ack_status != "pending":
                raise QaError("this review was already acknowledged or disputed (one response only)")
            r.ack_status, r.ack_at, r.dispute_reason = status, self.clock.now(), reason[:2000]
            self.audit.record(actor=f"agent:{user.id}", channel="console", action=f"qa.{status}",
                              subject=f"recording:{r.recording_id}", outcome="ok", detail={"review_id": r.id},
                              session=s)
            return _review_dict(r)

    def resolve(self, review_id: int, user: Any, note: str, *, total: float | None = None) -> dict[str, Any]:
        """A reviewer answers a dispute (optionally correcting the total)."""
        review = self.review(review_id)
        if review is None or not self.may_review(user, review):
            raise QaError("this review is outside your scope")
        with self.db.session() as s:
            r = s.get_one(QaReview, review_id)  # checked above, in the same service call
            if r.ack_status != "disputed":
                raise QaError("only a disputed review can be resolved")
            r.ack_status, r.resolution, r.resolved_by = "resolved", (note or "").strip()[:2000], f"user:{user.id}"
            if total is not None:
                r.total = max(0.0, min(100.0, float(total)))
            self.audit.record(actor=f"user:{user.id}", channel="console", action="qa.resolve",
                              subject=f"recording:{r.recording_id}", outcome="ok",
                              detail={"review_id": r.id, "total": r.total}, session=s)
            return _review_dict(r)

    # ------------------------------------------------------------------ reports
    def report(self, group: str, *, province: str | None = None, since: datetime | None = None,
               until: datetime | None = None) -> list[dict[str, Any]]:
        """Completed reviews per week and `group` (agent, team = queue, province, criterion)."""
        if group not in REPORT_GROUPS:
            raise ValueError(f"group must be one of {', '.join(REPORT_GROUPS)}")
        with self.db.session() as s:
            q = select(QaReview).where(QaReview.status == "done")
            if province and province != "00":
                q = q.where(QaReview.province == province)
            if since:
                q = q.where(QaReview.completed_at >= since)
            if until:
                q = q.where(QaReview.completed_at < until)
            reviews = list(s.execute(q).scalars())
            forms = {f.id: f for f in s.execute(select(QaForm)).scalars()}
        rows: dict[tuple[str, str], dict[str, Any]] = {}
        for r in reviews:
            if group == "criterion":
                for c in forms[r.form_id].criteria:
                    row = rows.setdefault((r.week, c["key"]), {"week": r.week, "key": c["key"], "label": c["label"],
                                                               "reviews": 0, "points": 0.0, "fails": 0})
                    row["reviews"] += 1
                    row["points"] += scoring.MARKS.get(r.scores.get(c["key"], "fail"), 0.0)
                    row["fails"] += r.scores.get(c["key"]) == "fail"
                continue
            key = {"agent": str(r.agent_id or ""), "team": r.queue_id or "", "province": r.province}[group]
            row = rows.setdefault((r.week, key), {"week": r.week, "key": key, "reviews": 0, "sum": 0.0,
                                                  "critical": 0, "disputed": 0})
            row["reviews"] += 1
            row["sum"] += r.total or 0.0
            row["critical"] += bool(r.critical_failed)
            row["disputed"] += r.ack_status in ("disputed", "resolved")
        out = []
        for (_, _), row in sorted(rows.items()):
            if group == "criterion":
                out.append({"week": row["week"], "key": row["key"], "label": row["label"], "reviews": row["reviews"],
                            "score_pct": round(100.0 * row["points"] / row["reviews"], 1), "fails": row["fails"]})
            else:
                out.append({"week": row["week"], "key": row["key"], "reviews": row["reviews"],
                            "average": round(row["sum"] / row["reviews"], 1), "critical_failures": row["critical"],
                            "disputes": row["disputed"]})
        return out

    @staticmethod
    def to_csv(rows: list[dict[str, Any]]) -> str:
        if not rows:
            return ""
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=list(rows[0].keys()))
        writer.writeheader()
        writer.writerows(rows)
        return buf.getvalue()
