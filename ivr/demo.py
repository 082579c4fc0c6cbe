"""Demo data: publish the default 12333 flow when no version is live for 12333 (idempotent)."""

from __future__ import annotations

from ivr.api import IvrHost
from ivr.service import DEFAULT_FLOW

DEMO_ENTRY = "12333"


def load_demo(platform: IvrHost) -> str:
    ivr = platform.ivr
    live = [v for v in ivr.versions(DEMO_ENTRY) if v.live]
    if live:
        return f"ivr: entry {DEMO_ENTRY} already runs flow version {live[0].version} ({live[0].name})"
    info = ivr.publish(DEFAULT_FLOW.read_text(encoding="utf-8"), DEMO_ENTRY, by="demo", note="default flow")
    return f"ivr: published {info.name} as version {info.version} for entry {DEMO_ENTRY}"
