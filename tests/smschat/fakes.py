"""Stand-ins for the knowledge, records and agents services (their contracts in docs/contracts.md),
so the SMS pipeline is tested on its own while those homes are built in parallel."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hotline.platform import Platform


@dataclass
class Hit:
    article_id: str
    title: str
    short_answer: str
    revision_id: int = 1
    score: float = 1.0
    snippet: str = ""
    province: str = "00"


@dataclass
class SearchResult:
    no_answer: bool
    hits: list[Hit] = field(default_factory=list)


@dataclass
class ArticleView:
    """The fields of knowledge.views.ArticleView that SMS reads."""

    article_id: str
    title: str
    body_html: str
    short_answer: str = ""


class FakeKnowledge:
    def __init__(self, articles: dict[str, tuple[str, str, str]]) -> None:
        self.articles = articles  # keyword -> (id, title, short) ; details by id
        self.details: dict[str, str] = {}
        self.queries: list[tuple[str, dict[str, Any]]] = []
        self.feedback_given: list[tuple[str, dict[str, Any]]] = []

    def feedback(self, article_id: str, **kwargs: Any) -> int:
        self.feedback_given.append((article_id, kwargs))
        return len(self.feedback_given)

    def search(self, query: str, **kwargs: Any) -> SearchResult:
        self.queries.append((query, kwargs))
        for word, (aid, title, short) in self.articles.items():
            if word in query:
                return SearchResult(False, [Hit(aid, title, short)])
        return SearchResult(True, [])

    def article(self, article_id: str) -> ArticleView | None:
        for aid, title, _ in self.articles.values():
            if aid == article_id:
                return ArticleView(aid, title, self.details.get(aid, ""))
        return None


@dataclass
class Outcome:
    status: str
    speech: str
    attempts_left: int | None = None
    caller_is_registered: bool = False


class FakeRecords:
    """One citizen whose registered mobile gets the code through platform.sms (as records does)."""

    def __init__(self, platform: Platform, id_number: str, mobile: str) -> None:
        self.platform, self.id_number, self.mobile = platform, id_number, mobile
        self.codes: dict[str, str] = {}
        self.verified: dict[str, str] = {}
        self.ended: list[str] = []
        self.subjects: dict[str, str] = {}  # as records: the ID a code was sent for, kept with the code

    def send_otp(self, session_id: str, id_number: str, *, channel: str, caller: str | None) -> Outcome:
        if id_number != self.id_number:
            return Outcome("unknown_person", "未查到该身份证号码的参保信息。")
        self.codes[session_id] = "246810"
        self.subjects[session_id] = id_number
        self.platform.sms.send(self.mobile, "verification_code", {"code": "246810", "minutes": 5}, category="otp",
                               session_id=session_id)
        own = (caller or "").removeprefix("+86") == self.mobile
        return Outcome("otp_sent", "验证码已发送到尾号8000的手机，请回复验证码。", caller_is_registered=own)

    def verify_otp(self, session_id: str, id_number: str | None, code: str, *, channel: str) -> Outcome:
        if self.codes.get(session_id) == code:
            self.verified[session_id] = id_number or self.subjects[session_id]
            return Outcome("ok", "验证成功。")
        return Outcome("wrong", "验证码错误，还可以再试2次。", attempts_left=2)

    def is_verified(self, session_id: str) -> str | None:
        return self.verified.get(session_id)

    def self_service_summary(self, session_id: str, *, channel: str) -> Outcome:
        if session_id not in self.verified:
            return Outcome("not_verified", "请先验证身份。")
        return Outcome("ok", "您的养老保险累计缴费180个月，个人账户余额52,300元。")

    def sms_summary(self, session_id: str, *, channel: str = "sms") -> Outcome:
        """As records does: the summary goes only to the registered mobile."""
        if session_id not in self.verified:
            return Outcome("not_verified", "请先验证身份。")
        self.platform.sms.send(self.mobile, "record_summary", {"summary": "个人账户余额52,300元。"},
                               category="reply", session_id=session_id)
        return Outcome("ok", "查询结果已发送。")

    def end_session(self, session_id: str) -> None:
        self.ended.append(session_id)
        self.verified.pop(session_id, None)


@dataclass
class Decision:
    queue_id: str | None
    center_code: str
    topic: str | None = None
    province: str = "11"
    priority: int = 0
    is_open: bool = True
    overflow: str | None = None
    remote: bool = False
    announcement: str = ""


class FakeSwitch:
    """Routes every number to Beijing's general queue; places with the switch's own rules
    (`switch.placing.Placer`) on whatever `platform.agents` is at the time."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    def route(self, *, caller: str | None, topic: str | None = None, **_: Any) -> Decision:
        return Decision("11-general", "11")

    def place(self, call: Any, decision: Any) -> Any:
        from switch.placing import Placer

        def no_handoff(call: Any, decision: Any) -> Any:
            raise AssertionError("the fake switch hands nothing off")

        return Placer(self.platform.agents, self.platform.tickets, no_handoff, lambda code, topic: None).place(
            call, decision)


class FakeAgents:
    def __init__(self) -> None:
        self.callbacks: list[tuple[str, str]] = []
        self.enqueued: list[Any] = []

    def enqueue(self, call: Any) -> Any:
        self.enqueued.append(call)
        return None

    def request_callback(self, call_id: str, number: str) -> Any:
        self.callbacks.append((call_id, number))
        return None


def install(platform: Platform, **services: Any) -> None:
    """Put fakes where `platform.<home>` finds them."""
    for home, service in services.items():
        platform.__dict__[home] = service
