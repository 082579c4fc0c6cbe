"""Demo data of the switch: the full directory (every province, the XPCC, the national center)."""

from __future__ import annotations

from typing import Any


def load_demo(platform: Any) -> str:
    created = platform.switch.ensure_directory()
    centers = platform.switch.centers()
    queues = sum(len(c.queues) for c in centers)
    return f"switch: {len(centers)} centers ({created} new), {queues} queues"
