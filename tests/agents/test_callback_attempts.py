"""Callbacks that really ring: an accepted callback is `dialling` until the telephony side reports
the citizen reached; no answer, busy or failure → the agent's leg ends (the agent not ready, with the
reason), the callback is retried after the spacing within opening hours, then closed as unreachable (with
an SMS if configured)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from agents.domain import AcdError
from tests.agents.conftest import Recorder, add_agent, call


class Texts:
    def __init__(self) -> None:
        self.sent: list[dict] = []

    def send(self, to: str, template: str, variables: dict, **kwargs: object) -> int:
        self.sent.append({"to": to, "template": template, **variables})
        return len(self.sent)


def _missed(acd, clock) -> int:  # type: ignore[no-untyped-def]
    acd.agents.enqueue(call("gone", "42-labour", caller="18620001234"))
    clock.advance(30)
    acd.agents.abandon("gone")
    return acd.agents.callbacks(status="pending")[0]["id"]


def test_no_answer_is_retried_then_closed_unreachable_with_an_sms(acd, clock) -> None:
    acd.settings.extra.update(acd_callback_attempts=2, acd_callback_spacing=600, acd_callback_unreachable_sms="1")
    texts = Texts()
    acd.__dict__["sms"] = texts
    recorder = Recorder(acd)
    cb = _missed(acd, clock)
    agent = add_agent(acd, "a", "42", ("labour",), ready=True)
    first = acd.agents.dial_callback(cb).call_id
    acd.agents.accept(agent, first)
    assert acd.agents.callbacks(status="dialling")[0]["attempts"] == 1
    listed = acd.agents.callback_result(first, "no_answer")
    assert listed["status"] == "retry" and listed["outcome"] == "no_answer"
    status = acd.agents.agent_status(agent)  # the agent's leg ended; freed with the reason shown
    assert (status.state, status.reason) == ("not_ready", "callback_no_answer")
    assert acd.agents.stats("national")["answered"] == 0  # a callback not reached is not an answer
    acd.agents.set_ready(agent)
    acd.agents.tick()
    assert acd.agents.callbacks(status="retry")  # not before the spacing
    clock.advance(601)
    acd.agents.tick()
    second = acd.agents.agent_status(agent).call_id
    assert second == f"cb-{cb}-2" and acd.agents.call_context(second)["callback_number_masked"] == "186****1234"
    acd.agents.accept(agent, second)
    done = acd.agents.callback_result(second, "busy")
    assert (done["status"], done["outcome"], done["attempts"]) == ("failed", "unreachable", 2)
    assert texts.sent == [{"to": "18620001234", "template": "free_text",
                           "text": "您预约的12333回电已拨打2次未能接通，如仍需咨询，请在工作时间拨打12333。"}]
    assert [e.data["status"] for e in recorder.of("acd.callback.retry")] == ["retry"]
    assert recorder.of("acd.callback.completed")[-1].data["outcome"] == "unreachable"


def test_a_retry_due_at_night_waits_for_opening_hours(acd, clock) -> None:
    clock.set(datetime(2026, 11, 24, 9, 24, tzinfo=UTC))  # 17:24 Beijing, Hubei closes at 17:30
    cb = _missed(acd, clock)
    agent = add_agent(acd, "a", "42", ("labour",), ready=True)
    first = acd.agents.dial_callback(cb).call_id
    acd.agents.accept(agent, first)
    acd.agents.callback_result(first, "no_answer")
    assert acd.agents.agent_status(agent).state == "not_ready"
    clock.advance(timedelta(minutes=11))  # due at 17:35: closed
    assert acd.agents.retry_callbacks() == []
    clock.set(datetime(2026, 11, 25, 0, 31, tzinfo=UTC))  # Wednesday 08:31 Beijing
    assert acd.agents.retry_callbacks() == [f"cb-{cb}-2"]


def test_reached_is_done_and_bad_outcomes_are_refused(acd, clock) -> None:
    cb = _missed(acd, clock)
    agent = add_agent(acd, "a", "42", ("labour",), ready=True)
    first = acd.agents.dial_callback(cb).call_id
    assert acd.agents.callback_result(first, "reached") is None  # not dialling yet
    acd.agents.accept(agent, first)
    with pytest.raises(AcdError):
        acd.agents.callback_result(first, "maybe")
    assert acd.agents.callback_result(first, "reached")["status"] == "done"
    assert acd.agents.agent_status(agent).state == "on_call"  # bridged: the conversation goes on
    assert acd.agents.callback_result("not-a-callback", "reached") is None
