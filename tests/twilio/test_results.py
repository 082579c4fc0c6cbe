"""Twilio webhook fields map back to the Result the pending action expects."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ivr.actions import AgentLegEnded, CallerHangup, Digits, HoldTick, Played, Speech, Timeout
from ivr.twilio.results import clean_digits, confidence, result_for
from tests.support.emulators.twilio import voice_params

BASE = voice_params("CA1", "AC1")


def test_collect_results() -> None:
    assert result_for("collect", {**BASE, "Digits": "110105199001011234", "FinishedOnKey": "#"}) == \
        Digits("110105199001011234")
    assert result_for("collect", {**BASE, "Digits": "", "FinishedOnKey": ""}) == Timeout()
    assert result_for("collect", BASE) == Timeout()
    assert result_for("collect", {**BASE, "Digits": "1234*"}) == Digits("1234*")


def test_listen_results_carry_text_and_confidence() -> None:
    result = result_for("listen", {**BASE, "SpeechResult": " 养老金怎么查询 ", "Confidence": "0.87612"})
    assert result == Speech("养老金怎么查询", 0.87612)
    assert result_for("listen", {**BASE, "Digits": "0"}) == Digits("0")
    assert result_for("listen", {**BASE, "SpeechResult": ""}) == Timeout()


def test_play_hold_and_dial_results() -> None:
    assert result_for("play", BASE) == Played()
    assert result_for("play", {**BASE, "Digits": "3"}) == Digits("3")
    assert result_for("hold", BASE) == HoldTick()
    assert result_for("hold", {**BASE, "Digits": "1"}, hold_keys="1") == Digits("1")
    assert result_for("hold", {**BASE, "Digits": "5"}, hold_keys="1") == HoldTick()
    assert result_for("connect", {**BASE, "DialCallStatus": "completed"}) == AgentLegEnded("agent_hangup")
    assert result_for("connect", {**BASE, "DialCallStatus": "no-answer"}) == AgentLegEnded("agent_no_answer")
    assert result_for("connect", {**BASE, "DialCallStatus": "busy"}) == AgentLegEnded("agent_busy")


def test_a_finished_call_is_a_caller_hangup_whatever_was_pending() -> None:
    for pending in ("play", "collect", "listen", "hold", "connect"):
        for status in ("completed", "canceled", "failed"):
            assert result_for(pending, {**BASE, "CallStatus": status, "Digits": "1"}) == CallerHangup()


@given(st.text(max_size=40))
def test_clean_digits_keeps_only_dtmf(raw: str) -> None:
    out = clean_digits(raw)
    assert set(out) <= set("0123456789*#")
    assert out == "".join(ch for ch in raw if ch in "0123456789*#")


@given(st.one_of(st.none(), st.text(max_size=12), st.floats(allow_nan=True).map(str)))
def test_confidence_is_always_between_zero_and_one(raw: str | None) -> None:
    assert 0.0 <= confidence(raw) <= 1.0
