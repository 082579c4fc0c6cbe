"""The contract between the IVR engine and its channels (Asterisk, Twilio, the simulator).

The engine is a resumable step machine: `start_call(...)` and `resume(call_id, result)` each return
one `Action`; the channel carries it out and feeds back one `Result`. Both are small frozen
dataclasses that round-trip through JSON (`to_dict()` / `action_from_dict()` / `result_from_dict()`),
so a Twilio webhook answered by another node can rebuild them.

What a channel sends back after each action:

| action     | normal result                                     | other results                       |
| ---------- | ------------------------------------------------- | ----------------------------------- |
| `Play`     | `Played()` (or `Digits(key)` if barged in)        | `CallerHangup()`                    |
| `Collect`  | `Digits(value)` without the terminator            | `Timeout()` (no key at all), hangup |
| `Listen`   | `Speech(text, confidence)`                        | `Timeout()`, `Digits(...)`, hangup  |
| `Hold`     | `HoldTick()` after `max_seconds` or on an         | `Digits(key)` when `keys` allows,   |
|            | `acd.call.*` event for this call                  | hangup                              |
| `Connect`  | `AgentLegEnded(reason)` when the agent leg ends   | `CallerHangup()`                    |
| `Transfer` | nothing: the call has left this platform          | call `hangup(call_id, "transferred")` |
| `Hangup`   | nothing: play the prompts and hang up             |                                     |

A `CallerHangup()` may be sent after any action (or `platform.ivr.hangup(call_id)` called); the
engine answers with `Hangup`. `Timeout()` after `Play` is accepted as `Played()`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, ClassVar


@dataclass(frozen=True)
class Prompt:
    """One thing to say. `text` is always set (TTS / simulator / Twilio `<Say>`); `audio` names a
    recorded file (relative to the prompt audio dir, without extension) when one exists."""

    id: str
    text: str
    audio: str | None = None
    language: str = "zh"  # "zh" (Mandarin, zh-CN) or "en"

    def to_dict(self) -> dict[str, Any]:  # by hand: `asdict` deep-copies, and this runs for every prompt
        return {"id": self.id, "text": self.text, "audio": self.audio, "language": self.language}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Prompt:
        return cls(id=raw["id"], text=raw["text"], audio=raw.get("audio"), language=raw.get("language", "zh"))


Prompts = tuple[Prompt, ...]


class _Kind:
    kind: ClassVar[str]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind}
        for f in fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if f.name == "prompts":
                value = [p.to_dict() for p in value]
            out[f.name] = value
        return out


# ---------------------------------------------------------------- actions (engine -> channel)


@dataclass(frozen=True)
class Play(_Kind):
    """Say the prompts. With `barge_in`, a key pressed while playing stops playback (`Digits(key)`)."""

    kind: ClassVar[str] = "play"
    prompts: Prompts
    barge_in: bool = False


@dataclass(frozen=True)
class Collect(_Kind):
    """Say the prompts (interruptible by the first key) and collect DTMF digits.

    Collection stops at `max_digits`, at the `terminator` key (not included in the value), or
    `inter_digit_timeout_s` after the last key. No key within `timeout_s` -> `Timeout()`.
    """

    kind: ClassVar[str] = "collect"
    prompts: Prompts
    min_digits: int = 1
    max_digits: int = 1
    timeout_s: float = 5.0
    terminator: str | None = "#"
    inter_digit_timeout_s: float = 3.0


@dataclass(frozen=True)
class Listen(_Kind):
    """Say the prompts and recognise speech (or free text in the simulator) -> `Speech(...)`."""

    kind: ClassVar[str] = "listen"
    prompts: Prompts
    timeout_s: float = 6.0


@dataclass(frozen=True)
class Hold(_Kind):
    """Keep the caller waiting: say the prompts, then music (if `music`) for up to `max_seconds`.
    Wake early with `HoldTick()` on any `acd.call.*` event for this call. When `keys` is not empty
    a key in it ends the hold with `Digits(key)` (e.g. "1" to ask for a callback)."""

    kind: ClassVar[str] = "hold"
    prompts: Prompts
    music: bool = True
    max_seconds: float = 30.0
    keys: str = ""


@dataclass(frozen=True)
class Connect(_Kind):
    """Bridge the caller to the agent who accepted the call (`endpoint` e.g. "PJSIP/agent-17")."""

    kind: ClassVar[str] = "connect"
    agent_id: int | None
    endpoint: str | None
    call_id: str


@dataclass(frozen=True)
class Transfer(_Kind):
    """Hand the call to another center over `trunk`; `token` carries the call context there (SIP header),
    `code` is the same handoff as 8 digits for a dialled suffix or DTMF."""

    kind: ClassVar[str] = "transfer"
    center_code: str
    trunk: str | None
    token: str
    code: str = ""


@dataclass(frozen=True)
class Hangup(_Kind):
    """Say the prompts (if any) and hang up. The engine is done with the call."""

    kind: ClassVar[str] = "hangup"
    reason: str
    prompts: Prompts = field(default=())


Action = Play | Collect | Listen | Hold | Connect | Transfer | Hangup


# ---------------------------------------------------------------- results (channel -> engine)


@dataclass(frozen=True)
class Played(_Kind):
    """The prompts of a `Play` finished without a key."""

    kind: ClassVar[str] = "played"


@dataclass(frozen=True)
class Digits(_Kind):
    """Keys pressed, without the terminator; `*` is kept (validators read it as X where needed)."""

    kind: ClassVar[str] = "digits"
    value: str


@dataclass(frozen=True)
class Timeout(_Kind):
    """No input before the timeout."""

    kind: ClassVar[str] = "timeout"


@dataclass(frozen=True)
class Speech(_Kind):
    """Recognised speech or typed free text; `confidence` of the recogniser in 0..1 (1.0 typed)."""

    kind: ClassVar[str] = "speech"
    text: str
    confidence: float = 1.0


@dataclass(frozen=True)
class CallerHangup(_Kind):
    kind: ClassVar[str] = "caller_hangup"


@dataclass(frozen=True)
class HoldTick(_Kind):
    """The hold period is over or the ACD state of this call changed."""

    kind: ClassVar[str] = "hold_tick"


@dataclass(frozen=True)
class AgentLegEnded(_Kind):
    """The agent leg of a connected call ended ("agent_hangup", "completed", ...)."""

    kind: ClassVar[str] = "agent_leg_ended"
    reason: str = "completed"


Result = Played | Digits | Timeout | Speech | CallerHangup | HoldTick | AgentLegEnded

ACTIONS: dict[str, type] = {c.kind: c for c in (Play, Collect, Listen, Hold, Connect, Transfer, Hangup)}
RESULTS: dict[str, type] = {c.kind: c for c in (Played, Digits, Timeout, Speech, CallerHangup, HoldTick,
                                                  AgentLegEnded)}


def _build(table: dict[str, type], raw: dict[str, Any]) -> Any:
    try:
        cls = table[raw["kind"]]
    except KeyError:
        raise ValueError(f"unknown kind {raw.get('kind')!r}; expected one of {sorted(table)}") from None
    values: dict[str, Any] = {}
    for f in fields(cls):
        if f.name not in raw:
            continue
        value = raw[f.name]
        if f.name == "prompts":
            value = tuple(Prompt.from_dict(p) for p in value)
        values[f.name] = value
    return cls(**values)


def action_from_dict(raw: dict[str, Any]) -> Action:
    """Rebuild an action from `to_dict()` output; ValueError on an unknown kind."""
    return _build(ACTIONS, raw)  # type: ignore[no-any-return]


def result_from_dict(raw: dict[str, Any]) -> Result:
    """Rebuild a result from `to_dict()` output; ValueError on an unknown kind."""
    return _build(RESULTS, raw)  # type: ignore[no-any-return]


def is_final(action: Action) -> bool:
    """True when the engine expects no further `resume` for this call."""
    return isinstance(action, Hangup | Transfer)


__all__ = [
    "ACTIONS", "RESULTS", "Action", "AgentLegEnded", "CallerHangup", "Collect", "Connect", "Digits", "Hangup",
    "Hold", "HoldTick", "Listen", "Play", "Played", "Prompt", "Prompts", "Result", "Speech", "Timeout",
    "Transfer", "action_from_dict", "is_final", "result_from_dict",
]
