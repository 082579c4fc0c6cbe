"""The directory of centers as immutable values, and the defaults every deployment starts from."""

from __future__ import annotations

from dataclasses import dataclass, field

from core import provinces
from core.topics import GENERAL, TOPICS, queue_id

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WORKDAY_HOURS: list[list[str]] = [["08:30", "12:00"], ["13:00", "17:30"]]
DEFAULT_HOURS: dict[str, list[list[str]]] = {d: WORKDAY_HOURS for d in DAYS[:5]} | {"sat": [], "sun": []}
NATIONAL_HOURS: dict[str, list[list[str]]] = {d: [["08:00", "20:00"]] for d in DAYS}

@dataclass(frozen=True)
class QueueDef:
    id: str
    center_code: str
    topic: str
    skills: tuple[str, ...]
    max_wait: int = 600
    overflow_action: str = "callback"  # "callback" or "queue:<queue id>"

    def to_dict(self) -> dict:
        return {"id": self.id, "center_code": self.center_code, "topic": self.topic,
                "topic_name": TOPICS.get(self.topic, self.topic), "skills": list(self.skills),
                "max_wait": self.max_wait, "overflow_action": self.overflow_action}


@dataclass(frozen=True)
class Center:
    code: str
    name: str
    mode: str = "local"
    base_url: str | None = None
    trunk: str | None = None
    capacity: int = 200
    weekly_hours: dict[str, list[list[str]]] = field(default_factory=lambda: dict(DEFAULT_HOURS))
    overflow: tuple[str, ...] = ("national", "callback")
    emergency_closed: bool = False
    emergency_text: str = ""
    queues: tuple[QueueDef, ...] = ()

    @property
    def remote(self) -> bool:
        return self.mode == "remote"

    def queue_for(self, topic: str | None) -> QueueDef | None:
        by_topic = {q.topic: q for q in self.queues}
        return by_topic.get(topic or GENERAL) or by_topic.get(GENERAL)

    def to_dict(self) -> dict:
        return {"code": self.code, "name": self.name, "mode": self.mode, "base_url": self.base_url,
                "trunk": self.trunk, "capacity": self.capacity, "weekly_hours": self.weekly_hours,
                "overflow": list(self.overflow), "emergency_closed": self.emergency_closed,
                "emergency_text": self.emergency_text, "queues": [q.to_dict() for q in self.queues]}


def default_queues(code: str) -> tuple[QueueDef, ...]:
    """One queue per topic; after the maximum wait a provincial call moves to the national queue of
    its topic, and a national call is offered a callback."""
    def action(topic: str) -> str:
        return "callback" if code == provinces.NATIONAL else f"queue:{queue_id(provinces.NATIONAL, topic)}"

    return tuple(QueueDef(queue_id(code, t), code, t, (t,), 600, action(t)) for t in TOPICS)


def default_center(code: str) -> Center:
    prov = provinces.CENTERS[code]
    national = code == provinces.NATIONAL
    return Center(
        code=code, name=f"{prov.name}12333" if not national else prov.name,
        capacity=1000 if national else 200,
        weekly_hours=dict(NATIONAL_HOURS if national else DEFAULT_HOURS),
        overflow=("callback",) if national else ("national", "callback"),
        queues=default_queues(code),
    )


def default_directory() -> dict[str, Center]:
    return {code: default_center(code) for code in provinces.CENTERS}
