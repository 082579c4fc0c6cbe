"""The ACD's real-time state behind one interface, two implementations.

Reads go through the platform's `StateStore`; every change is a *transaction*: a list of checks
(hash field must hold one of the allowed values) and a list of operations applied only if every check
holds. `RedisAcdState` runs a transaction as one Lua script (atomic across nodes); `MemoryAcdState`
applies it under a lock. Agent↔call matching is such a transaction, so two nodes can never give an
agent two calls or a call two agents.

On Redis, call and agent hashes (``acd:c:*``, ``acd:a:*``) carry a version (`VERSION`, field ``v``)
that the applier raises with every change, and a node keeps the hashes it last read or changed
(`RedisAcdState.records`) and a transition computed from a kept hash is sent with that hash's version
as its `basis`: one round trip instead of a read and a transaction. If another node changed the hash
meanwhile, nothing is applied and `StaleRecord` is raised; the caller reads the hash again and decides
anew (issue 18).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, cast

from redis.exceptions import NoScriptError

from agents.policy import rolling_aht
from agents.records import VERSION  # a call or agent hash's version, raised by every change to the hash
from core import cluster, fastjson
from core.state import MemoryStore, RedisStore, StateStore, as_text

Check = tuple[str, str, Sequence[str]]  # key, field, allowed values ("" = missing)
Op = list[Any]  # ["hset", key, {f: v}] | ["hdel", key, [f]] | ["del", key] | ["zadd", key, score, member]
#                | ["zrem", key, member] | ["sadd", key, member] | ["srem", key, member]
#                | ["hincr", key, field, amount] | ["srem_if_zempty", set_key, member, zset_key]
#                | ["expire", key, seconds] | ["zreplace", key, old_score, new_score or "", member]
#                  (zreplace: only while the member still has old_score; "" removes it)
#                | ["ewma", key, sample, alpha] (string key: a rolling mean, policy.rolling_aht)
#                | ["zdue", key, score, member] (score: the lower of `score` and 1 ms before the current one,
#                  so it always changes: a reader's zreplace with the score it read then fails)
Read = tuple[Any, ...]  # ("hgetall", key) | ("zrange", key, start, end) | ("zrank", key, member)
#                       | ("zcard", key) | ("get", key) | ("smembers", key) | ("hget", key, field)
#                       | ("member_fields", set_key, hash_prefix, field): that field of the hash (hash_prefix
#                         + member) of every member of the set, None where it has none (a script on Redis)
#                         (with a tuple of fields: a list of those fields' values per member, None where missing)
#                       | ("waiting_heads", limits, depth, count, hash_prefix, states): `AcdState.waiting_heads`
#                         as a read, so it can go with a transaction (a script on Redis)
#                       | ("waiting_summary", zset_keys, hash_prefix, depth): (members of all the sets, the
#                         earliest `queued_at` of the hashes of the first `depth` members of each, or None)
#                         (a script on Redis)

RECORD_PREFIXES = ("acd:c:", "acd:a:")


class StaleRecord(Exception):
    """A transaction's basis (a kept record's version) no longer held: nothing was applied."""


def is_record(key: str) -> bool:
    return key.startswith(RECORD_PREFIXES)


def basis_of(keys: Sequence[str], hashes: Sequence[Mapping[str, str]]) -> dict[str, str]:
    """The basis of a transition computed from these hashes: each key with the version it was read at."""
    return {k: h.get(VERSION, "") for k, h in zip(keys, hashes, strict=True)}


class AcdState(Protocol):
    @property
    def store(self) -> StateStore: ...

    # whether each read or transaction is a round trip to a server, so that reads are worth sending
    # with a transaction ahead of need (in-process they would only cost work)
    remote: bool

    def txn(self, checks: Sequence[Check], ops: Sequence[Op], basis: Mapping[str, str] | None = None) -> bool:
        """Apply `ops` if every check holds; False (nothing applied) otherwise. `basis`: the record
        keys whose hash (as `records` gave it) the transition was computed from, with their versions
        (`basis_of`); StaleRecord if one changed since."""
        ...
    def txn_read(self, checks: Sequence[Check], ops: Sequence[Op], reads: Sequence[Read],
                 basis: Mapping[str, str] | None = None) -> tuple[bool, list[Any]]:
        """A transaction, then reads of the state after it, in one round trip on Redis."""
        ...
    def records(self, keys: Sequence[str], fresh: bool = False) -> list[dict[str, str]]:
        """Call or agent hashes to compute a transition from (then sent with them as its `basis`):
        kept ones where this node has them, the rest read in one round trip; with `fresh`, all read
        from the store now (after a StaleRecord, or to decide a refusal)."""
        ...
    def keep(self, key: str, h: Mapping[str, str]) -> None:
        """Keep a hash this node just read by other means (the waiting heads), as `records` would."""
        ...
    def on_timer(self) -> None:
        """The ACD timer's once-a-second call: slow housekeeping of the store's own (Redis: the look at
        whether every live node raises versions)."""
        ...
    def read_many(self, reads: Sequence[Read]) -> list[Any]:
        """Several reads in one round trip on Redis (each answered as the `StateStore` method would)."""
        ...
    def hgetall_many(self, keys: Sequence[str]) -> list[dict[str, str]]: ...
    def zrange_many(self, keys: Sequence[str], count: int) -> list[list[tuple[str, float]]]: ...
    def zrank(self, key: str, member: str) -> int | None: ...
    def waiting_heads(self, limits: Sequence[tuple[str, float]], depth: int, count: int, hash_prefix: str,
                      states: Sequence[str]) -> Heads:
        """The best `count` calls (lowest score first) among the first `depth` members of each index
        in `limits` scored at most its ceiling, whose hash (`hash_prefix` + member) is in one of
        `states` with `queued_at` at most that ceiling — read with their hashes in one round trip on
        Redis. `stale`: some index member's hash was in another state."""
        ...


@dataclass(frozen=True)
class Head:
    score: float
    member: str
    index: int  # position in `limits` of the index it was found in
    fields: dict[str, str]


@dataclass(frozen=True)
class Heads:
    stale: bool
    rows: list[Head]


def _best_heads(found: list[tuple[float, str, int]], count: int, read: Any, states: Sequence[str],
                limits: Sequence[tuple[str, float]]) -> Heads:
    """The in-process half of `waiting_heads` (the Lua script does the same on Redis)."""
    stale, rows = False, []
    for score, member, index in sorted(found):
        h = read(member)
        if not h or h.get("state") not in states:
            stale = True
            continue
        if float(h.get("queued_at") or 0) > limits[index][1]:
            continue
        rows.append(Head(score, member, index, h))
        if len(rows) >= count:
            break
    return Heads(stale, rows)


def _normalise(ops: Sequence[Op]) -> list[Op]:
    """Every value a string, so Lua and Redis never round numbers."""
    out: list[Op] = []
    for op in ops:
        kind = op[0]
        if kind == "hset":
            out.append(["hset", op[1], {k: str(v) for k, v in op[2].items()}])
        elif kind == "zadd":
            out.append(["zadd", op[1], repr(float(op[2])), str(op[3])])
        elif kind == "hincr":
            out.append(["hincr", op[1], op[2], str(int(op[3]))])
        elif kind == "hdel" and not op[2]:
            continue
        elif kind == "expire":
            out.append(["expire", op[1], str(int(op[2] * 1000))])
        elif kind == "ewma":
            out.append(["ewma", op[1], repr(float(op[2])), repr(float(op[3]))])
        elif kind == "zdue":
            out.append(["zdue", op[1], repr(float(op[2])), str(op[3])])
        elif kind == "zreplace":
            new = "" if op[3] in ("", None) else repr(float(op[3]))
            out.append(["zreplace", op[1], repr(float(op[2])), new, str(op[4])])
        else:
            out.append([kind, *[str(x) if not isinstance(x, list) else x for x in op[1:]]])
    return out


DUE_STEP = 0.001  # how much a "zdue" lowers a score at least (the Lua script has the same constant)


class MemoryAcdState:
    remote = False

    def __init__(self, store: MemoryStore) -> None:
        self.store = store
        self._lock = threading.RLock()

    def txn(self, checks: Sequence[Check], ops: Sequence[Op], basis: Mapping[str, str] | None = None) -> bool:
        """Apply a transaction's checks and operations at once. The values are converted here as
        `_normalise` converts them for the Lua script (strings in hashes and sets, floats as scores,
        milliseconds truncated), without building the normalised copy; the store converts hash values.
        Nor are versions raised or `basis` checked: in-process, `records` always reads the current
        hashes, so nothing is kept that could go stale (versions are for nodes sharing Redis)."""
        s = self.store
        with self._lock:
            for key, field, allowed in checks:
                if (s.hget(key, field) or "") not in allowed:
                    return False
            for op in ops:
                kind, key = op[0], str(op[1])
                if kind == "hincr":
                    s.hincrby(key, str(op[2]), int(op[3]))
                elif kind == "sadd":
                    s.sadd(key, str(op[2]))
                elif kind == "hset":
                    s.hset(key, op[2])
                elif kind == "zadd":
                    s.zadd(key, {str(op[3]): float(op[2])})
                elif kind == "zrem":
                    s.zrem(key, str(op[2]))
                elif kind == "srem_if_zempty":
                    if s.zcard(str(op[3])) == 0:
                        s.srem(key, str(op[2]))
                elif kind == "srem":
                    s.srem(key, str(op[2]))
                elif kind == "hdel":
                    if op[2]:
                        s.hdel(key, *op[2])
                elif kind == "del":
                    s.delete(key)
                elif kind == "expire":
                    s.expire(key, int(op[2] * 1000) / 1000)
                elif kind == "zreplace":
                    self._zreplace(key, float(op[2]), "" if op[3] in ("", None) else repr(float(op[3])), str(op[4]))
                elif kind == "ewma":
                    prev = s.get(key)
                    s.set(key, repr(rolling_aht(float(prev) if prev else None, float(op[2]), float(op[3]))))
                elif kind == "zdue":
                    member, score = str(op[3]), float(op[2])
                    current = s.zscore(key, member)
                    s.zadd(key, {member: score if current is None else min(score, current - DUE_STEP)})
                else:
                    raise ValueError(f"unknown op {kind}")
            return True

    def _zreplace(self, key: str, old: float, new: str, member: str) -> None:
        if self.store.zscore(key, member) != old:
            return
        if new:
            self.store.zadd(key, {member: float(new)})
        else:
            self.store.zrem(key, member)

    def txn_read(self, checks: Sequence[Check], ops: Sequence[Op], reads: Sequence[Read],
                 basis: Mapping[str, str] | None = None) -> tuple[bool, list[Any]]:
        with self._lock:
            ok = self.txn(checks, ops) if ops or checks else True
            return ok, self.read_many(reads)

    def records(self, keys: Sequence[str], fresh: bool = False) -> list[dict[str, str]]:
        return [self.store.hgetall(k) for k in keys]  # always the current hashes: nothing is kept here

    def keep(self, key: str, h: Mapping[str, str]) -> None:
        """Nothing to keep in-process: `records` reads the store itself."""

    def on_timer(self) -> None:
        """Nothing to look after in-process."""

    def read_many(self, reads: Sequence[Read]) -> list[Any]:
        return [self._read(r) for r in reads]

    def _read(self, r: Read) -> Any:
        if r[0] == "zrank":
            return self.zrank(r[1], r[2])
        if r[0] == "member_fields":
            _, key, prefix, field = r
            if isinstance(field, tuple):
                return [[h.get(f) for f in field] for h in (self.store.hgetall(prefix + m)
                                                             for m in self.store.smembers(key))]
            return [self.store.hget(prefix + m, field) for m in self.store.smembers(key)]
        if r[0] == "waiting_summary":
            return self._waiting_summary(*r[1:])
        if r[0] == "waiting_heads":
            return self.waiting_heads(*r[1:])
        return getattr(self.store, r[0])(*r[1:])

    def _waiting_summary(self, keys: Sequence[str], hash_prefix: str, depth: int) -> tuple[int, float | None]:
        s = self.store
        total, oldest = 0, None
        with self._lock:
            for key in keys:
                total += s.zcard(key)
                for member, _ in s.zrange(key, 0, depth - 1):
                    try:
                        queued = float(s.hget(hash_prefix + member, "queued_at") or "")
                    except ValueError:
                        continue
                    oldest = queued if oldest is None else min(oldest, queued)
        return total, oldest

    def hgetall_many(self, keys: Sequence[str]) -> list[dict[str, str]]:
        return [self.store.hgetall(k) for k in keys]

    def zrange_many(self, keys: Sequence[str], count: int) -> list[list[tuple[str, float]]]:
        return [self.store.zrange(k, 0, count - 1) for k in keys]

    def zrank(self, key: str, member: str) -> int | None:
        return self.store.zrank(key, member)

    def waiting_heads(self, limits: Sequence[tuple[str, float]], depth: int, count: int, hash_prefix: str,
                      states: Sequence[str]) -> Heads:
        s = self.store
        with self._lock:
            found = [(score, member, i) for i, rows in enumerate(s.zrange_upto_many(limits, depth))
                     for member, score in rows]
            return _best_heads(found, count, lambda m: s.hgetall(hash_prefix + m), states, limits)


_LUA_TEXT = """
local p = ARGV[1]
local versioned = {@VERSIONED@}
local checks = cjson.decode(ARGV[2])
for i, c in ipairs(checks) do
  local v = redis.call('HGET', p .. c[1], c[2])
  if not v then v = '' end
  local ok = false
  for _, a in ipairs(c[3]) do
    if a == v then ok = true; break end
  end
  if not ok then return -i end
end
local ops = cjson.decode(ARGV[3])
for _, o in ipairs(ops) do
  local kind, k = o[1], p .. o[2]
  if (kind == 'hset' or kind == 'hdel' or kind == 'hincr') and versioned[string.sub(o[2], 1, @PREFIX_LEN@)] then
    redis.call('HINCRBY', k, '@VERSION@', 1)
  end
  if kind == 'hset' then
    local args = {}
    for f, v in pairs(o[3]) do args[#args + 1] = f; args[#args + 1] = v end
    if #args > 0 then redis.call('HSET', k, unpack(args)) end
  elseif kind == 'hdel' then redis.call('HDEL', k, unpack(o[3]))
  elseif kind == 'del' then redis.call('DEL', k)
  elseif kind == 'zadd' then redis.call('ZADD', k, o[3], o[4])
  elseif kind == 'zrem' then redis.call('ZREM', k, o[3])
  elseif kind == 'sadd' then redis.call('SADD', k, o[3])
  elseif kind == 'srem' then redis.call('SREM', k, o[3])
  elseif kind == 'hincr' then redis.call('HINCRBY', k, o[3], o[4])
  elseif kind == 'srem_if_zempty' then
    if redis.call('ZCARD', p .. o[4]) == 0 then redis.call('SREM', k, o[3]) end
  elseif kind == 'expire' then redis.call('PEXPIRE', k, o[3])
  elseif kind == 'ewma' then
    local prev = tonumber(redis.call('GET', k) or '')
    local v = tonumber(o[3])
    if prev then v = prev + tonumber(o[4]) * (v - prev) end
    redis.call('SET', k, string.format('%.17g', v))
  elseif kind == 'zdue' then
    local v = tonumber(o[3])
    local cur = redis.call('ZSCORE', k, o[4])
    if cur and tonumber(cur) - 0.001 < v then v = tonumber(cur) - 0.001 end
    redis.call('ZADD', k, string.format('%.17g', v), o[4])
  elseif kind == 'zreplace' then
    local cur = redis.call('ZSCORE', k, o[5])
    if cur and tonumber(cur) == tonumber(o[3]) then
      if o[4] == '' then redis.call('ZREM', k, o[5]) else redis.call('ZADD', k, o[4], o[5]) end
    end
  else return redis.error_reply('unknown op ' .. kind) end
end
return 1
"""


def _applier_lua() -> str:
    """The transaction script, with the record prefixes and the version field from the constants."""
    (length,) = {len(p) for p in RECORD_PREFIXES}  # one length: the script compares one prefix slice
    return (_LUA_TEXT.replace("@VERSIONED@", ", ".join(f"['{p}'] = true" for p in RECORD_PREFIXES))
            .replace("@PREFIX_LEN@", str(length)).replace("@VERSION@", VERSION))


_LUA = _applier_lua()


_HEADS_LUA = """
local p, depth, count, hp = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local states = cjson.decode(ARGV[5])
local found = {}
for n, limit in ipairs(cjson.decode(ARGV[6])) do  -- [index key, ceiling as text (exact)]
  local rows = redis.call('ZRANGEBYSCORE', p .. limit[1], '-inf', limit[2], 'WITHSCORES', 'LIMIT', 0, depth)
  for j = 1, #rows, 2 do
    found[#found + 1] = {tonumber(rows[j + 1]), rows[j], n, tonumber(limit[2])}
  end
end
table.sort(found, function(a, b) if a[1] ~= b[1] then return a[1] < b[1] end return a[2] < b[2] end)
local stale, out = 0, {}
for _, f in ipairs(found) do
  local h = redis.call('HGETALL', p .. hp .. f[2])
  local st, qa = nil, nil
  for k = 1, #h, 2 do
    if h[k] == 'state' then st = h[k + 1] elseif h[k] == 'queued_at' then qa = h[k + 1] end
  end
  local ok = false
  for _, a in ipairs(states) do if a == st then ok = true; break end end
  if not ok then stale = 1
  elseif (tonumber(qa or '0') or 0) <= f[4] then
    out[#out + 1] = {string.format('%.17g', f[1]), f[2], f[3] - 1, h}
    if #out >= count then break end
  end
end
return {stale, out}
"""


_MEMBER_FIELDS_LUA = """
local p = ARGV[1]
local many = ARGV[4] == '1'
local out = {}
for i, m in ipairs(redis.call('SMEMBERS', p .. ARGV[2])) do
  if many then out[i] = redis.call('HMGET', p .. ARGV[3] .. m, unpack(ARGV, 5))
  else out[i] = redis.call('HGET', p .. ARGV[3] .. m, ARGV[5]) end
end
return out
"""


_WAITING_SUMMARY_LUA = """
local p, hp, depth = ARGV[1], ARGV[2], tonumber(ARGV[3])
local total, oldest = 0, false
for _, key in ipairs(cjson.decode(ARGV[4])) do
  local k = p .. key
  total = total + redis.call('ZCARD', k)
  for _, m in ipairs(redis.call('ZRANGE', k, 0, depth - 1)) do
    local qa = tonumber(redis.call('HGET', p .. hp .. m, 'queued_at') or '')
    if qa and (not oldest or qa < oldest) then oldest = qa end
  end
end
return {total, oldest and string.format('%.17g', oldest) or false}
"""


class RedisAcdState:
    """The ACD state on Redis: transactions as one Lua script, and the call and agent hashes this node
    last read or changed kept for its next transitions (module docstring)."""

    remote = True
    KEEP = 10_000  # call and agent hashes kept per node (≈ 2–4 kB each as Python dicts): the calls in
    #                progress and the agents, not a day's calls
    _DONE = frozenset(("ended", "abandoned", "logged_out"))  # nothing more to compute from such a hash
    LOOK_EVERY = 15.0  # seconds between the timer's looks at whether every live node raises versions

    def __init__(self, store: RedisStore) -> None:
        self.store = store
        self._redis = store.redis
        self._script = self._redis.register_script(_LUA)
        self._heads = self._redis.register_script(_HEADS_LUA)
        self._member_fields = self._redis.register_script(_MEMBER_FIELDS_LUA)
        self._summary = self._redis.register_script(_WAITING_SUMMARY_LUA)
        self._kept: dict[str, dict[str, str]] = {}  # record key -> its hash as last read or changed here
        self._kept_lock = threading.Lock()
        self._look_at = 0.0
        self._all_versioned = False

    def look_at_nodes(self) -> None:
        """Whether every live node announces that it raises versions (`core.cluster`): a node of an
        older release would change a hash without moving its version, so nothing is kept while one is
        live. A keyspace scan: the ACD timer calls this (`on_timer`), never a request after the first."""
        self._look_at = time.monotonic() + self.LOOK_EVERY
        self._all_versioned = cluster.everyone_has(self.store, "acd_versions")
        if not self._all_versioned:  # what the older node changed meanwhile kept its version
            with self._kept_lock:
                self._kept.clear()

    def on_timer(self) -> None:
        if time.monotonic() >= self._look_at:
            self.look_at_nodes()

    @property
    def keeps_records(self) -> bool:
        """Whether `records` answers from kept hashes (as of the last look at the live nodes)."""
        return self._all_versioned

    def _keeping(self) -> bool:
        if not self._look_at:  # a process's first use (a CLI command, or a request before the first tick)
            self.look_at_nodes()
        return self._all_versioned

    def _args(self, checks: Sequence[Check], ops: Sequence[Op]) -> list[str]:
        return [self.store.prefix, fastjson.dumps([[k, f, list(a)] for k, f, a in checks]),
                fastjson.dumps(_normalise(ops))]

    def txn(self, checks: Sequence[Check], ops: Sequence[Op], basis: Mapping[str, str] | None = None) -> bool:
        if not basis and not self._kept_changed(ops):
            result = self._script(keys=[], args=self._args(checks, ops))
            return bool(result == 1)
        return self.txn_read(checks, ops, [], basis)[0]

    def _kept_changed(self, ops: Sequence[Op]) -> list[str]:
        """The kept hashes these operations change (read back with the transaction to stay current)."""
        kept = self._kept
        return [key for key in (str(op[1]) for op in ops) if key in kept and is_record(key)]

    def txn_read(self, checks: Sequence[Check], ops: Sequence[Op], reads: Sequence[Read],
                 basis: Mapping[str, str] | None = None) -> tuple[bool, list[Any]]:
        # EVALSHA queued by hand: a Script object in a pipeline costs a SCRIPT EXISTS round trip on
        # every execute. A Redis that forgot the script (restarted, flushed) answers NOSCRIPT, and
        # nothing of the pipeline's transaction ran: load the scripts and send the pipeline once more.
        basis = basis or {}
        checks = [*((key, VERSION, (version,)) for key, version in basis.items()), *checks]
        # the changed hashes this node keeps (and the basis) are read back with the transaction, once
        # (a hash the caller reads after the transaction anyway is not read twice)
        refresh = list(dict.fromkeys([*basis, *self._kept_changed(ops)]))
        if refresh:  # a hash the transaction ends (a call ended, an agent logged out) is dropped, not read
            done = {str(op[1]) for op in ops if op[0] == "hset" and op[2].get("state") in self._DONE}
            if done:
                with self._kept_lock:
                    for key in done:
                        self._kept.pop(key, None)
                refresh = [k for k in refresh if k not in done]
        asked = {r[1]: i for i, r in enumerate(reads) if r[0] == "hgetall"}
        extra = [k for k in refresh if k not in asked]
        try:
            result, answers = self._txn_read_once(checks, ops, [*reads, *(("hgetall", k) for k in extra)])
        except NoScriptError:
            self._load_scripts()
            result, answers = self._txn_read_once(checks, ops, [*reads, *(("hgetall", k) for k in extra)])
        if refresh:
            found = dict(zip(extra, answers[len(reads):], strict=True))
            self._keep((k, found[k] if k in found else dict(answers[asked[k]])) for k in refresh)
        if result != 1 and -result <= len(basis):
            raise StaleRecord(list(basis)[-result - 1])
        return result == 1, answers[:len(reads)]

    def _txn_read_once(self, checks: Sequence[Check], ops: Sequence[Op],
                       reads: Sequence[Read]) -> tuple[int, list[Any]]:
        pipe = self._redis.pipeline(transaction=False)
        pipe.evalsha(self._script.sha, 0, *self._args(checks, ops))
        self._queue_reads(pipe, reads)
        result, *answers = pipe.execute(raise_on_error=False)
        if isinstance(result, Exception):
            raise result  # NOSCRIPT: nothing applied, the caller loads the scripts and sends it again
        if any(isinstance(a, NoScriptError) for a in answers):
            # the transaction ran but a read script was missing (loaded by another path): read again
            # rather than send the transaction twice
            self._load_scripts()
            return int(result), self.read_many(reads)
        failed = next((a for a in answers if isinstance(a, Exception)), None)
        if failed is not None:
            raise failed
        return int(result), self._answers(reads, answers)

    def _load_scripts(self) -> None:
        """Load the transaction and read scripts together (after a restart or SCRIPT FLUSH)."""
        pipe = self._redis.pipeline(transaction=False)
        pipe.script_load(_LUA)
        pipe.script_load(_MEMBER_FIELDS_LUA)
        pipe.script_load(_HEADS_LUA)
        pipe.script_load(_WAITING_SUMMARY_LUA)
        self._script.sha, self._member_fields.sha, self._heads.sha, self._summary.sha = pipe.execute()

    def records(self, keys: Sequence[str], fresh: bool = False) -> list[dict[str, str]]:
        if fresh or not self._keeping():
            return self._read_records(keys)
        kept = self._kept
        found = [kept.get(k) for k in keys]
        missing = [k for k, h in zip(keys, found, strict=True) if h is None]
        if not missing:
            return [dict(h) for h in found if h is not None]
        read = iter(self._read_records(missing))
        return [dict(h) if h is not None else next(read) for h in found]

    def _read_records(self, keys: Sequence[str]) -> list[dict[str, str]]:
        hashes = self.hgetall_many(keys)
        self._keep(zip(keys, hashes, strict=True))
        return [dict(h) for h in hashes]

    def keep(self, key: str, h: Mapping[str, str]) -> None:
        self._keep([(key, dict(h))])

    def _keep(self, pairs: Iterable[tuple[str, dict[str, str]]]) -> None:
        """Keep hashes as read (a hash without a version, written by an older node, is not kept; nothing
        is kept while such a node is live)."""
        if not self._keeping():
            return
        with self._kept_lock:
            kept = self._kept
            for key, h in pairs:
                if h and VERSION in h and h.get("state") not in self._DONE:
                    old = kept.get(key)
                    if old is not None and int(old[VERSION]) > int(h[VERSION]):
                        continue  # another thread of this node kept a later one meanwhile
                    if len(kept) >= self.KEEP and old is None:
                        kept.clear()
                    kept[key] = h
                else:
                    kept.pop(key, None)

    def read_many(self, reads: Sequence[Read]) -> list[Any]:
        if not reads:
            return []
        try:
            return self._read_once(reads)
        except NoScriptError:
            self._load_scripts()  # reads only: sending them again is harmless
            return self._read_once(reads)

    def _read_once(self, reads: Sequence[Read]) -> list[Any]:
        pipe = self._redis.pipeline(transaction=False)
        self._queue_reads(pipe, reads)
        return self._answers(reads, pipe.execute())

    def _queue_reads(self, pipe: Any, reads: Sequence[Read]) -> None:
        for kind, key, *rest in reads:
            if kind == "zrange":
                pipe.zrange(self.store.k(key), int(rest[0]), int(rest[1]), withscores=True)
            elif kind == "member_fields":  # a script, not SORT … GET (which needs read access to every key)
                prefix, field = rest
                fields = field if isinstance(field, tuple) else (field,)
                pipe.evalsha(self._member_fields.sha, 0, self.store.prefix, key, prefix,
                             "1" if isinstance(field, tuple) else "0", *fields)
            elif kind == "waiting_summary":
                prefix, depth = rest
                pipe.evalsha(self._summary.sha, 0, self.store.prefix, prefix, str(depth), fastjson.dumps(list(key)))
            elif kind == "waiting_heads":
                pipe.evalsha(self._heads.sha, 0, *self._heads_args(key, *rest))
            else:
                getattr(pipe, kind)(self.store.k(key), *rest)

    @staticmethod
    def _answers(reads: Sequence[Read], answers: list[Any]) -> list[Any]:
        out: list[Any] = []
        for r, a in zip(reads, answers, strict=True):
            if r[0] == "zrange":
                a = [(m, float(sc)) for m, sc in a]
            elif r[0] in ("zrank", "zcard") and a is not None:
                a = int(a)
            elif r[0] == "smembers":
                a = set(a)
            elif r[0] == "hgetall":
                a = dict(a)
            elif r[0] == "member_fields":
                a = ([[None if v is None else as_text(v) for v in row] for row in a] if isinstance(r[3], tuple)
                     else [None if v is None else as_text(v) for v in a])
            elif r[0] == "waiting_summary":
                a = (int(a[0]), None if a[1] is None else float(a[1]))
            elif r[0] == "waiting_heads":
                a = _heads_answer(a)
            out.append(a)
        return out

    def hgetall_many(self, keys: Sequence[str]) -> list[dict[str, str]]:
        pipe = self._redis.pipeline(transaction=False)
        for k in keys:
            pipe.hgetall(self.store.k(k))
        return [dict(x) for x in pipe.execute()]

    def zrange_many(self, keys: Sequence[str], count: int) -> list[list[tuple[str, float]]]:
        pipe = self._redis.pipeline(transaction=False)
        for k in keys:
            pipe.zrange(self.store.k(k), 0, count - 1, withscores=True)
        return [[(m, float(s)) for m, s in rows] for rows in pipe.execute()]

    def waiting_heads(self, limits: Sequence[tuple[str, float]], depth: int, count: int, hash_prefix: str,
                      states: Sequence[str]) -> Heads:
        if not limits:
            return Heads(False, [])
        return cast(Heads, self.read_many([("waiting_heads", limits, depth, count, hash_prefix, states)])[0])

    def _heads_args(self, limits: Sequence[tuple[str, float]], depth: int, count: int, hash_prefix: str,
                    states: Sequence[str]) -> list[str]:
        # the limits as one JSON argument: redis-py packs each argument in Python, orjson the list in C
        return [self.store.prefix, str(depth), str(count), hash_prefix, fastjson.dumps(list(states)),
                fastjson.dumps([(key, repr(float(ceiling))) for key, ceiling in limits])]

    def zrank(self, key: str, member: str) -> int | None:
        # without withscore Redis answers a rank or nil; redis-py's zrank is not overloaded on it
        r = cast("int | None", self._redis.zrank(self.store.k(key), member))
        return None if r is None else int(r)


def _heads_answer(answer: list[Any]) -> Heads:
    stale, rows = answer
    return Heads(bool(stale), [Head(float(score), as_text(member), int(index),
                                    {as_text(k): as_text(v) for k, v in zip(h[::2], h[1::2], strict=True)})
                               for score, member, index, h in rows])


def make_acd_state(store: StateStore) -> AcdState:
    if isinstance(store, RedisStore):
        return RedisAcdState(store)
    if isinstance(store, MemoryStore):
        return MemoryAcdState(store)
    raise TypeError(f"no ACD state for {type(store).__name__}")
