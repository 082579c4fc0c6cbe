"""Values exchanged with the IVR channels and the console (see docs/contracts.md)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from core.errors import Refusal

AGENT_STATES = ("logged_out", "ready", "not_ready", "offered", "on_call", "wrap_up")
# How many interactions of each channel an agent handles at once. Voice is fixed at one call; the task
# channel (work orders) is set per agent (`AgentProfile.max_tickets`, 1..MAX_TICKETS_LIMIT).
VOICE_CONCURRENCY = 1
DEFAULT_MAX_TICKETS = 10
MAX_TICKETS_LIMIT = 50
MAX_WAIT_RANGE = (30, 3600)  # seconds a caller may wait in a queue before its overflow action
CALL_STATES = ("waiting", "offered", "connected", "ended", "abandoned", "callback")
DISPOSITIONS: dict[str, str] = {
    "resolved": "已解答",
    "transferred": "已转接",
    "callback": "需回电",
    "sms_sent": "已短信告知",
    "ticket": "已登记工单",
    "complaint": "投诉",
    "wrong_number": "打错电话",
    "other": "其他",
    "none": "未填写（整理超时）",
}
PRIORITY_NORMAL, PRIORITY_ELDERLY, PRIORITY_TRANSFER, PRIORITY_CALLBACK = 0, 1, 1, 2


class AcdError(Refusal):
    """A command refused in the current state; `code` is stable, `message` is shown to the user."""

    kind = "conflict"

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code=code)


@dataclass(frozen=True)
class QueuedCall:
    call_id: str
    queue_id: str
    center_code: str
    topic: str | None
    skills: tuple[str, ...] = ()
    priority: int = PRIORITY_NORMAL
    caller: str | None = None
    language: str = "zh"
    context: dict = field(default_factory=dict)
    waited: float = 0.0  # seconds already waited elsewhere (a handed-over call): credited in the queue order
    notes: tuple = ()  # agents' notes that travel with the call ({"agent_id", "text"} dicts)
    callback_number: str | None = None  # a callback to make: queued in state "callback" with this number


@dataclass(frozen=True)
class CallStatus:
    call_id: str
    state: str
    position: int | None = None  # calls ahead of this one
    ewt_seconds: int | None = None
    agent_id: int | None = None
    agent_endpoint: str | None = None
    queue_id: str | None = None
    overflow: str | None = None  # "callback" when the maximum wait passed and a callback should be offered
    text_zh: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class AgentProfile:
    """An agent as the matcher sees it (copied into the real-time state on login)."""

    id: int
    user_id: int
    name: str
    center_code: str
    skills: tuple[str, ...]
    languages: tuple[str, ...] = ("zh",)
    level: int = 1
    endpoint: str = ""
    endpoints: dict[str, str] = field(default_factory=dict)  # per channel, where the default does not fit
    max_tickets: int = DEFAULT_MAX_TICKETS  # work orders in progress at once (the task channel's concurrency)


@dataclass(frozen=True)
class AgentStatus:
    agent_id: int
    name: str
    center_code: str
    state: str
    reason: str = ""
    since: float = 0.0
    call_id: str | None = None
    endpoint: str = ""
    skills: tuple[str, ...] = ()
    deadline: float | None = None  # offer ring-no-answer or wrap-up end

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class TransferSource:
    """A connected call an agent transfers, as the switch needs it (`AcdApi.transfer_source`)."""

    call_id: str
    center_code: str
    topic: str | None
    context: dict = field(default_factory=dict)  # for the next side: IVR context, notes, wait, masked caller
