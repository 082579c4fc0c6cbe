"""The call-flow file format as pydantic models: one model per node type, told apart by `type`
(a discriminated union), unknown fields refused (`extra="forbid"`), values checked strictly (a YAML
`next: 5` is not a node id). `ivr/flow.py` turns validation errors into `Problem`s with the YAML
line of the field.

Fields that name other nodes or prompts carry a `Kind` in their annotation, so the graph checks
(`flow.targets`, `flow.prompt_fields`) read the structure from these models instead of a second,
hand-kept table.
"""

from __future__ import annotations

from enum import Enum
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr, field_validator
from pydantic import model_validator as _model_validator
from pydantic_core import PydanticCustomError

from ivr.validators import VALIDATORS

FORMAT_VERSION = 1
RECORD_OPS = ("verify_password", "send_otp", "verify_otp", "summary", "change_password")


class Kind(Enum):
    """What a field holds, for error messages and for the graph checks."""

    STR = "a string"
    INT = "an integer"
    NUM = "a number"
    BOOL = "true or false"
    TARGET = "a node id"
    TARGET_MAP = "a non-empty mapping of key -> node id"
    PROMPTS = "a list of prompt ids (each an id or {id: ..., vars: {...}})"
    PROMPT = "a prompt id or {id: ..., vars: {...}}"
    MAP = "a mapping"
    LIST = "a list"
    CASES = "a non-empty list of {when: condition, goto: node}"
    TITLE = "a text or a mapping of language -> text, e.g. {zh: 主菜单, en: Main menu}"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PromptWithVars(_Strict):
    id: StrictStr
    vars: dict[str, Any] = Field(default_factory=dict)


NonBlank = Annotated[StrictStr, Field(pattern=r"\S")]
Str = Annotated[StrictStr, Kind.STR]
Int = Annotated[StrictInt, Kind.INT]
Num = Annotated[StrictInt | StrictFloat, Kind.NUM]
Bool = Annotated[StrictBool, Kind.BOOL]
Target = Annotated[StrictStr, Kind.TARGET]
TargetMap = Annotated[dict[Any, StrictStr], Field(min_length=1), Kind.TARGET_MAP]
PromptRef = Annotated[StrictStr | PromptWithVars, Kind.PROMPT]
Prompts = Annotated[list[StrictStr | PromptWithVars], Kind.PROMPTS]
Mapping = Annotated[dict[Any, Any], Kind.MAP]
AnyList = Annotated[list[Any], Kind.LIST]
Title = Annotated[NonBlank | Annotated[dict[StrictStr, NonBlank], Field(min_length=1)], Kind.TITLE]


class Case(_Strict):
    when: Any
    goto: StrictStr


Cases = Annotated[list[Case], Field(min_length=1), Kind.CASES]


class _Node(_Strict):
    note: Str | None = None
    title: Title | None = None


class AskingNode(_Node):
    """A node that waits for the caller: how long, how many re-asks, and where to go after the last."""

    max_retries: Int | None = None
    fallback: Target | None = None
    timeout_s: Num | None = None


class _Retry(AskingNode):
    invalid_prompt: PromptRef | None = None
    timeout_prompt: PromptRef | None = None


class PlayNode(_Node):
    type: Literal["play"]
    prompts: Prompts
    next: Target


class MenuNode(_Retry):
    type: Literal["menu"]
    prompts: Prompts
    options: TargetMap
    on_timeout: Target | None = None
    listen: Bool | None = None
    intents: TargetMap | None = None
    threshold: Num | None = None
    no_match_prompt: PromptRef | None = None


class CollectNode(_Retry):
    type: Literal["collect"]
    prompts: Prompts
    var: Str
    next: Target
    min_digits: Int | None = None
    max_digits: Int | None = None
    terminator: Str | None = None
    validator: Str | None = None
    sensitive: Bool | None = None

    @field_validator("validator")
    @classmethod
    def _known_validator(cls, value: str | None) -> str | None:
        if value is not None and value not in VALIDATORS:
            raise PydanticCustomError("flow", "unknown validator {value}; expected one of {known}",
                                      {"value": repr(value), "known": ", ".join(VALIDATORS)})
        return value

    @_model_validator(mode="after")
    def _digits_in_order(self) -> CollectNode:
        if self.min_digits is not None and self.max_digits is not None and self.min_digits > self.max_digits:
            raise PydanticCustomError("flow", "min_digits is larger than max_digits")
        return self


class ConfirmNode(_Retry):
    type: Literal["confirm"]
    prompts: Prompts
    confirmed: Target
    retry: Target


class ListenNode(AskingNode):
    type: Literal["listen"]
    prompts: Prompts
    intents: TargetMap
    fallback: Target
    var: Str | None = None
    threshold: Num | None = None
    no_match_prompt: PromptRef | None = None
    timeout_prompt: PromptRef | None = None


class BranchNode(_Node):
    type: Literal["branch"]
    cases: Cases
    default: Target


class SetNode(_Node):
    type: Literal["set"]
    vars: Mapping
    next: Target


class KnowledgeNode(_Retry):
    type: Literal["knowledge"]
    query: Str
    next: Target
    no_answer: Target
    topic: Str | None = None
    article: Str | None = None
    agent: Target | None = None
    back: Target | None = None
    sms_template: Str | None = None


class RecordsNode(_Node):
    type: Literal["records"]
    op: Str
    outcomes: TargetMap
    default: Target
    read: Bool | None = None

    @field_validator("op")
    @classmethod
    def _known_op(cls, value: str) -> str:
        if value not in RECORD_OPS:
            raise PydanticCustomError("flow", "unknown records op {value}; expected one of {known}",
                                      {"value": repr(value), "known": ", ".join(RECORD_OPS)})
        return value


class SmsNode(_Node):
    type: Literal["sms"]
    template: Str
    next: Target
    to: Str | None = None
    variables: Mapping | None = None
    prompts: Prompts | None = None


class ProvinceNode(_Retry):
    type: Literal["province"]
    next: Target
    prompts: Prompts | None = None


class RouteNode(_Node):
    type: Literal["route"]
    next: Target
    closed: Target
    fallback: Target
    topic: Str | None = None
    skills: AnyList | None = None
    priority: Int | None = None
    callback: Target | None = None
    ticket: Target | None = None
    announce_every_s: Num | None = None
    max_wait_s: Num | None = None
    offer_callback: Bool | None = None
    prompts: Prompts | None = None


class CallbackNode(_Node):
    type: Literal["callback"]
    next: Target
    number: Str | None = None
    fallback: Target | None = None
    prompts: Prompts | None = None


class SurveyNode(AskingNode):
    type: Literal["survey"]
    prompts: Prompts
    next: Target
    question: Str | None = None
    scale: Mapping | None = None
    invalid_prompt: PromptRef | None = None


class HangupNode(_Node):
    type: Literal["hangup"]
    prompts: Prompts | None = None
    reason: Str | None = None


NODE_MODELS: dict[str, type[_Node]] = {
    "play": PlayNode, "menu": MenuNode, "collect": CollectNode, "confirm": ConfirmNode, "listen": ListenNode,
    "branch": BranchNode, "set": SetNode, "knowledge": KnowledgeNode, "records": RecordsNode, "sms": SmsNode,
    "province": ProvinceNode, "route": RouteNode, "callback": CallbackNode, "survey": SurveyNode,
    "hangup": HangupNode,
}

FlowNode = Annotated[Union[  # noqa: UP007 (a discriminated union needs the Union form here)
    PlayNode, MenuNode, CollectNode, ConfirmNode, ListenNode, BranchNode, SetNode, KnowledgeNode, RecordsNode,
    SmsNode, ProvinceNode, RouteNode, CallbackNode, SurveyNode, HangupNode], Field(discriminator="type")]


class FlowSettings(_Strict):
    """Flow-wide defaults (`settings:`), each overridable per node where the node has the field."""

    language: Str = "zh"
    max_retries: Int | None = None
    timeout_s: Num | None = None
    fallback: Target | None = None
    on_error: Target | None = None
    handoff_node: Target | None = None
    reverify_node: Target | None = None
    records_node: Target | None = None


class FlowFile(_Strict):
    format: Literal[1] = 1  # FORMAT_VERSION
    name: StrictStr | None = None
    description: StrictStr | None = None
    start: StrictStr
    nodes: Annotated[dict[str, FlowNode], Field(min_length=1)]
    settings: FlowSettings | None = None


def _kind_in(annotation: Any) -> Kind | None:
    """The `Kind` inside an annotation (`Target`, `Target | None`, ...), looking through unions."""
    if get_origin(annotation) is Annotated:
        found = next((m for m in annotation.__metadata__ if isinstance(m, Kind)), None)
        return found or _kind_in(get_args(annotation)[0])
    for arg in get_args(annotation) if get_origin(annotation) in (Union, UnionType) else ():
        found = _kind_in(arg)
        if found is not None:
            return found
    return None


def kind_of(model: type[BaseModel], name: str) -> Kind | None:
    """The `Kind` declared on a field of a node model (None for `type` and unknown names)."""
    info = model.model_fields.get(name)
    if info is None:
        return None
    return next((m for m in info.metadata if isinstance(m, Kind)), None) or _kind_in(info.annotation)


def fields_of(model: type[BaseModel]) -> dict[str, Kind]:
    """Every field of a node model that has a kind: the required ones first, each group in
    declaration order (the order the graph checks report in)."""
    names = sorted(model.model_fields, key=lambda n: not model.model_fields[n].is_required())
    return {name: kind for name in names if (kind := kind_of(model, name)) is not None}
