"""The service topics every center's queues are organised by (the IVR menu's first level)."""

from __future__ import annotations

GENERAL = "general"

#: topic code -> name read to callers and shown on screens
TOPICS: dict[str, str] = {
    "pension": "养老保险",
    "medical": "医疗保险",
    "employment": "就业和失业",
    "injury_maternity": "工伤和生育",
    "labour": "劳动关系和工资",
    "card": "社保卡",
    GENERAL: "综合咨询",
}


def queue_id(center_code: str, topic: str) -> str:
    """Queue ids are stable strings: ``"44-pension"``."""
    return f"{center_code}-{topic}"


def split_queue_id(qid: str) -> tuple[str, str]:
    center, _, topic = qid.partition("-")
    if not center or topic not in TOPICS:
        raise ValueError(f"not a queue id: {qid!r}")
    return center, topic
