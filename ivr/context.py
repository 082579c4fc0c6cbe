"""What a node handler sees of one call: its JSON state, the flow node, and helpers to speak,
record events and reach the other homes. The state is a plain dict kept in the state store."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

from core.masking import mask_id, mask_phone, scrub, scrub_data
from ivr import flowmodel as fm
from ivr.actions import Action, Collect, Prompt
from ivr.events import CallInput
from ivr.flow import Flow, Node, prompt_refs
from ivr.prompts import fill

if TYPE_CHECKING:
    from ivr.api import IvrHost
    from ivr.engine import Engine


@dataclass(frozen=True)
class Goto:
    """Move to another node without waiting for the caller."""

    target: str


Step = Action | Goto
M = TypeVar("M", bound=BaseModel)

DEFAULT_RETRIES = 2  # re-asks after the first attempt
DEFAULT_TIMEOUT_S = 5.0  # seconds to wait for the caller's keys


class Ctx:
    def __init__(self, engine: Engine, state: dict[str, Any], flow: Flow) -> None:
        self.engine = engine
        self.state = state
        self.flow = flow
        self.hours: dict[str, Any] = {}  # agent service per center, asked once per engine step
    # -- basics ---------------------------------------------------------------------------
    @property
    def node(self) -> Node:
        return self.flow.nodes[self.state["node"]]

    @property
    def vars(self) -> dict[str, Any]:
        return self.state["vars"]  # type: ignore[no-any-return]

    @property
    def lang(self) -> str:
        return str(self.vars.get("language") or "zh")

    @property
    def call_id(self) -> str:
        return str(self.state["call_id"])

    @property
    def scope(self) -> str:
        """The province this call's events belong to (web/sse.py shows unscoped ones nationally only)."""
        v = self.vars
        return str(v.get("province") or v.get("detected_province") or v.get("entry_center") or "00")

    @property
    def caller(self) -> str | None:
        return self.state.get("caller")

    @property
    def homes(self) -> IvrHost:
        return self.engine.homes

    @property
    def step(self) -> str:
        return str(self.state.get("step") or "")

    @step.setter
    def step(self, value: str) -> None:
        self.state["step"] = value

    def now(self) -> float:
        return self.engine.clock.time()

    def t(self) -> float:
        return round(self.engine.clock.time() - self.state["t0"], 1)

    def fill(self, template: str) -> str:
        return fill(template, self.vars, self.lang)

    # -- secrets --------------------------------------------------------------------------
    # Passwords and SMS codes wait for the records call in their own short-lived store key (like
    # the OTPs records keeps there), never in the call state, the call log, events or logs.
    SECRET_TTL = 300.0

    def put_secret(self, name: str, value: str) -> None:
        key = secret_key(self.call_id)
        self.engine.store.hset(key, {name: value})
        self.engine.store.expire(key, self.SECRET_TTL)

    def pop_secret(self, name: str) -> str:
        key = secret_key(self.call_id)
        value = self.engine.store.hget(key, name) or ""
        self.engine.store.hdel(key, name)
        return value

    # -- prompts --------------------------------------------------------------------------
    def prompt(self, pid: str, **variables: Any) -> Prompt:
        return self.engine.catalog.render(pid, self.lang, {**self.vars, **variables} if variables else self.vars)

    def spec(self, kind: type[M]) -> M:
        """The current node as its checked, typed model (`ivr/flowmodel.py`)."""
        model = self.node.model
        if not isinstance(model, kind):
            raise TypeError(f"node {self.node.id} is a {self.node.type} node, not a {kind.__name__}")
        return model

    def asking(self) -> fm.AskingNode | None:
        """The current node's waiting fields (re-asks, time-out, fallback), if it waits for the caller."""
        model = self.node.model
        return model if isinstance(model, fm.AskingNode) else None

    def prompts(self, value: Any) -> list[Prompt]:
        """Prompt refs of a node field ("id" or {id, vars}) rendered in the call's language."""
        if value is None:
            return []
        out = []
        for pid, extra in prompt_refs(value if isinstance(value, list) else [value]):
            filled = {k: self.fill(v) if isinstance(v, str) else v for k, v in extra.items()}
            out.append(self.prompt(pid, **filled))
        return out

    def say(self, pid: str, **variables: Any) -> None:
        """Queue a prompt: it is spoken before the next action's own prompts."""
        self.state.setdefault("pending", []).append(self.prompt(pid, **variables).to_dict())

    def say_prompts(self, prompts: list[Prompt]) -> None:
        self.state.setdefault("pending", []).extend(p.to_dict() for p in prompts)

    def say_text(self, pid: str, text: str, language: str = "zh") -> None:
        """Queue dynamic text (a knowledge answer, a record summary) that is not in the catalog."""
        self.state.setdefault("pending", []).append(Prompt(pid, text, None, language).to_dict())

    # -- events ---------------------------------------------------------------------------
    def event(self, type_: str, **fields: Any) -> None:
        self.state["events"].append({"t": self.t(), "type": type_, **scrub_data(fields)})

    def record_input(self, value: str, *, kind: str = "digits", var: str | None = None,
                     validator: str | None = None, sensitive: bool = False) -> str:
        """Log an input masked: never a password, IDs and phone numbers masked."""
        shown = masked(value, validator, sensitive)
        entry = {"node": self.node.id, "kind": kind, "value": shown}
        if var:
            entry["var"] = var
        self.state["inputs"].append(entry)
        self.event("input", node=self.node.id, kind=kind, value=shown)
        self.engine.emit(CallInput(call_id=self.call_id, node=self.node.id, kind=kind, value=shown,
                                   province=self.scope))
        return shown

    # -- retries --------------------------------------------------------------------------
    def retry(self, why: str, reask: Action, *, prompt: Any = None) -> Step:
        """Count a failed attempt; re-ask with an explanation, or give up to the fallback."""
        asking = self.asking()
        defaults = self.flow.settings
        self.state["retries"] = int(self.state.get("retries", 0)) + 1
        limit = _first(asking.max_retries if asking else None, defaults.max_retries, DEFAULT_RETRIES)
        self.event("retry", node=self.node.id, why=why, attempt=self.state["retries"])
        if self.state["retries"] > limit:
            self.say("too_many_attempts")
            fallback = (asking.fallback if asking else None) or defaults.fallback
            if fallback:
                return Goto(fallback)
            return self.engine.give_up(self)
        if prompt is not None:
            self.say_prompts(self.prompts(prompt))
        else:
            self.say("input_timeout" if why == "timeout" else "input_invalid")
        return reask

    def collect(self, prompts: list[Prompt], *, min_digits: int = 1, max_digits: int = 1,
                terminator: str | None = None, timeout_s: float | None = None) -> Collect:
        asking = self.asking()
        wait = timeout_s or (asking.timeout_s if asking else None) or self.flow.settings.timeout_s
        return Collect(prompts=tuple(prompts), min_digits=min_digits, max_digits=max_digits,
                       timeout_s=float(wait or DEFAULT_TIMEOUT_S),
                       terminator=terminator, inter_digit_timeout_s=3.0)


def _first(*values: int | None) -> int:
    """The first value given (0 counts as given)."""
    return next(v for v in values if v is not None)


def secret_key(call_id: str) -> str:
    return f"ivr:secret:{call_id}"


def masked(value: str, validator: str | None, sensitive: bool) -> str:
    if sensitive or validator == "password6":
        return "*" * len(value) if value else ""
    if validator == "citizen_id":
        return mask_id(value.replace("*", "X"))
    if validator == "phone":
        return mask_phone(value)
    return scrub(value)
