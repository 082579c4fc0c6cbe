"""`SwitchApi.place(call, decision) -> Placement`: one way to act on a routing decision, for each kind
of placement; the rules on fakes (switch/placing.py), then through the real switch and ACD."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from agents.api import QueueDef
from agents.domain import CallStatus, QueuedCall
from hotline.platform import Platform
from switch import handoff as hf
from switch.api import CallToPlace, TransferResult
from switch.placing import Placer
from switch.routing import Reason, RoutingDecision
from tests.agents.conftest import Recorder, add_agent


class Acd:
    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.queued: list[QueuedCall] = []
        self.callbacks: list[tuple[str, str]] = []

    def enqueue(self, call: QueuedCall) -> CallStatus:
        if self.fail:
            raise RuntimeError("ACD down")
        self.queued.append(call)
        return CallStatus(call.call_id, "waiting", 0, 30, queue_id=call.queue_id)

    def request_callback(self, call_id: str, number: str) -> CallStatus:
        self.callbacks.append((call_id, number))
        return CallStatus(call_id, "callback")


@dataclass
class Desk:
    fail: bool = False
    opened: list[dict] = field(default_factory=list)

    def open_for_call(self, **fields: Any) -> Any:
        if self.fail:
            raise RuntimeError("tickets down")
        self.opened.append(fields)
        return type("Ticket", (), {"id": 4711})()


TICKET = hf.HandoffTicket("tok", "12345678", "44", "44-pension", "2026-12-06T10:00:00")


def decision(**fields: Any) -> RoutingDecision:
    values: dict[str, Any] = {"province": "44", "center_code": "44", "queue_id": "44-pension", "topic": "pension",
                              "reasons": [Reason("number_location", "")]}
    return RoutingDecision(**{**values, **fields})


def placer(acd: Acd | None = None, desk: Desk | None = None, handed: list | None = None,
           fail_handoff: bool = False) -> Placer:
    def hand_off(call: CallToPlace, d: RoutingDecision) -> TransferResult:
        if fail_handoff:
            raise hf.HandoffError("remote", "unreachable")
        if handed is not None:
            handed.append((call.call_id, d.center_code, call.context))
        return TransferResult("remote", d.center_code, TICKET.queue_id, "PJSIP/trunk-gd", TICKET)

    def queue_for(code: str, topic: str | None) -> QueueDef | None:
        return QueueDef(f"{code}-general", code, "general", ("general",)) if code != "99" else None

    return Placer(acd or Acd(), desk or Desk(), hand_off, queue_for)  # type: ignore[arg-type]


CALL = CallToPlace(call_id="c1", caller="13800138000", context={"ivr_path": ["1"]}, skills=("pension",))


def test_an_open_queue_queues_the_call_with_its_context() -> None:
    acd = Acd()
    placed = placer(acd).place(CALL, decision(priority=1, announcement="本省人工服务时间已过，为您转接…"))
    assert placed.kind == "queued" and placed.queue_id == "44-pension" and placed.status.state == "waiting"
    assert placed.announcement.startswith("本省人工服务时间已过")
    [queued] = acd.queued
    assert (queued.call_id, queued.center_code, queued.topic, queued.priority) == ("c1", "44", "pension", 1)
    assert queued.context == {"ivr_path": ["1"]} and queued.skills == ("pension",)
    override = CallToPlace(call_id="c2", priority=2)
    assert placer(acd).place(override, decision(priority=1)).kind == "queued" and acd.queued[-1].priority == 2


def test_a_remote_center_hands_the_call_over() -> None:
    handed: list = []
    acd = Acd()
    placed = placer(acd, handed=handed).place(CALL, decision(remote=True, trunk="PJSIP/trunk-gd"))
    assert placed.kind == "transferred" and placed.handoff == TICKET and placed.trunk == "PJSIP/trunk-gd"
    assert handed == [("c1", "44", {"ivr_path": ["1"]})] and not acd.queued


def test_a_ticket_overflow_opens_a_ticket_for_the_callers_number() -> None:
    desk = Desk()
    placed = placer(desk=desk).place(CALL, decision(queue_id=None, overflow="ticket", is_open=False))
    assert placed.kind == "ticket" and placed.ticket_id == 4711
    assert desk.opened == [{"caller": "13800138000", "topic": "pension", "province": "44", "center_code": "44",
                            "call_id": "c1"}]
    anonymous = CallToPlace(call_id="c3", caller=None)
    assert placer(desk=desk).place(anonymous, decision(queue_id=None, overflow="ticket")).reason == "no_number"
    failed = placer(desk=Desk(fail=True)).place(CALL, decision(queue_id=None, overflow="ticket"))
    assert (failed.kind, failed.reason) == ("closed", "failed")


def test_a_callback_request_is_booked_in_the_decided_queue_or_the_centers_queue() -> None:
    acd = Acd()
    wants = CallToPlace(call_id="sms-1", caller="13800138000", callback_number="13800138000")
    placed = placer(acd).place(wants, decision())
    assert placed.kind == "callback" and placed.queue_id == "44-pension" and placed.status.state == "callback"
    assert acd.callbacks == [("sms-1", "13800138000")]
    after_hours = placer(acd).place(wants, decision(queue_id=None, is_open=False, overflow="callback"))
    assert after_hours.kind == "callback" and after_hours.queue_id == "44-general"
    with pytest.raises(LookupError):  # a request that cannot be booked is not lost silently
        placer(acd).place(wants, decision(center_code="99", queue_id=None, is_open=False))


def test_what_is_not_placed_says_why() -> None:
    acd = Acd()
    closed = placer(acd).place(CALL, decision(queue_id=None, is_open=False, overflow="callback"))
    assert (closed.kind, closed.reason, closed.announcement) == ("closed", "closed", "")
    offered = placer(acd).place(CALL, decision(queue_id=None, overflow="callback", announcement="…"))
    assert (offered.kind, offered.reason) == ("closed", "callback_offered")
    assert placer(acd).place(CALL, decision(queue_id=None)).reason == "no_queue"
    assert not acd.queued
    down = placer(Acd(fail=True)).place(CALL, decision(announcement="为您转接"))
    assert (down.kind, down.reason, down.announcement) == ("closed", "failed", "为您转接")
    unreachable = placer(fail_handoff=True).place(CALL, decision(remote=True))
    assert (unreachable.kind, unreachable.reason) == ("closed", "failed")


def test_the_switch_places_a_routed_call_with_the_acd(platform: Platform) -> None:
    platform.switch.ensure_directory()
    platform.switch.update_center("44", weekly_hours={d: [["00:00", "23:59"]] for d in
                                                      ("mon", "tue", "wed", "thu", "fri", "sat", "sun")})
    routed = Recorder(platform, "route.")
    agent = add_agent(platform, "gd", "44", ("pension",), ready=True)
    d = platform.switch.route(caller="18620001234", topic="pension", call_id="c1")
    placed = platform.switch.place(CallToPlace(call_id="c1", caller="18620001234", context={"ivr_path": ["1"]}), d)
    assert placed.kind == "queued" and placed.queue_id == "44-pension"
    assert placed.status.state == "offered" and placed.status.agent_id == agent
    assert platform.agents.call_context("c1")["context"]["ivr_path"] == ["1"]
    [event] = routed.of("route.placed")
    assert event.data["kind"] == "queued" and event.data["queue_id"] == "44-pension"
    wants = CallToPlace(call_id="sms-9", caller="18620001235", callback_number="18620001235")
    booked = platform.switch.place(wants, platform.switch.route(caller="18620001235", topic="pension"))
    assert booked.kind == "callback" and platform.agents.call_status("sms-9").state == "callback"


def test_a_decision_kept_as_a_dict_comes_back_the_same() -> None:
    d = decision(overflow="center:00", priority=1, announcement="为您转接", hours_text="周一至周五", is_open=True)
    back = RoutingDecision.from_dict(d.to_dict())
    assert back == d
    handed = RoutingDecision.from_dict({"queue_id": "44-card", "topic": "card", "priority": 1,
                                        "reasons": [{"code": "handoff", "text": "由全国12333转接"}]})
    assert (handed.center_code, handed.province, handed.priority, handed.is_open) == ("44", "44", 1, True)
