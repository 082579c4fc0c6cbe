"""Keys of the ACD's real-time state and the operations that keep the ready pools in step.

``acd:c:<call>`` call hash, ``acd:q:<queue>`` waiting calls (sorted by score), ``acd:ql:<queue>:<lang>``
the same per caller language (so a ready agent finds a call in their language wherever it stands in
the queue), ``acd:langs`` the languages indexed, ``acd:active`` queues
with waiting calls, ``acd:due`` queues the timer should look at (and when), ``acd:a:<agent>`` agent
hash, ``acd:r:<center>:<topic>`` ready agents (sorted by
idle-since), ``acd:rl:<center>:<topic>:<lang>`` the same per language the agent speaks (so a caller
needing a rare language finds the one agent who speaks it behind any number of longer-idle others),
``acd:rpools`` ready pools that have agents, ``acd:staff:<center>:<topic>`` logged-in
agents, ``acd:offers`` / ``acd:wrap`` / ``acd:maxwait`` deadlines, ``acd:load`` waiting calls per
center, ``acd:st:*`` statistics counters.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from agents.records import AgentRec

ACTIVE, OFFERS, WRAP, LOAD, AGENTS = "acd:active", "acd:offers", "acd:wrap", "acd:load", "acd:agents"
RPOOLS, MAXWAIT = "acd:rpools", "acd:maxwait"  # ready pools that have agents; calls' maximum-wait deadlines
LANGS = "acd:langs"  # caller languages that have a waiting-call index
FLUSHED = "acd:flushed"  # the start of the last closed statistics interval written to the database
DUE = "acd:due"  # queues → when the timer should next look at them (a queue_in makes a queue due at once)
WAITING_STATES = ("waiting", "callback")
CALL_TTL = 6 * 3600


def agent_pools(agent: Mapping[str, str] | AgentRec) -> list[str]:
    """The ready pools of a logged-in agent (its stored skill pools, and one per skill and language
    derived from its record, so agents logged in before the language pools existed have them too)."""
    a = agent if isinstance(agent, AgentRec) else AgentRec.from_hash(agent)
    return [*a.pools, *(rlk(a.center, t, lang) for t in a.skills for lang in a.languages)]


def pools_in(pools: list[str], agent_id: int | str, idle_since: float | str) -> list[list]:
    """Operations putting a ready agent into its pools (and marking the pools non-empty)."""
    return [op for p in pools for op in (["zadd", p, idle_since, agent_id], ["sadd", RPOOLS, p])]


def pools_out(pools: list[str], agent_id: int | str) -> list[list]:
    return [op for p in pools for op in (["zrem", p, agent_id], ["srem_if_zempty", RPOOLS, p, p])]


def staff_in(center: str, skills: tuple[str, ...] | list[str], agent_id: int | str) -> list[list]:
    """Operations counting a logging-in agent among the staff of each of its skills (the wait estimate's
    staffed count) and among the agents logged in."""
    return [["sadd", AGENTS, agent_id], *(["sadd", sk(center, t), agent_id] for t in skills)]


def staff_out(center: str, skills: tuple[str, ...] | list[str], agent_id: int | str) -> list[list]:
    return [["srem", AGENTS, agent_id], *(["srem", sk(center, t), agent_id] for t in skills)]


def queue_in(queue_id: str, call_id: str, score: float | str, language: str | None) -> list[list]:
    """Operations putting a waiting call in its queue and in the queue's index for its language (also
    used to change its score)."""
    lang = language or "zh"
    return [["zadd", qk(queue_id), score, call_id], ["zadd", qlk(queue_id, lang), score, call_id],
            ["sadd", LANGS, lang], due_now(queue_id, score)]


def due_now(queue_id: str, at: float | str) -> list:
    """The operation making a queue due for the timer's look (at `at`, never later than now; the due
    time always changes, so a timer pass that read the old one does not reschedule it)."""
    return ["zdue", DUE, at, queue_id]


def queue_out(queue_id: str, call_id: str, language: str | None) -> list[list]:
    return [["zrem", qk(queue_id), call_id], ["zrem", qlk(queue_id, language or "zh"), call_id]]


def enter_queue(queue_id: str, center: str, call_id: str, score: float | str, language: str | None) -> list[list]:
    """Operations putting a call in its queue (`queue_in`), the queue among the active ones and the call
    in its center's waiting load."""
    return [*queue_in(queue_id, call_id, score, language), ["sadd", ACTIVE, queue_id], ["hincr", LOAD, center, 1]]


def leave_queue(queue_id: str, center: str, call_id: str, language: str | None) -> list[list]:
    """Operations taking a call out of its queue (`queue_out`), the queue out of the active ones if
    that emptied it, and the call out of its center's waiting load."""
    return [*queue_out(queue_id, call_id, language), ["srem_if_zempty", ACTIVE, queue_id, qk(queue_id)],
            ["hincr", LOAD, center, -1]]


def due_all(queue_ids: Iterable[str]) -> list[list]:
    """Operations making every one of these queues due for the timer's look at once."""
    return [["zadd", DUE, 0, q] for q in queue_ids]


CALL_PREFIX = "acd:c:"


def ck(call_id: str) -> str:
    return f"{CALL_PREFIX}{call_id}"


def qk(queue_id: str) -> str:
    return f"acd:q:{queue_id}"


def qlk(queue_id: str, language: str) -> str:
    return f"acd:ql:{queue_id}:{language}"


def ak(agent_id: int | str) -> str:
    return f"acd:a:{agent_id}"


def aht_key(queue_id: str) -> str:
    return f"acd:aht:{queue_id}"


def rk(center: str, topic: str) -> str:
    return f"acd:r:{center}:{topic}"


def rlk(center: str, topic: str, language: str) -> str:
    return f"acd:rl:{center}:{topic}:{language}"


def sk(center: str, topic: str) -> str:
    return f"acd:staff:{center}:{topic}"
