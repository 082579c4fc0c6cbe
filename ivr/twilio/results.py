"""Map the form fields of a Twilio webhook back to the engine `Result` the pending action expects."""

from __future__ import annotations

from collections.abc import Mapping

from ivr.actions import AgentLegEnded, CallerHangup, Digits, HoldTick, Played, Result, Speech, Timeout

# CallStatus values after which the call is gone (Twilio's status callback and action requests).
FINAL_STATUSES = frozenset({"completed", "busy", "no-answer", "failed", "canceled"})

# DialCallStatus of the agent (or transfer) leg -> AgentLegEnded.reason
DIAL_REASONS = {
    "completed": "agent_hangup",
    "answered": "agent_hangup",
    "busy": "agent_busy",
    "no-answer": "agent_no_answer",
    "failed": "agent_failed",
    "canceled": "canceled",
}

_DTMF = frozenset("0123456789*#")


def clean_digits(raw: str | None) -> str:
    """Keys as Twilio reports them, keeping only DTMF characters (the terminator is never included)."""
    return "".join(ch for ch in (raw or "") if ch in _DTMF)


def confidence(raw: str | None) -> float:
    try:
        value = float(raw or 0.0)
    except ValueError:
        return 0.0
    return min(max(value, 0.0), 1.0) if value == value else 0.0  # NaN -> 0


def result_for(pending: str, params: Mapping[str, str], *, hold_keys: str = "") -> Result:
    """The result of `pending` (an action kind) given the webhook Twilio sent when it finished."""
    if params.get("CallStatus") in FINAL_STATUSES:
        return CallerHangup()
    digits = clean_digits(params.get("Digits"))
    speech = (params.get("SpeechResult") or "").strip()
    if pending == "play":
        return Digits(digits[:1]) if digits else Played()
    if pending == "hold":
        return Digits(digits[:1]) if digits and digits[:1] in hold_keys else HoldTick()
    if pending == "connect":
        return AgentLegEnded(DIAL_REASONS.get(params.get("DialCallStatus") or "", "agent_hangup"))
    if digits:
        return Digits(digits)
    if speech:
        return Speech(speech, confidence(params.get("Confidence")))
    return Timeout()
