"""The directory of centers as immutable values, and the defaults every deployment starts from.

A center's queues are the ACD's (`agents.api.QueueDef`, `AcdApi.queue_for`): the switch asks for them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from agents.api import QueueDef
from core import provinces

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WORKDAY_HOURS: list[list[str]] = [["08:30", "12:00"], ["13:00", "17:30"]]
DEFAULT_HOURS: dict[str, list[list[str]]] = {d: WORKDAY_HOURS for d in DAYS[:5]} | {"sat": [], "sun": []}
NATIONAL_HOURS: dict[str, list[list[str]]] = {d: [["08:00", "20:00"]] for d in DAYS}

QueueFor = Callable[[str, "str | None"], "QueueDef | None"]  # the ACD's queue of a center for a topic


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

    @property
    def remote(self) -> bool:
        return self.mode == "remote"

    def to_dict(self) -> dict:
        return {"code": self.code, "name": self.name, "mode": self.mode, "base_url": self.base_url,
                "trunk": self.trunk, "capacity": self.capacity, "weekly_hours": self.weekly_hours,
                "overflow": list(self.overflow), "emergency_closed": self.emergency_closed,
                "emergency_text": self.emergency_text}


def default_center(code: str) -> Center:
    prov = provinces.CENTERS[code]
    national = code == provinces.NATIONAL
    return Center(
        code=code, name=f"{prov.name}12333" if not national else prov.name,
        capacity=1000 if national else 200,
        weekly_hours=dict(NATIONAL_HOURS if national else DEFAULT_HOURS),
        overflow=("callback",) if national else ("national", "callback"),
    )


def default_directory() -> dict[str, Center]:
    return {code: default_center(code) for code in provinces.CENTERS}
