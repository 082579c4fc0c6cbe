"""Domain refusals reach HTTP by their type and kind (core.errors.Refusal), never by class name."""

from __future__ import annotations

import pytest

from agents.domain import AcdError
from core.errors import Refusal
from ivr import testcall
from knowledge.errors import InvalidState, KnowledgeError, NotFound, PermissionDenied
from switch.handoff import HandoffError
from tickets.service import TicketError
from web.apikit import classify


@pytest.mark.parametrize(("exc", "status"), [
    (AcdError("not_ready", "坐席未就绪"), 409),
    (AcdError("not_found", "没有这个坐席"), 404),
    (TicketError("capacity", "处理人在办工单已满"), 422),
    (TicketError("forbidden", "该工单不属于您所辖省份"), 403),
    (testcall.TestCallError("unknown_call", "没有测试来电"), 404),
    (HandoffError("stale", "too old"), 409),
    (KnowledgeError("标题不能为空"), 422),
    (InvalidState("not in review"), 409),
    (NotFound("kb-1"), 404),
    (PermissionDenied("reviewer only"), 403),
    (KeyError("x"), 404),
    (PermissionError("no"), 403),
    (ValueError("bad"), 422),
])
def test_each_refusal_has_the_status_of_its_kind(exc: Exception, status: int) -> None:
    found = classify(exc)
    assert found is not None and found[0] == status


def test_a_class_name_alone_means_nothing() -> None:
    class InvalidState(Exception):  # the name the old mapping guessed from; not a Refusal
        pass

    class Forbidden(Refusal):  # a Refusal keeps its declared kind whatever it is called
        pass

    assert classify(InvalidState("x")) is None  # a bug stays a 500
    assert classify(Forbidden("x")) == (422, "x")
    assert classify(Refusal("gone", kind="not_found")) == (404, "not found: gone")
