"""The call-flow file format: YAML, one mapping of node id -> node, checked against a schema.

```yaml
format: 1                     # version of this file format
name: default_12333
start: welcome
nodes:
  welcome: {type: play, prompts: [welcome], next: main_menu}
  main_menu:
    type: menu
    prompts: [main_menu]
    options: {"1": pension_menu, "0": agent}
    fallback: agent
```
`load_flow(text)` parses and checks the schema (raising `FlowError` with every problem and its line);
`ivr.validate` adds the graph checks (unreachable nodes, dangling targets, missing prompts, traps).
Every node type, its fields and which fields name other nodes are declared as pydantic models in
`ivr/flowmodel.py` (a discriminated union on `type`, unknown fields refused); any node
may carry a `note` (for editors) and a `title` (a short name shown to agents, e.g. in the IVR path
of the call panel: `title: {zh: 养老保险菜单, en: Pension menu}` or a plain text).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import yaml
from pydantic import ValidationError

from ivr.flowmodel import (
    FORMAT_VERSION,
    NODE_MODELS,
    FlowFile,
    FlowNode,
    FlowSettings,
    Kind,
    PromptWithVars,
    fields_of,
    kind_of,
)

# Node types that wait for the caller (a loop made only of other types would spin forever).
WAITING_TYPES = frozenset({"menu", "collect", "confirm", "listen", "knowledge", "province", "route", "survey"})


@dataclass(frozen=True)
class Problem:
    """One finding of the schema or graph checks, with where it is."""

    severity: str  # "error" | "warning"
    code: str  # schema, dangling_target, unreachable, missing_prompt, trap_loop, busy_loop, ...
    message: str
    node: str | None = None
    line: int | None = None

    def located(self, file: str) -> str:
        """`FILE:LINE: severity: node ID: message [code]` (compiler style, for editors)."""
        node = f"node {self.node}: " if self.node else ""
        return f"{file}:{self.line or '-'}: {self.severity}: {node}{self.message} [{self.code}]"

    def __str__(self) -> str:
        where = ":".join(x for x in (f"line {self.line}" if self.line else "",
                                      f"node {self.node}" if self.node else "") if x)
        return f"{self.severity}: {where + ': ' if where else ''}{self.message} [{self.code}]"


class FlowError(ValueError):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class Node:
    id: str
    type: str
    spec: dict[str, Any]
    line: int | None = None
    lines: dict[tuple[str, ...], int] = field(default_factory=dict, compare=False, repr=False)
    model: FlowNode | None = field(default=None, compare=False, repr=False)  # the checked, typed node

    def line_of(self, *path: str) -> int | None:
        return self.lines.get(tuple(path), self.line)

    def title(self, lang: str = "zh") -> str | None:
        """The node's short name for people in `lang` (else Chinese, else any), or None."""
        value = self.spec.get("title")
        if isinstance(value, str):
            return value
        if isinstance(value, dict):
            return value.get(lang) or value.get("zh") or next(iter(value.values()), None)
        return None


@dataclass(frozen=True)
class Flow:
    name: str
    start: str
    nodes: dict[str, Node]
    settings: FlowSettings
    source: str
    sha256: str
    description: str = ""

    def node(self, node_id: str) -> Node:
        return self.nodes[node_id]


def _lines(node: yaml.Node, path: tuple[str, ...], out: dict[tuple[str, ...], int]) -> None:
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            k = str(key.value)
            out[(*path, k)] = key.start_mark.line + 1
            _lines(value, (*path, k), out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _lines(item, (*path, str(i)), out)


def prompt_refs(value: Any) -> list[tuple[str, dict[str, Any]]]:
    """Normalise prompt refs ("id" or {id, vars}) of a PROMPT or PROMPTS field."""
    items = value if isinstance(value, list) else [value]
    refs: list[tuple[str, dict[str, Any]]] = []
    for item in items:
        if isinstance(item, str):
            refs.append((item, {}))
        elif isinstance(item, PromptWithVars):
            refs.append((item.id, dict(item.vars)))
        elif isinstance(item, dict) and isinstance(item.get("id"), str):
            refs.append((item["id"], dict(item.get("vars") or {})))
    return refs


_TOP_LEVEL = {"format": f"unsupported format; this engine reads format {FORMAT_VERSION}",
              "start": "'start' must name the first node", "nodes": "'nodes' must be a non-empty mapping",
              "settings": "'settings' must be a mapping", "name": "'name' must be a text",
              "description": "'description' must be a text"}


def _node_problem(error: Any, raw_nodes: dict[str, Any], lines: dict[tuple[str, ...], int]) -> Problem:
    """One validation error inside `nodes`, said as an editor would read it, at its YAML line."""
    loc = [str(part) for part in error["loc"]]
    node_id = loc[1]
    spec = raw_nodes.get(node_id)
    line = lines.get(("nodes", node_id))
    if not isinstance(spec, dict):
        return Problem("error", "schema", "a node must be a mapping", node_id, line)
    if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
        return Problem("error", "schema", f"unknown node type {spec.get('type')!r}; expected one of "
                       f"{', '.join(sorted(NODE_MODELS))}", node_id, lines.get(("nodes", node_id, "type"), line))
    ntype = loc[2]
    if len(loc) == 3:  # the node as a whole (a check across fields)
        return Problem("error", "schema", error["msg"], node_id, line)
    key = loc[3]
    kline = lines.get(("nodes", node_id, key), line)
    if error["type"] == "missing":
        return Problem("error", "schema", f"{ntype} node needs '{key}'", node_id, line)
    if error["type"] == "extra_forbidden":
        return Problem("error", "schema", f"unknown field '{key}' for a {ntype} node", node_id, kline)
    if error["type"] == "flow":
        return Problem("error", "schema", error["msg"], node_id, kline)
    kind = kind_of(NODE_MODELS[ntype], key)
    return Problem("error", "schema", f"'{key}' must be {kind.value if kind else 'valid'}", node_id, kline)


def _setting_problem(error: Any, key: str, lines: dict[tuple[str, ...], int]) -> Problem:
    line = lines.get(("settings", key), lines.get(("settings",)))
    if error["type"] == "extra_forbidden":
        return Problem("error", "schema", f"unknown setting '{key}'", line=line)
    kind = kind_of(FlowSettings, key)
    return Problem("error", "schema", f"setting '{key}' must be {kind.value if kind else 'valid'}", line=line)


def schema_problems(exc: ValidationError, raw: dict[str, Any], lines: dict[tuple[str, ...], int]) -> list[Problem]:
    """The model's validation errors as `Problem`s: one per field, with its line."""
    problems: list[Problem] = []
    seen: set[tuple[str, ...]] = set()
    nodes = raw.get("nodes")
    raw_nodes: dict[str, Any] = nodes if isinstance(nodes, dict) else {}
    for error in exc.errors():
        loc = tuple(str(part) for part in error["loc"])
        where = loc[:4] if loc[:1] == ("nodes",) and len(loc) > 1 else loc[:1]
        if where in seen:  # a union reports each of its alternatives: one problem per field
            continue
        seen.add(where)
        if len(where) > 1:
            problems.append(_node_problem(error, raw_nodes, lines))
        elif loc[:1] == ("settings",) and len(loc) > 1:
            problems.append(_setting_problem(error, loc[1], lines))
        elif error["type"] == "extra_forbidden":
            problems.append(Problem("error", "schema", f"unknown top-level key '{loc[0]}'", line=lines.get(loc[:1])))
        else:
            problems.append(Problem("error", "schema", _TOP_LEVEL.get(loc[0], error["msg"]),
                                    line=lines.get(loc[:1], 1)))
    return problems


def parse_flow(text: str) -> tuple[Flow | None, list[Problem]]:
    """Parse and schema-check a flow; returns the flow (None when unusable) and the problems found."""
    try:
        tree = yaml.compose(text)
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return None, [Problem("error", "yaml", f"not valid YAML: {getattr(exc, 'problem', exc)}",
                              line=mark.line + 1 if mark else None)]
    if not isinstance(raw, dict) or tree is None:
        return None, [Problem("error", "schema", "a flow file must be a mapping with 'start' and 'nodes'", line=1)]
    lines: dict[tuple[str, ...], int] = {}
    _lines(tree, (), lines)
    if isinstance(raw.get("nodes"), dict):
        raw = {**raw, "nodes": {str(k): v for k, v in raw["nodes"].items()}}
    try:
        checked = FlowFile.model_validate(raw)
    except ValidationError as exc:
        return None, schema_problems(exc, raw, lines)
    problems: list[Problem] = []
    if checked.start not in checked.nodes:
        problems.append(Problem("error", "dangling_target", f"start node '{checked.start}' does not exist",
                                line=lines.get(("start",))))
        return None, problems
    nodes = {node_id: Node(id=node_id, type=model.type, spec=raw["nodes"][node_id], line=lines.get(("nodes", node_id)),
                           lines={k[2:]: v for k, v in lines.items() if len(k) > 2 and k[:2] == ("nodes", node_id)},
                           model=model)
             for node_id, model in checked.nodes.items()}
    flow = Flow(name=checked.name or "flow", start=checked.start, nodes=nodes,
                settings=checked.settings or FlowSettings(),
                source=text, sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
                description=checked.description or "")
    return flow, problems


def load_flow(text: str) -> Flow:
    """Parse a flow; raise FlowError listing every schema error."""
    flow, problems = parse_flow(text)
    errors = [p for p in problems if p.severity == "error"]
    if flow is None or errors:
        raise FlowError(errors or problems)
    return flow


def setting_targets(flow: Flow) -> list[tuple[str, str]]:
    """The node ids the flow's settings name (fallback, on_error, ...), with the setting's name."""
    return [(key, value) for key, kind in fields_of(FlowSettings).items()
            if kind is Kind.TARGET and (value := getattr(flow.settings, key)) is not None]


def targets(node: Node) -> list[tuple[tuple[str, ...], str]]:
    """Every node id this node can go to, with the field path naming it."""
    out: list[tuple[tuple[str, ...], str]] = []
    for key, kind in fields_of(NODE_MODELS[node.type]).items():
        value = node.spec.get(key)
        if value is None:
            continue
        if kind is Kind.TARGET:
            out.append(((key,), value))
        elif kind is Kind.TARGET_MAP:
            out.extend(((key, str(k)), v) for k, v in value.items())
        elif kind is Kind.CASES:
            out.extend(((key, str(i), "goto"), case["goto"]) for i, case in enumerate(value))
    return out


def prompt_fields(node: Node) -> list[tuple[tuple[str, ...], str]]:
    """Every prompt id a node names, with the field path."""
    out: list[tuple[tuple[str, ...], str]] = []
    for key, kind in fields_of(NODE_MODELS[node.type]).items():
        if kind in (Kind.PROMPTS, Kind.PROMPT) and key in node.spec:
            value = node.spec[key]
            items = value if isinstance(value, list) else [value]
            for i, (pid, _vars) in enumerate(prompt_refs(items)):
                out.append(((key, str(i)) if isinstance(value, list) else (key,), pid))
    return out
