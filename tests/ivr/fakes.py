"""Small fakes of the other homes, exactly to docs/contracts.md, for unit tests of the engine.
End-to-end tests (test_simulator_cli.py) run on the real services."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from types import SimpleNamespace
from typing import Any

from agents.domain import CallStatus, QueuedCall


@dataclass
class Hit:
    article_id: str
    revision_id: int
    title: str
    short_answer: str
    score: float = 1.0
    snippet: str = ""
    province: str = "00"


@dataclass
class SearchResult:
    no_answer: bool
    hits: list[Hit]


class FakeKnowledge:
    def __init__(self) -> None:
        self.queries: list[tuple[str, str | None]] = []
        self.topics: list[str | None] = []
        self.feedback_given: list[dict[str, Any]] = []

    def feedback(self, article_id: str, **verdict: Any) -> None:
        self.feedback_given.append({"article_id": article_id, **verdict})

    def search(self, query: str, *, province: str | None = None, limit: int = 5, channel: str = "ivr",
               include_other_provinces: bool = False, topic: str | None = None) -> SearchResult:
        self.queries.append((query, province))
        self.topics.append(topic)
        if "天气" in query or not query:
            return SearchResult(True, [])
        return SearchResult(False, [Hit("kb-1001", 7, "养老保险关系转移", "向转入地社保机构申请即可。")])

    def answer(self, *, query: str = "", article_id: str | None = None, province: str | None = None,
               topic: str | None = None, channel: str = "ivr") -> Any:
        from knowledge.answering import Answer

        if article_id is not None:
            return None  # the fake has no articles by id: the node falls back to the item's words
        res = self.search(query, province=province, topic=topic)
        if res.no_answer:
            return None
        h = res.hits[0]
        return Answer(h.article_id, h.revision_id, h.title, h.short_answer, h.province, "养老保险", "search")


@dataclass
class Verification:
    status: str
    speech: str
    attempts_left: int | None = None
    province: str | None = None


@dataclass
class RecordOutcome:
    status: str
    speech: str
    fields: dict = field(default_factory=dict)


class FakeRecords:
    GOOD_ID, GOOD_PASSWORD = "11010519491231002X", "246810"

    def __init__(self) -> None:
        self.verified: dict[str, str] = {}
        self.calls: list[tuple] = []
        self.ended: list[str] = []
        self.insured: dict[str, Any] | None = None  # where a verified caller is insured; None: unknown

    def insured_region(self, session_id: str, *, channel: str) -> dict[str, Any] | None:
        return self.insured if session_id in self.verified else None

    def verify_password(self, session_id: str, id_number: str, password: str, *, channel: str,
                        caller: str | None) -> Verification:
        self.calls.append(("verify_password", session_id, id_number, password, channel))
        if id_number == self.GOOD_ID and password == self.GOOD_PASSWORD:
            self.verified[session_id] = id_number
            return Verification("ok", "身份验证成功。", None, "11")
        return Verification("wrong", "密码不正确。", 2)

    def send_otp(self, session_id: str, id_number: str, *, channel: str, caller: str | None) -> Verification:
        return Verification("otp_sent", "验证码已发送。")

    def verify_otp(self, session_id: str, id_number: str, code: str, *, channel: str) -> Verification:
        if code != "123456":
            return Verification("wrong", "验证码不正确。", 2)
        self.verified[session_id] = id_number
        return Verification("ok", "身份验证成功。")

    def self_service_summary(self, session_id: str, *, channel: str) -> RecordOutcome:
        if session_id not in self.verified:
            return RecordOutcome("not_verified", "请先验证身份。")
        return RecordOutcome("ok", "您的养老保险累计缴费180个月。", {"contribution_months": 180})

    def change_password(self, session_id: str, old: str, new: str, repeat: str, *, channel: str) -> Verification:
        return Verification("ok" if new == repeat else "wrong", "密码已修改。")

    def end_session(self, session_id: str) -> None:
        self.ended.append(session_id)


@dataclass
class Reason:
    code: str
    text: str = ""

    def to_dict(self) -> dict:
        return {"code": self.code, "text": self.text}


@dataclass
class Decision:
    province: str
    center_code: str
    queue_id: str | None
    topic: str | None
    reasons: list[Reason]
    overflow: str | None = None
    remote: bool = False
    is_open: bool = True
    priority: int = 0
    hours_text: str = ""
    announcement: str = ""

    def to_dict(self) -> dict:
        return {"province": self.province, "center_code": self.center_code, "queue_id": self.queue_id,
                "topic": self.topic, "reasons": [r.to_dict() for r in self.reasons], "overflow": self.overflow,
                "remote": self.remote, "is_open": self.is_open, "priority": self.priority,
                "hours_text": self.hours_text, "announcement": self.announcement}


@dataclass
class HoursState:
    open: bool
    reason: str
    text_zh: str
    holiday: str | None = None
    via: str | None = None


@dataclass
class QueueDef:
    id: str
    center_code: str
    topic: str


class FakeSwitch:
    """`hours` is the caller's own center; `overflow_to` (a center code) makes the switch send the
    call there while the own center is closed (as the real switch's overflow does); `overflow` set to
    "ticket" or "callback" is the overflow action when no center takes the call."""

    def __init__(self) -> None:
        self.hours = HoursState(True, "weekly_hours", "人工服务正常。")
        self.overflow_to: str | None = None
        self.overflow: str | None = None
        self.routes: list[dict] = []
        self.placed: list[tuple[Any, Any]] = []  # every (call, decision) placed
        self.homes: Homes | None = None  # the agents and tickets it places with (set by Homes)

        self.blocked_numbers: set[str] = set()

    def place(self, call: Any, decision: Any) -> Any:
        """With the switch's own rules (`switch.placing.Placer`) on the fake ACD and tickets."""
        from switch.placing import Placer

        assert self.homes is not None
        self.placed.append((call, decision))
        placer = Placer(self.homes.agents, self.homes.tickets,  # type: ignore[arg-type]
                        lambda c, d: self.hand_off(c.call_id, d.center_code, topic=d.topic, context=c.context),
                        self.queue_for)
        return placer.place(call, decision)

    def hand_off(self, call_id: str, to_center: str, *, topic: str | None, context: dict,
                 from_center: str | None = None) -> Any:
        raise RuntimeError(f"the fake switch has no deployment for {to_center}")

    def detected_province(self, caller: str | None) -> str | None:
        return "11" if caller and caller.startswith("138") else None

    def blocked(self, caller: str | None, entry_center: str | None) -> Any:
        return SimpleNamespace(id=1, scope="*") if caller in self.blocked_numbers else None

    def hours_state(self, center_code: str) -> HoursState:
        return self.hours

    def service_state(self, center_code: str) -> HoursState:
        if self.hours.open or not self.overflow_to:
            return self.hours
        return HoursState(True, "overflow", "本省人工服务时间已过，为您转接全国12333人工服务。", self.hours.holiday,
                          self.overflow_to)

    def queue_for(self, center_code: str, topic: str | None) -> QueueDef:
        return QueueDef(f"{center_code}-{topic or 'general'}", center_code, topic or "general")

    def route(self, *, caller: str | None, entry_center: str = "00", choice: str | None = None,
              verified_id: str | None = None, topic: str | None = None, language: str = "zh",
              call_id: str | None = None, **more: Any) -> Decision:
        self.routes.append({"caller": caller, "choice": choice, "verified_id": verified_id, "topic": topic, **more})
        province = choice or "11"
        reasons = [Reason("caller_choice" if choice else "number_location")]
        if not self.hours.open and self.overflow_to:
            state = self.service_state(province)
            return Decision(province, self.overflow_to, f"{self.overflow_to}-{topic or 'general'}", topic,
                            [*reasons, Reason("closed"), Reason(f"overflow:{self.overflow_to}")],
                            overflow="national" if self.overflow_to == "00" else f"center:{self.overflow_to}",
                            hours_text=self.hours.text_zh, announcement=state.text_zh)
        if self.overflow in ("ticket", "callback"):
            return Decision(province, province, None, topic, [*reasons, Reason(f"overflow:{self.overflow}")],
                            overflow=self.overflow, is_open=self.hours.open, hours_text=self.hours.text_zh)
        return Decision(province, province, f"{province}-{topic or 'general'}", topic, reasons,
                        is_open=self.hours.open, hours_text=self.hours.text_zh)


class FakeAgents:
    """A one-queue ACD: calls wait until the test (or the simulator's demo agent) connects them."""

    def __init__(self, auto_connect: bool = True) -> None:
        self.auto_connect = auto_connect  # connect a waiting call at its first status check
        self.calls: dict[str, dict[str, Any]] = {}
        self.queued: list[QueuedCall] = []
        self.abandoned: list[str] = []
        self.ended: list[str] = []
        self.not_ready: list[tuple[int, str]] = []
        self.left: list[tuple[str, str]] = []  # every caller_left(call_id, reason), settled or not

    def enqueue(self, call: QueuedCall) -> CallStatus:
        self.queued.append(call)
        self.calls[call.call_id] = {"state": "waiting", "agent_id": None, "queue_id": call.queue_id}
        return self.call_status(call.call_id)  # type: ignore[return-value]

    def call_status(self, call_id: str) -> CallStatus | None:
        c = self.calls.get(call_id)
        if c is None:
            return None
        if self.auto_connect and c["state"] == "waiting" and c.get("checked"):
            self.connect(call_id)
        c["checked"] = True
        waiting = c["state"] == "waiting"
        ahead = (0 if c.get("requeued") else 2) if waiting else None
        return CallStatus(call_id, c["state"], ahead, 120 if waiting else None, c["agent_id"],
                          f"PJSIP/agent-{c['agent_id']}" if c["agent_id"] else None, c["queue_id"])

    def connect(self, call_id: str, agent_id: int = 7) -> None:
        self.calls[call_id].update(state="connected", agent_id=agent_id)

    def abandon(self, call_id: str, reason: str = "caller_hangup") -> None:
        self.calls[call_id]["state"] = "abandoned"
        self.abandoned.append(call_id)

    def end_call(self, call_id: str, reason: str = "completed") -> None:
        self.calls[call_id]["state"] = "ended"
        self.ended.append(call_id)

    def caller_left(self, call_id: str, reason: str = "caller_hangup") -> str | None:
        """As the ACD: abandon a waiting/offered call, end a connected one; otherwise nothing."""
        self.left.append((call_id, reason))
        state = (self.calls.get(call_id) or {}).get("state")
        if state in ("waiting", "offered"):
            self.abandon(call_id, reason)
            return "abandoned"
        if state == "connected":
            self.end_call(call_id, reason)
            return "ended"
        return None

    def ring_no_answer(self, call_id: str, reason: str = "agent_no_answer") -> CallStatus | None:
        """As the ACD: a connected call goes back to the head of the queue, its agent not ready."""
        c = self.calls[call_id]
        if c["state"] != "connected":
            return self.call_status(call_id)
        self.not_ready.append((c["agent_id"], reason))
        c.update(state="waiting", agent_id=None, checked=False, requeued=True)
        return self.call_status(call_id)

    def request_callback(self, call_id: str, number: str) -> CallStatus:
        c = self.calls[call_id]
        if c["state"] != "waiting":
            raise RuntimeError("not waiting")
        c["state"] = "callback"
        return self.call_status(call_id)  # type: ignore[return-value]

    # what the simulator's demo agent uses
    def profiles(self, center_code: str | None = None) -> list:
        return []


class FakeSms:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, dict, str | None]] = []

    def send(self, to: str, template: str, variables: dict, *, category: str = "reply",
             idempotency_key: str | None = None, session_id: str | None = None) -> int:
        self.sent.append((to, template, variables, idempotency_key))
        return len(self.sent)


@dataclass
class Ticket:
    id: int
    due_date: date


class FakeTickets:
    """Stands in for `platform.tickets.open_for_call` (the tickets home)."""

    def __init__(self) -> None:
        self.opened: list[dict] = []

    def open_for_call(self, *, caller: str, topic: str | None, province: str, call_id: str,
                      center_code: str | None = None, description: str = "") -> Ticket:
        self.opened.append({"caller": caller, "topic": topic, "province": province, "call_id": call_id,
                            "center_code": center_code})
        return Ticket(4000 + len(self.opened), date(2026, 11, 26))


@dataclass
class Homes:
    knowledge: FakeKnowledge = field(default_factory=FakeKnowledge)
    records: FakeRecords = field(default_factory=FakeRecords)
    switch: FakeSwitch = field(default_factory=FakeSwitch)
    agents: FakeAgents = field(default_factory=FakeAgents)
    sms: FakeSms = field(default_factory=FakeSms)
    tickets: FakeTickets = field(default_factory=FakeTickets)

    def __post_init__(self) -> None:
        self.switch.homes = self
