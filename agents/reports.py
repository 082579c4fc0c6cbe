"""Live statistics per queue, center and nation, and the 15-minute history in the database."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError

from agents import policy, stats
from agents.api import AgentsHost
from agents.keys import ACTIVE, AGENTS, CALL_PREFIX, FLUSHED, ak, qk
from agents.models import Agent, IntervalStat, WrapUp
from agents.records import AgentRec
from core.clock import local_zone
from core.db import table_of
from core.models import User
from core.testcalls import TEST_PREFIXES, TEST_SCOPE_PREFIX

_STATS = table_of(IntervalStat)
_UPDATE_INTERVAL = (_STATS.update()
                    .where(_STATS.c.interval_start == bindparam("b_start"), _STATS.c.scope == bindparam("b_scope"))
                    .values({m: bindparam(m) for m in stats.METRICS}))


class ReportsMixin:
    platform: AgentsHost
    store: Any
    state: Any
    sl_seconds: int

    if TYPE_CHECKING:  # provided by AcdService
        def _now(self) -> float: ...

    def counters(self, scope: str, bucket: str | int, *, test: bool = False) -> dict[str, int]:
        """A scope's counters in one bucket; `test=True`: those of test and simulated calls."""
        prefix = TEST_SCOPE_PREFIX if test else ""
        raw = self.store.hgetall(stats.stat_key(bucket, prefix + stats.normalise_scope(scope)))
        return {k: int(v) for k, v in raw.items()}

    def stats(self, scope: str = "national") -> dict:
        """Live figures for a queue, a center or the nation: today's counters and the snapshot now."""
        scope = stats.normalise_scope(scope)
        now = self._now()
        figures = policy.service_figures(self.counters(scope, stats.day_bucket(now)), self.sl_seconds)
        queues = sorted(self.store.smembers(ACTIVE))
        if scope.startswith("queue:"):
            queues = [q for q in queues if q == scope[6:]]
        elif scope.startswith("center:"):
            queues = [q for q in queues if q.split("-")[0] == scope[7:]]
        # two reads whatever the size (the timer publishes the national figures every 15 s: 3,000 agents'
        # hashes and a round trip per queue had stalled it for ~0.2 s on Redis): the waiting count with
        # the earliest arrival among each queue's first 20 calls, and each agent's state and center
        (waiting, oldest), agents = self.state.read_many([
            ("waiting_summary", [qk(q) for q in queues], CALL_PREFIX, 20),
            ("member_fields", AGENTS, ak(""), ("id", "state", "center"))])
        longest = max(0.0, now - oldest) if oldest is not None else 0.0
        by_state: dict[str, int] = {}
        center = scope[7:] if scope.startswith("center:") else scope[6:].split("-")[0] if scope != "national" else None
        for agent_id, state, agent_center in agents:
            if agent_id is None and state is None and agent_center is None:
                continue  # in the set, its hash gone
            if center is None or agent_center == center:
                state = state or AgentRec.state
                by_state[state] = by_state.get(state, 0) + 1
        return {"scope": scope, "waiting": waiting, "longest_wait": round(longest, 1),
                "agents_by_state": by_state, **figures}

    def _flush_intervals(self, now: float, flushed: str | None) -> None:
        """Copy every closed interval's counters to the database once (any node may do it).

        `acd:flushed` is the start of the last interval handled. When it is unset (a new deployment,
        or a store that lost it) every closed interval of the last day is looked at, so the first
        closed interval is stored even when no tick ran while it was open. `flushed`: `acd:flushed` as
        the timer pass read it (each interval is claimed with `SET NX`, so an older value only makes
        the pass look at an interval another node has taken)."""
        current = stats.interval_start(now)
        oldest = current - 97 * stats.INTERVAL  # after a long stop, look back one day at most
        last = max(int(flushed), oldest) if flushed else oldest
        for start in range(last + stats.INTERVAL, current, stats.INTERVAL):
            if self.store.set(f"acd:flush:{start}", "1", ttl=86400, nx=True):
                self.flush_interval(start)
                for key in self.store.keys(f"acd:st:{stats.day_bucket(start - 86400)}:*"):
                    self.store.expire(key, 86400)  # yesterday's live counters: kept one more day
        if flushed is None or last < current - stats.INTERVAL:
            self.store.set(FLUSHED, str(current - stats.INTERVAL))

    def flush_interval(self, start: int) -> int:
        """Write a closed interval's counters to the database (over what `persist_open_interval`
        wrote while it was open)."""
        keys = self._interval_keys(start, scan=True)
        n = self._write_interval(start, keys, self.state.hgetall_many(keys))
        for key in [*keys, stats.index_key(start), stats.changed_key(start)]:
            self.store.expire(key, 2 * 86400)
        return n

    def _interval_keys(self, start: int, *, scan: bool = False) -> list[str]:
        """The counter keys of an interval, from its index (and a scan of the keyspace with `scan`, for
        counters an older node wrote without the index)."""
        keys = {stats.stat_key(start, scope) for scope in self.store.smembers(stats.index_key(start))}
        if scan:
            keys.update(self.store.keys(f"acd:st:{start}:*"))
        return sorted(keys)

    def _write_interval(self, start: int, keys: list[str], rows: list[dict[str, str]]) -> int:
        """Upsert the counters (`rows`, read from `keys`) of the interval starting at `start`, one row
        per scope."""
        counts_by_scope: dict[str, dict[str, int]] = {}
        for key, row in zip(keys, rows, strict=True):
            if row:
                counts_by_scope[key.split(":", 3)[3]] = {k: int(v) for k, v in row.items() if k in stats.METRICS}
        if not counts_by_scope:
            return 0
        moment = datetime.fromtimestamp(start, UTC)
        for attempt in range(3):  # another node may insert the same row meanwhile: then it is updated
            try:
                self._upsert_interval(moment, counts_by_scope)
                break
            except IntegrityError:
                if attempt == 2:
                    raise
        return len(counts_by_scope)

    def _upsert_interval(self, moment: datetime, counts_by_scope: dict[str, dict[str, int]]) -> None:
        """One UPDATE over the rows that exist and one INSERT for the new ones, each an executemany
        (the ORM's per-row unit of work cost ~15 ms a second for ~300 scopes on a busy node)."""
        with self.platform.db.engine.begin() as conn:
            existing = set(conn.execute(select(_STATS.c.scope).where(_STATS.c.interval_start == moment)).scalars())
            rows = [{"b_start": moment, "b_scope": scope, **{m: counts.get(m, 0) for m in stats.METRICS}}
                    for scope, counts in counts_by_scope.items()]
            updates = [r for r in rows if r["b_scope"] in existing]
            inserts = [{"interval_start": r["b_start"], "scope": r["b_scope"], **{m: r[m] for m in stats.METRICS}}
                       for r in rows if r["b_scope"] not in existing]
            if updates:
                conn.execute(_UPDATE_INTERVAL, updates)
            if inserts:
                conn.execute(_STATS.insert(), inserts)

    def persist_open_interval(self, now: float, changed: set[str] | None = None) -> bool:
        """Write the open interval's changed counters to the database (the ACD timer calls this every
        second), so a restart or a SIGKILL loses at most the last second of counts; `restore_counters`
        puts them back into a fresh store. True if something was written.

        Only the scopes in `stats.changed_key` are read and written. They leave that set in the same
        transaction after which their counters are read, so a change made meanwhile puts its scope back
        and is written on the next pass, never skipped; one node at a time does it. `changed`: that set
        as the timer pass read it with its other reads (None: read it here)."""
        start = stats.interval_start(now)
        scopes = sorted(self.store.smembers(stats.changed_key(start)) if changed is None else changed)
        writing = f"acd:persisting:{start}"  # one node at a time
        if not scopes or not self.store.set(writing, "1", ttl=10, nx=True):
            return False
        try:
            keys = [stats.stat_key(start, scope) for scope in scopes]
            _, rows = self.state.txn_read([], [["srem", stats.changed_key(start), scope] for scope in scopes],
                                          [("hgetall", key) for key in keys])
            try:
                self._write_interval(start, keys, rows)
            except Exception:  # the database refused: the scopes go back, to be written on a later pass
                self.state.txn([], [["sadd", stats.changed_key(start), scope] for scope in scopes])
                raise
        finally:
            self.store.delete(writing)
        return True

    def restore_counters(self, now: float) -> int:
        """A fresh store (an in-process node restarted): put back today's day counters and the open
        interval's counters from the database rows, once. With Redis the counters survive and this
        does nothing. Returns how many scopes were restored."""
        day = stats.day_bucket(now)
        if self.store.keys(f"acd:st:{day}:*"):
            return 0
        current = stats.interval_start(now)
        midnight = datetime.fromtimestamp(now, UTC).astimezone(local_zone()).replace(
            hour=0, minute=0, second=0, microsecond=0)
        with self.platform.db.session() as s:
            rows = s.execute(select(IntervalStat).where(IntervalStat.interval_start >= midnight)).scalars().all()
            copies = [(r.interval_start, r.scope, {m: int(getattr(r, m) or 0) for m in stats.METRICS}) for r in rows]
        restored: set[str] = set()
        ops: list[list] = []
        for moment, scope, counts in copies:
            start = int(moment.replace(tzinfo=moment.tzinfo or UTC).timestamp())
            buckets: list[str | int] = [day] + ([start] if start == current else [])
            for bucket in buckets:
                ops += [["hincr", stats.stat_key(bucket, scope), m, v] for m, v in counts.items() if v]
            restored.add(scope)
        if ops:
            self.state.txn([], ops)
        return len(restored)

    def history(self, scope: str, since: datetime, until: datetime) -> list[dict]:
        """Stored 15-minute intervals of one scope, with the derived figures."""
        scope = stats.normalise_scope(scope)
        with self.platform.db.session() as s:
            rows = s.execute(select(IntervalStat).where(
                IntervalStat.scope == scope, IntervalStat.interval_start >= since,
                IntervalStat.interval_start < until).order_by(IntervalStat.interval_start)).scalars().all()
        return [{"interval_start": r.interval_start.isoformat(),
                 **policy.service_figures({m: getattr(r, m) for m in stats.METRICS}, self.sl_seconds)}
                for r in rows]

    def current_interval(self, scope: str) -> dict:
        """The open 15-minute interval (live counters, not yet in the database) with its figures."""
        start = stats.interval_start(self.platform.clock.time())
        return {"interval_start": datetime.fromtimestamp(start, UTC).isoformat(),
                **policy.service_figures(self.counters(scope, start), self.sl_seconds)}

    def intervals(self, scope: str, since: datetime, until: datetime) -> list[dict]:
        """`history()` plus the open interval when it falls in [since, until) and has calls."""
        rows = self.history(scope, since, until)
        now = self.platform.clock.time()
        start = stats.interval_start(now)
        if since.timestamp() <= start < until.timestamp():
            live = self.current_interval(scope)
            if live["offered"] or live["answered"] or live["abandoned"] or live["handled"]:
                rows = [r for r in rows if r["interval_start"] != live["interval_start"]] + [live]
        return rows

    def handled_by_agent(self, since: datetime, until: datetime, center_code: str | None = None, *,
                         include_test: bool = False) -> list[dict]:
        """Per agent: calls wrapped up in [since, until), average handle time, dispositions. Test and
        simulated calls (`core.testcalls`) are left out unless `include_test`."""
        q = (select(WrapUp.agent_id, Agent.name, Agent.center_code, User.username, WrapUp.disposition, func.count(),
                    func.sum(WrapUp.handle_seconds))
             .join(Agent, Agent.id == WrapUp.agent_id)
             .join(User, User.id == Agent.user_id)
             .where(WrapUp.created_at >= since, WrapUp.created_at < until)
             .group_by(WrapUp.agent_id, Agent.name, Agent.center_code, User.username, WrapUp.disposition))
        if not include_test:
            for prefix in TEST_PREFIXES:
                q = q.where(WrapUp.call_id.not_like(prefix + "%"))
        if center_code and center_code != "00":
            q = q.where(Agent.center_code == center_code)
        out: dict[int, dict] = {}
        with self.platform.db.session() as s:
            for agent_id, name, center, login, disposition, n, seconds in s.execute(q).all():
                row = out.setdefault(agent_id, {"agent_id": agent_id, "name": name, "login": login,
                                                "center_code": center,
                                                "handled": 0, "handle_seconds": 0, "dispositions": {}})
                row["handled"] += int(n)
                row["handle_seconds"] += int(seconds or 0)
                row["dispositions"][disposition] = int(n)
        for row in out.values():
            row["aht"] = round(row.pop("handle_seconds") / row["handled"], 1) if row["handled"] else None
        return [out[k] for k in sorted(out)]
