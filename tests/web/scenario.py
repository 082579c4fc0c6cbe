"""Building blocks for console scenarios on the real services: a published knowledge article, the
demo insurance core database, and a call waiting in a provincial queue with its IVR context."""

from __future__ import annotations

import uuid
from typing import Any

from hotline.platform import Platform

DEMO_ID, DEMO_PASSWORD_12333 = "11010519491231002X", "246810"
CALLER = "13800138000"  # a Beijing mobile


def publish_article(platform: Platform, editor: Any, reviewer: Any, *, title: str, short_answer: str, body: str,
                    questions: list[str], province: str = "00", category: str = "pension") -> str:
    from web.users import SessionUser

    ed, rv = SessionUser(editor), SessionUser(reviewer)
    rev = platform.knowledge.create_draft(ed, title=title, short_answer=short_answer, body_html=body,
                                          questions=questions, category=category, province=province)
    platform.knowledge.submit(ed, rev.id)
    platform.knowledge.approve(rv, rev.id, "ok")
    return rev.article_id


def records_ready(platform: Platform, persons: int = 20) -> None:
    """The demo core database (small) and the demo citizens' service passwords."""
    from core.clock import china_now
    from records import generator
    from records.demo_citizens import DEMO_CITIZENS

    generator.build(platform.settings.records_database_url, persons=persons, as_of=china_now(platform.clock).date())
    for citizen in DEMO_CITIZENS:
        if citizen.password and not platform.records.passwords.has(citizen.id_number):
            platform.records.passwords.set(citizen.id_number, citizen.password, source="demo")


def place_call(platform: Platform, *, province: str = "11", topic: str = "pension", caller: str = CALLER,
               verify: bool = True) -> str:
    """A call that went through the IVR: verified (optionally), routed, and queued at `province`."""
    from agents.domain import QueuedCall

    call_id = f"t-{uuid.uuid4().hex[:10]}"
    verified = False
    if verify:
        outcome = platform.records.verify_password(call_id, DEMO_ID, DEMO_PASSWORD_12333, channel="ivr",
                                                   caller=caller)
        verified = outcome.status == "ok"
    decision = platform.switch.route(caller=caller, choice=province, topic=topic)
    context = {"ivr_path": ["welcome", "menu:1", "pension"], "inputs": {"menu": "1"}, "verified": verified,
               "verified_id_masked": "110105********002X" if verified else "", "kb_answer": {"title": "养老金领取条件"},
               "flow_version": 1, "routing_reasons": [r.text for r in decision.reasons], "channel": "simulator"}
    platform.agents.enqueue(QueuedCall(call_id=call_id, queue_id=f"{province}-{topic}", center_code=province,
                                       topic=topic, caller=caller, language="zh", context=context))
    return call_id
