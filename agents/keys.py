"""Keys of the ACD's real-time state and the operations that keep the ready pools in step.

``acd:c:<call>`` call hash, ``acd:q:<queue>`` waiting calls (sorted by score), ``acd:active`` queues
with waiting calls, ``acd:a:<agent>`` agent hash, ``acd:r:<center>:<topic>`` ready agents (sorted by
idle-since), ``acd:rpools`` ready pools that have agents, ``acd:staff:<center>:<topic>`` logged-in
agents, ``acd:offers`` / ``acd:wrap`` / ``acd:maxwait`` deadlines, ``acd:load`` waiting calls per
center, ``acd:st:*`` statistics counters.
"""

from __future__ import annotations

ACTIVE, OFFERS, WRAP, LOAD, AGENTS = "acd:active", "acd:offers", "acd:wrap", "acd:load", "acd:agents"
RPOOLS, MAXWAIT = "acd:rpools", "acd:maxwait"  # ready pools that have agents; calls' maximum-wait deadlines
WAITING_STATES = ("waiting", "callback")
CALL_TTL = 6 * 3600


def pools_in(pools: list[str], agent_id: int | str, idle_since: float | str) -> list[list]:
    """Operations putting a ready agent into its pools (and marking the pools non-empty)."""
    return [op for p in pools for op in (["zadd", p, idle_since, agent_id], ["sadd", RPOOLS, p])]


def pools_out(pools: list[str], agent_id: int | str) -> list[list]:
    return [op for p in pools for op in (["zrem", p, agent_id], ["srem_if_zempty", RPOOLS, p, p])]


def ck(call_id: str) -> str:
    return f"acd:c:{call_id}"


def qk(queue_id: str) -> str:
    return f"acd:q:{queue_id}"


def ak(agent_id: int | str) -> str:
    return f"acd:a:{agent_id}"


def rk(center: str, topic: str) -> str:
    return f"acd:r:{center}:{topic}"


def sk(center: str, topic: str) -> str:
    return f"acd:staff:{center}:{topic}"
