"""Matching agents and calls: candidates from the ready pools, the pure choice in `agents.policy`,
and the atomic claim (agent ready and call waiting → both offered) as one state transaction."""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from agents import endpoints, policy, transitions
from agents.api import AcdDirectory, AgentsHost
from agents.keys import (
    ACTIVE,
    AGENTS,
    CALL_PREFIX,
    DUE,
    LANGS,
    RPOOLS,
    WAITING_STATES,
    ak,
    ck,
    due_now,
    pools_in,
    qk,
    qlk,
    rlk,
)
from agents.queues import Queues
from agents.records import AgentRec, CallRec
from agents.state import Heads

HEAD_BATCH = 20  # eligible waiting calls read (with their hashes) per attempt of a ready agent
_ANY_ARRIVAL = 1e18  # the ceiling that takes an index's heads whatever their score (the timer's pass)


class MatchingMixin:
    platform: AgentsHost
    bus: Any
    store: Any
    state: Any
    offer_timeout: float
    scan_depth: int
    recheck: float
    pool_depth: int
    queue_defs: Queues

    if TYPE_CHECKING:  # provided by AcdService
        @property
        def directory(self) -> AcdDirectory: ...
        def _now(self) -> float: ...
        def _agent(self, agent_id: int) -> dict[str, str]: ...
        def _pools(self, agent: dict[str, str]) -> list[str]: ...

    def _heads(self, queues: list[str], languages: list[str] | None = None) -> list[tuple[float, str, str]]:
        """(score, call, queue) of the first `scan_depth` calls of each queue's per-language indexes
        (`languages`: an agent's; None: every language indexed), best first. Reading per language
        finds a call that only some agents can take wherever it stands in its queue, for the cost of
        the plain queue heads when the agent speaks one language."""
        langs = sorted(self.store.smembers(LANGS)) if languages is None else sorted(set(languages))
        keyed = [(q, qlk(q, lang)) for q in queues for lang in langs]
        rows_per_key = self.state.zrange_many([k for _, k in keyed], self.scan_depth) if keyed else []
        return sorted((score, member, queue) for (queue, _), rows in zip(keyed, rows_per_key, strict=True)
                      for member, score in rows)

    def reindex_languages(self) -> int:
        """Put waiting calls queued before the per-language indexes existed into them (once, on the
        first timer pass of a node: a rolling upgrade loses no waiting call). Returns how many."""
        added = 0
        for queue_id in self.store.smembers(ACTIVE):
            members = self.store.zrange(qk(queue_id), 0, -1)
            for c, (call_id, score) in zip(self.state.hgetall_many([ck(m) for m, _ in members]), members,
                                           strict=True):
                lang = (c or {}).get("language") or "zh"
                if c and self.store.zscore(qlk(queue_id, lang), call_id) is None:
                    self.state.txn([(ck(call_id), "queue_id", (queue_id,)), (ck(call_id), "state", WAITING_STATES)],
                                   [["zadd", qlk(queue_id, lang), score, call_id], ["sadd", LANGS, lang]])
                    added += 1
        return added

    def reindex_ready_agents(self) -> int:
        """Put ready agents who became ready before the per-language pools existed into them (once, on
        a node's first timer pass, like `reindex_languages`). Returns how many agents were added."""
        ids = sorted(self.store.smembers(AGENTS))
        added = 0
        for agent_id, a in zip(ids, self.state.hgetall_many([ak(i) for i in ids]), strict=True):
            if a.get("state") != "ready":
                continue
            missing = [p for p in self._pools(a) if self.store.zscore(p, agent_id) is None]
            if missing and self.state.txn([(ak(agent_id), "state", ("ready",))],
                                          pools_in(missing, agent_id, a.get("idle_since") or self._now())):
                added += 1
        return added

    def _centers(self) -> list[str]:
        return [c.code for c in self.directory.centers() if not c.remote]

    def _candidates(self, pools: list[tuple[str, str]], language: str,
                    channel: str | None = None) -> list[policy.Candidate]:
        """The longest-idle ready agents who speak `language` in these (center, topic) pools."""
        keys = [rlk(c, t, language) for c, t in pools]
        seen: dict[str, float] = {}
        for rows in self.state.zrange_many(keys, self.pool_depth):
            for member, idle in rows:
                seen.setdefault(member, idle)
        ordered = sorted(seen.items(), key=lambda kv: (kv[1], kv[0]))[: self.pool_depth * 2]
        recs = [AgentRec.from_hash(h) if h else None for h in self.state.hgetall_many([ak(a) for a, _ in ordered])]
        return [policy.Candidate(int(a), idle, r.languages, r.level, r.state)
                for (a, idle), r in zip(ordered, recs, strict=True)
                if r and endpoints.fits(channel, endpoints.for_channel(channel, r.endpoint, r.endpoints))]

    def _try_match(self, c: dict[str, str], now: float, centers: list[str], ready_pools: set[str]) -> bool:
        pools = _reachable(c, now, centers, ready_pools)
        if not pools:
            return False
        language = c.get("language") or "zh"
        channel = json.loads(c.get("context") or "{}").get("channel")  # only agents this channel can reach
        for _ in range(3):  # a candidate taken by another node meanwhile: look again
            chosen = policy.pick_agent(self._candidates(pools, language, channel), language)
            if chosen is None:
                return False
            if self._claim(chosen.agent_id, c, now)[0]:
                return True
        return False

    def _claim(self, agent_id: int, c: dict[str, str], now: float,
               agent: dict[str, str] | None = None) -> tuple[bool, dict[str, str]]:
        """Offer the call to the agent atomically; whether it happened, and the agent's hash right after
        (read in the same round trip: the caller's next look at the agent costs nothing)."""
        agent = agent or self._agent(agent_id)
        txn = transitions.offer(CallRec.from_hash(c), AgentRec.from_hash(agent), agent_id, now, self.offer_timeout)
        # both kept, so the claim reads them back with itself: the agent's answer then finds them here
        self.state.keep(ck(c["call_id"]), c)
        self.state.keep(ak(agent_id), agent)
        ok, (after,) = self.state.txn_read(txn.checks, txn.ops, [("hgetall", ak(agent_id))])
        if ok:
            for event in txn.events:
                self.bus.emit(event)
        return ok, after

    def _dispatch_queue(self, queue_id: str, centers: list[str] | None = None) -> int:
        centers = centers or self._centers()
        matched = 0
        while True:
            ready_pools = self.store.smembers(RPOOLS)
            if not ready_pools:
                return matched
            now = self._now()
            heads = self._heads([queue_id])
            if not heads:
                return matched
            calls = self.state.hgetall_many([ck(m) for _, m, _ in heads])
            progress = False
            for c in calls:
                if c and c.get("state") in WAITING_STATES and self._try_match(c, now, centers, ready_pools):
                    matched += 1
                    progress = True
                    break
            if not progress:
                return matched

    def _dispatch_due(self, now: float, due: list[tuple[str, float]], ready_pools: set[str],
                      langs: set[str]) -> bool:
        """The timer's matching pass, incremental: only the queues that are due (a call entered them,
        or a head call's tiers widen now; `acd:due`) are looked at, not every queue. Their head calls
        (the first `scan_depth` of each language index, with their hashes: one read) whose tiers reach
        a pool with a ready agent speaking their language are tried; then each queue is due again when
        its next head call's tiers widen (at most `recheck` seconds later, a safety net), or leaves
        `acd:due` when it is empty. `ready_pools` and `langs`: the ready pools and caller languages as the
        timer pass read them. True if a call was matched."""
        due = [(q, at) for q, at in due if at <= now]
        if not due:
            return False
        centers = self._centers()
        keyed = [(q, qlk(q, lang)) for q, _ in due for lang in sorted(langs)]
        heads = self.state.waiting_heads([(k, _ANY_ARRIVAL) for _, k in keyed], self.scan_depth,
                                         len(keyed) * self.scan_depth, CALL_PREFIX, WAITING_STATES)
        left = []
        matched = False
        for head in heads.rows:
            c = head.fields
            if ready_pools and _reachable(c, now, centers, ready_pools) and self._try_match(c, now, centers,
                                                                                             ready_pools):
                matched = True
                ready_pools = self.store.smembers(RPOOLS)
            else:
                left.append(c)
        # a queue whose heads were all in another state (a transaction of another node between the index
        # and the hash) is looked at again at once, like one whose heads were all matched
        seen = {q for q, _ in due} if heads.stale else {keyed[h.index][0] for h in heads.rows}
        self.state.txn([], [_reschedule(q, at, now, self.recheck, left, q in seen) for q, at in due])
        return matched

    def heads_prefetch(self, agent: dict[str, str]) -> HeadsPrefetch | None:
        """The read of the best waiting calls for an agent about to become ready, to go with the
        transaction that makes them ready (one round trip instead of two, where reads are round trips):
        over every queue the agent may ever take a call from, so whichever of them hold calls after
        the transaction are covered (an empty index costs Redis next to nothing). None in-process."""
        if not self.state.remote or not agent or "skills" not in agent:
            return None
        reach = _profile_indexes(agent["center"], frozenset(json.loads(agent["skills"])),
                                 tuple(sorted(set(json.loads(agent["languages"])))), self.queue_defs.snapshot().ids)
        if not reach.keyed:
            return None
        now = self._now()
        return HeadsPrefetch(now, reach.queues, reach.keyed, self._heads_query(reach.keyed, reach.waits, now))

    def _heads_read(self, agent: dict[str, str], wait: dict[str, int], now: float) -> tuple[list[tuple[str, str]], Any]:
        """The agent's per-language index of each queue in `wait` (queue → seconds a call must wait),
        and their `_heads_query`."""
        languages = sorted(set(json.loads(agent["languages"])))
        keyed = [(q, qlk(q, lang)) for q in sorted(wait) for lang in languages]
        return keyed, self._heads_query(keyed, [wait[q] for q, _ in keyed], now)

    def _heads_query(self, keyed: Sequence[tuple[str, str]], waits: Sequence[int], now: float) -> Any:
        """The `waiting_heads` read of the best `HEAD_BATCH` calls of these indexes an agent may take
        now: a call must have waited the index's queue's wait (same order as `keyed`)."""
        return ("waiting_heads", [(k, now - w) for (_, k), w in zip(keyed, waits, strict=True)], self.scan_depth,
                HEAD_BATCH, CALL_PREFIX, WAITING_STATES)

    def _dispatch_for_agent(self, agent_id: int, agent: dict[str, str] | None = None,
                            active: set[str] | None = None,
                            prefetched: tuple[HeadsPrefetch, Any] | None = None) -> dict[str, str] | None:
        """A ready agent takes the best waiting call (priority, then arrival) among the queues whose
        overflow tiers reach them now. Queues are pruned by their head's score before any call is read:
        a call's score never exceeds its arrival time. `agent` (the hash as just read by the caller)
        saves a read; only its static fields are used, the claim itself checks the state. `active`: the
        queues with waiting calls, when read with the caller's transaction. `prefetched`: the
        `heads_prefetch` read with that transaction and its answer, used for the first attempt when it
        covers exactly the queues the agent reaches now. Returns the agent's hash right after the claim
        when they got a call, else None."""
        agent = agent or self._agent(agent_id)
        if not agent or agent.get("state") == "logged_out":
            return None
        skills = frozenset(json.loads(agent["skills"]))
        now = self._now()
        reach = _reach(agent["center"], skills, self.store.smembers(ACTIVE) if active is None else active)
        if not reach:
            return None
        first = _usable(prefetched, reach)
        if first is not None:
            now = first[0]  # the ceilings the heads were read with
        for _ in range(3):  # the calls it might take went to other agents meanwhile: read the heads again
            outcome, queues, after = self._take_best(agent_id, agent, reach, now, first and first[1:])
            first = None
            if outcome != "lost":
                return after if outcome == "claimed" else None
        self.state.txn([], [due_now(q, now) for q in queues])  # and let the timer look at them again
        return None

    def _take_best(self, agent_id: int, agent: dict[str, str], reach: dict[str, int], now: float,
                   read: tuple[Sequence[tuple[str, str]], Heads] | None = None,
                   ) -> tuple[str, list[str], dict[str, str] | None]:
        """One attempt of `_dispatch_for_agent`: "claimed", "not_ready" (the agent's state changed),
        "none" (no call for them) or "lost" (every call found was taken by others), the queues read,
        and the agent's hash as the last claim left it. `read`: the heads already read (and the
        indexes they were read from)."""
        skills = frozenset(json.loads(agent["skills"]))
        keyed: Sequence[tuple[str, str]]
        if read is None:
            keyed, heads_read = self._heads_read(agent, reach, now)
            heads = self.state.read_many([heads_read])[0]
        else:
            keyed, heads = read
        centers = self._centers()
        lost = heads.stale
        for head in heads.rows:
            c = head.fields
            pools = policy.pools_for_wait(c["center"], c["topic"], now - float(c["queued_at"]), centers)
            if any(center == agent["center"] and topic in skills for center, topic in pools):
                claimed, after = self._claim(agent_id, c, now, agent)
                if claimed:
                    return "claimed", [], after
                if after.get("state") != "ready":
                    return "not_ready", [], after
                lost = True
        return ("lost" if lost else "none"), sorted({keyed[h.index][0] for h in heads.rows}), None


@dataclass(frozen=True)
class HeadsPrefetch:
    """`MatchingMixin.heads_prefetch`: when it was made, the queues it covers, the index of each of
    its limits, and the read itself."""

    now: float
    queues: frozenset[str]
    keyed: tuple[tuple[str, str], ...]
    read: Any


@dataclass(frozen=True)
class _ProfileIndexes:
    """The per-language indexes of every queue an agent profile may ever take calls from (`keyed`:
    queue and index key), the wait before it may (`waits`, same order), and those queues."""

    keyed: tuple[tuple[str, str], ...]
    waits: tuple[int, ...]
    queues: frozenset[str]


@functools.lru_cache(maxsize=4096)
def _profile_indexes(agent_center: str, skills: frozenset[str], languages: tuple[str, ...],
                     queues: frozenset[str]) -> _ProfileIndexes:
    """`_ProfileIndexes` of a profile among `queues` (the directory's queue ids), worked out once per
    profile and directory: the read that goes with a wrap-up names them all."""
    waits = {q: w for q in sorted(queues) if (w := _min_wait(agent_center, skills, q)) is not None}
    keyed = tuple((q, qlk(q, lang)) for q in waits for lang in languages)
    return _ProfileIndexes(keyed, tuple(waits[q] for q, _ in keyed), frozenset(waits))


def _usable(prefetched: tuple[HeadsPrefetch, Heads] | None,
            reach: dict[str, int]) -> tuple[float, Sequence[tuple[str, str]], Heads] | None:
    """The prefetched heads (with when they were read and their indexes), if they answer for exactly
    `reach`: they covered every queue the agent reaches now (a queue missing from the node's queue
    list when they were read is not) and found no call in a queue the agent does not reach (an
    inactive queue holds none)."""
    if prefetched is None:
        return None
    pre, heads = prefetched
    if not reach.keys() <= pre.queues:
        return None
    if any(pre.keyed[h.index][0] not in reach for h in heads.rows):
        return None
    return pre.now, pre.keyed, heads


class _Reach:
    """What one agent profile (center, skills) can ever take: the queues seen so far, and of those the
    ones it may take with the wait before it may (`policy.min_wait_for`). Both are replaced together,
    never changed in place, so readers need no lock."""

    __slots__ = ("known", "lock")

    def __init__(self) -> None:
        self.known: tuple[frozenset[str], dict[str, int]] = (frozenset(), {})
        self.lock = threading.Lock()


@functools.lru_cache(maxsize=4096)
def _profile(agent_center: str, skills: frozenset[str]) -> _Reach:
    return _Reach()


def _reach(agent_center: str, skills: frozenset[str], active: Iterable[str]) -> dict[str, int]:
    """The queues among `active` this agent may take calls from, with the wait before they may. The
    same few agent profiles meet the same queues on every decision, and an agent reaches few of the
    national directory's ~200 queues: only queues new to the profile are worked out, then the profile's
    few are looked up in `active` (it was the longest single step of an agent's match)."""
    prof = _profile(agent_center, skills)
    active = active if isinstance(active, (set, frozenset)) else set(active)
    seen, wait = prof.known
    if not active <= seen:
        with prof.lock:
            seen, wait = prof.known
            wait = dict(wait)
            for q in active - seen:
                w = _min_wait(agent_center, skills, q)
                if w is not None:
                    wait[q] = w
            prof.known = seen, wait = seen | active, wait
    return {q: w for q, w in wait.items() if q in active}


@functools.lru_cache(maxsize=1 << 16)
def _min_wait(agent_center: str, skills: frozenset[str], queue_id: str) -> int | None:
    """`policy.min_wait_for` of a queue id, remembered: the same few agent profiles meet the same
    queues on every decision."""
    queue_center, _, queue_topic = queue_id.partition("-")
    return policy.min_wait_for(agent_center, skills, queue_center, queue_topic)


def _reachable(c: dict[str, str], now: float, centers: list[str], ready_pools: set[str]) -> list[tuple[str, str]]:
    """The (center, topic) pools the call's tiers reach now that have a ready agent speaking its language."""
    language = c.get("language") or "zh"
    return [(ctr, t) for ctr, t in policy.pools_for_wait(c["center"], c["topic"], now - float(c["queued_at"]), centers)
            if rlk(ctr, t, language) in ready_pools]


def _reschedule(queue_id: str, was: float, now: float, recheck: float, left: list[dict[str, str]],
                had_calls: bool) -> list:
    """The operation making a looked-at queue due again: when the first of its unmatched head calls
    reaches its next tier (at most `recheck` seconds from now); at once when every head was matched
    (calls behind them are looked at on the next pass); an empty queue leaves `acd:due`. Only if no
    call entered the queue meanwhile (its due time is still `was`)."""
    if not had_calls:
        return ["zreplace", DUE, was, "", queue_id]
    mine = [c for c in left if c["queue_id"] == queue_id]
    if not mine:
        return ["zreplace", DUE, was, now, queue_id]
    times = [now + w for c in mine if (w := policy.next_widen(now - float(c["queued_at"]))) is not None]
    return ["zreplace", DUE, was, min([*times, now + recheck]), queue_id]
