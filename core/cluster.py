"""Nodes sharing one Redis must share their secrets. Each node announces fingerprints of its session
key and handoff secret (HMACs of a fixed label, never the secrets) under `cluster:node:<id>` with a
short TTL, renewed by a heartbeat. A node that finds another live node with different fingerprints
refuses to start: with different session keys, a console login made on one node is rejected by the
next, one-time SMS codes issued by one node fail on another, and handoffs signed by one are refused."""

from __future__ import annotations

import hashlib
import hmac
import logging
from typing import Any

from core.kernel import Kernel

log = logging.getLogger(__name__)

PREFIX = "cluster:node:"
TTL_S = 45.0
HEARTBEAT_S = 15.0
SHARED = {"session": ("secret_key", "HOTLINE_SECRET_KEY"), "handoff": ("handoff_secret", "HOTLINE_HANDOFF_SECRET")}
# What this release's nodes do that others rely on every node doing, announced with the fingerprints.
# acd_versions: every change to an ACD call or agent hash raises its version (agents/state.py).
CAPABILITIES = {"acd_versions": "1"}


class SecretMismatch(RuntimeError):
    """Another node on the same Redis runs with a different secret."""


def fingerprint(secret: str, purpose: str) -> str:
    return hmac.new(secret.encode(), f"hotline-cluster-fingerprint:{purpose}".encode(), hashlib.sha256).hexdigest()[:16]


def fingerprints(settings: Any) -> dict[str, str]:
    return {name: fingerprint(str(getattr(settings, attr) or ""), name) for name, (attr, _) in SHARED.items()}


def mismatches(store: Any, settings: Any) -> list[tuple[str, str]]:
    """(other node, environment variable) for every live node whose secrets differ from ours."""
    mine = fingerprints(settings)
    found = []
    for key in store.keys(PREFIX + "*"):
        node = key.removeprefix(PREFIX)
        if node == settings.node_id:
            continue
        theirs = store.hgetall(key)
        for name, (_, env) in SHARED.items():
            if theirs.get(name) and theirs[name] != mine[name]:
                found.append((node, env))
    return found


def register(store: Any, settings: Any, now: float) -> None:
    key = PREFIX + settings.node_id
    store.hset(key, {**fingerprints(settings), **CAPABILITIES, "center": settings.center_code,
                     "seen": str(round(now))})
    store.expire(key, TTL_S)


def everyone_has(store: Any, capability: str) -> bool:
    """Whether every live node on this Redis announces `capability` (True with none announced: a node
    of any release with a shared Redis announces itself)."""
    return all(store.hget(key, capability) == CAPABILITIES[capability] for key in store.keys(PREFIX + "*"))


def check_and_register(store: Any, settings: Any, now: float) -> None:
    """Raise SecretMismatch (with what to do) if a live node on this Redis uses other secrets."""
    bad = mismatches(store, settings)
    if bad:
        nodes = ", ".join(sorted({node for node, _ in bad}))
        envs = ", ".join(sorted({env for _, env in bad}))
        raise SecretMismatch(
            f"refusing to start: node(s) {nodes} on the same Redis use a different {envs}. Every node of a "
            f"deployment must share {envs} (and the other shared settings listed in README.md, Scale-out): "
            f"set the same values on every node, or give this node its own Redis.")
    register(store, settings, now)


def services(platform: Kernel) -> list[Any]:
    """The heartbeat that keeps this node's announcement alive (only with a shared Redis)."""
    if not platform.settings.redis_url:
        return []
    from core.timers import PeriodicService

    return [PeriodicService("cluster-heartbeat", HEARTBEAT_S,
                            lambda: register(platform.store, platform.settings, platform.clock.time()))]
