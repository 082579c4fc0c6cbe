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
Every node type, its fields and which fields name other nodes are declared in `NODE_TYPES`; any node
may carry a `note` (for editors) and a `title` (a short name shown to agents, e.g. in the IVR path
of the call panel: `title: {zh: 养老保险菜单, en: Pension menu}` or a plain text).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import yaml

FORMAT_VERSION = 1

# field kinds
STR, INT, NUM, BOOL = "str", "int", "number", "bool"
TARGET = "target"  # a node id
TARGET_MAP = "target_map"  # {key: node id}
PROMPTS = "prompts"  # list of prompt refs: "id" or {id, vars}
PROMPT = "prompt"  # one prompt ref
MAP = "map"  # free mapping
LIST = "list"
CASES = "cases"  # [{when: condition, goto: node id}]
TITLE = "title"  # a short name for people: "主菜单" or {zh: 主菜单, en: Main menu}

COMMON: dict[str, str] = {"type": STR, "note": STR, "title": TITLE}
RETRY: dict[str, str] = {"max_retries": INT, "fallback": TARGET, "timeout_s": NUM,
                         "invalid_prompt": PROMPT, "timeout_prompt": PROMPT}

# type -> (required fields, optional fields)
NODE_TYPES: dict[str, tuple[dict[str, str], dict[str, str]]] = {
    "play": ({"prompts": PROMPTS, "next": TARGET}, {}),
    "menu": ({"prompts": PROMPTS, "options": TARGET_MAP},
             {**RETRY, "on_timeout": TARGET, "listen": BOOL, "intents": TARGET_MAP, "threshold": NUM,
              "no_match_prompt": PROMPT}),
    "collect": ({"prompts": PROMPTS, "var": STR, "next": TARGET},
                {**RETRY, "min_digits": INT, "max_digits": INT, "terminator": STR, "validator": STR,
                 "sensitive": BOOL}),
    "confirm": ({"prompts": PROMPTS, "confirmed": TARGET, "retry": TARGET}, RETRY),
    "listen": ({"prompts": PROMPTS, "intents": TARGET_MAP, "fallback": TARGET},
               {"var": STR, "threshold": NUM, "max_retries": INT, "timeout_s": NUM, "no_match_prompt": PROMPT,
                "timeout_prompt": PROMPT}),
    "branch": ({"cases": CASES, "default": TARGET}, {}),
    "set": ({"vars": MAP, "next": TARGET}, {}),
    "knowledge": ({"query": STR, "next": TARGET, "no_answer": TARGET},
                  {**RETRY, "topic": STR, "article": STR, "agent": TARGET, "back": TARGET, "sms_template": STR}),
    "records": ({"op": STR, "outcomes": TARGET_MAP, "default": TARGET}, {"read": BOOL}),
    "sms": ({"template": STR, "next": TARGET}, {"to": STR, "variables": MAP, "prompts": PROMPTS}),
    "province": ({"next": TARGET}, {**RETRY, "prompts": PROMPTS}),
    "route": ({"next": TARGET, "closed": TARGET, "fallback": TARGET},
              {"topic": STR, "skills": LIST, "priority": INT, "callback": TARGET, "ticket": TARGET,
               "announce_every_s": NUM,
               "max_wait_s": NUM, "offer_callback": BOOL, "prompts": PROMPTS}),
    "callback": ({"next": TARGET}, {"number": STR, "fallback": TARGET, "prompts": PROMPTS}),
    "survey": ({"prompts": PROMPTS, "next": TARGET},
               {"question": STR, "scale": MAP, "max_retries": INT, "timeout_s": NUM, "invalid_prompt": PROMPT}),
    "hangup": ({}, {"prompts": PROMPTS, "reason": STR}),
}

# Node types that wait for the caller (a loop made only of other types would spin forever).
WAITING_TYPES = frozenset({"menu", "collect", "confirm", "listen", "knowledge", "province", "route", "survey"})
VALIDATORS = ("citizen_id", "password6", "phone", "date", "digits", "province")
RECORD_OPS = ("verify_password", "send_otp", "verify_otp", "summary", "change_password")


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

    def get(self, key: str, default: Any = None) -> Any:
        return self.spec.get(key, default)

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
    settings: dict[str, Any]
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
        elif isinstance(item, dict) and isinstance(item.get("id"), str):
            refs.append((item["id"], dict(item.get("vars") or {})))
    return refs


def _check_field(kind: str, value: Any) -> str | None:
    """Why `value` does not fit `kind`, or None."""
    checks: dict[str, tuple[type | tuple[type, ...], str]] = {
        STR: (str, "a string"), INT: (int, "an integer"), NUM: ((int, float), "a number"),
        BOOL: (bool, "true or false"), TARGET: (str, "a node id"), MAP: (dict, "a mapping"),
        LIST: (list, "a list"),
    }
    if kind in checks:
        types, what = checks[kind]
        if isinstance(value, bool) and kind in (INT, NUM):
            return f"must be {what}"
        return None if isinstance(value, types) else f"must be {what}"
    if kind == TARGET_MAP:
        if not isinstance(value, dict) or not value:
            return "must be a non-empty mapping of key -> node id"
        bad = [k for k, v in value.items() if not isinstance(v, str)]
        return f"entries {bad} must name a node" if bad else None
    if kind in (PROMPTS, PROMPT):
        items = value if isinstance(value, list) else [value]
        if kind == PROMPTS and not isinstance(value, list):
            return "must be a list of prompt ids"
        if len(prompt_refs(items)) != len(items):
            return "each prompt must be an id or {id: ..., vars: {...}}"
        return None
    if kind == TITLE:
        if isinstance(value, str) and value.strip():
            return None
        if isinstance(value, dict) and value and all(isinstance(k, str) and isinstance(v, str) and v.strip()
                                                      for k, v in value.items()):
            return None
        return "must be a text or a mapping of language -> text, e.g. {zh: 主菜单, en: Main menu}"
    if kind == CASES:
        if not isinstance(value, list) or not value:
            return "must be a non-empty list of {when: ..., goto: node}"
        for i, case in enumerate(value):
            if not (isinstance(case, dict) and isinstance(case.get("goto"), str) and "when" in case):
                return f"case {i} must be {{when: condition, goto: node}}"
        return None
    return f"unknown field kind {kind}"


def _schema(node_id: str, raw: Any, lines: dict[tuple[str, ...], int]) -> list[Problem]:
    line = lines.get(("nodes", node_id))
    if not isinstance(raw, dict):
        return [Problem("error", "schema", "a node must be a mapping", node_id, line)]
    ntype = raw.get("type")
    if ntype not in NODE_TYPES:
        return [Problem("error", "schema", f"unknown node type {ntype!r}; expected one of "
                        f"{', '.join(sorted(NODE_TYPES))}", node_id, line)]
    required, optional = NODE_TYPES[ntype]
    problems = [Problem("error", "schema", f"{ntype} node needs '{name}'", node_id, line)
                for name in required if name not in raw]
    allowed = {**COMMON, **required, **optional}
    for key, value in raw.items():
        kline = lines.get(("nodes", node_id, str(key)), line)
        if key not in allowed:
            problems.append(Problem("error", "schema", f"unknown field '{key}' for a {ntype} node", node_id, kline))
            continue
        why = _check_field(allowed[key], value)
        if why:
            problems.append(Problem("error", "schema", f"'{key}' {why}", node_id, kline))
    if ntype == "collect" and raw.get("validator") not in (None, *VALIDATORS):
        problems.append(Problem("error", "schema", f"unknown validator {raw['validator']!r}; expected one of "
                                f"{', '.join(VALIDATORS)}", node_id, lines.get(("nodes", node_id, "validator"))))
    if ntype == "records" and raw.get("op") not in RECORD_OPS:
        problems.append(Problem("error", "schema", f"unknown records op {raw.get('op')!r}; expected one of "
                                f"{', '.join(RECORD_OPS)}", node_id, lines.get(("nodes", node_id, "op"))))
    if ntype == "collect" and isinstance(raw.get("min_digits"), int) and isinstance(raw.get("max_digits"), int) \
            and raw["min_digits"] > raw["max_digits"]:
        problems.append(Problem("error", "schema", "min_digits is larger than max_digits", node_id, line))
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
    problems: list[Problem] = []
    fmt = raw.get("format", FORMAT_VERSION)
    if fmt != FORMAT_VERSION:
        problems.append(Problem("error", "schema", f"unsupported format {fmt!r}; this engine reads format "
                                f"{FORMAT_VERSION}", line=lines.get(("format",))))
    for key in raw:
        if key not in ("format", "name", "description", "start", "nodes", "settings"):
            problems.append(Problem("error", "schema", f"unknown top-level key '{key}'", line=lines.get((str(key),))))
    nodes_raw = raw.get("nodes")
    if not isinstance(nodes_raw, dict) or not nodes_raw:
        problems.append(Problem("error", "schema", "'nodes' must be a non-empty mapping", line=lines.get(("nodes",))))
        return None, problems
    start = raw.get("start")
    if not isinstance(start, str):
        problems.append(Problem("error", "schema", "'start' must name the first node", line=lines.get(("start",), 1)))
    elif start not in nodes_raw:
        problems.append(Problem("error", "dangling_target", f"start node '{start}' does not exist",
                                line=lines.get(("start",))))
    nodes: dict[str, Node] = {}
    for node_id, spec in nodes_raw.items():
        node_id = str(node_id)
        found = _schema(node_id, spec, lines)
        problems.extend(found)
        if not found:
            sub = {k[2:]: v for k, v in lines.items() if len(k) > 2 and k[:2] == ("nodes", node_id)}
            nodes[node_id] = Node(id=node_id, type=spec["type"], spec=spec, line=lines.get(("nodes", node_id)),
                                  lines=sub)
    settings = raw.get("settings") or {}
    if not isinstance(settings, dict):
        problems.append(Problem("error", "schema", "'settings' must be a mapping", line=lines.get(("settings",))))
        settings = {}
    if any(p.severity == "error" for p in problems):
        return None, problems
    flow = Flow(name=str(raw.get("name") or "flow"), start=str(start), nodes=nodes, settings=settings,
                source=text, sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
                description=str(raw.get("description") or ""))
    return flow, problems


def load_flow(text: str) -> Flow:
    """Parse a flow; raise FlowError listing every schema error."""
    flow, problems = parse_flow(text)
    errors = [p for p in problems if p.severity == "error"]
    if flow is None or errors:
        raise FlowError(errors or problems)
    return flow


def targets(node: Node) -> list[tuple[tuple[str, ...], str]]:
    """Every node id this node can go to, with the field path naming it."""
    required, optional = NODE_TYPES[node.type]
    kinds = {**required, **optional}
    out: list[tuple[tuple[str, ...], str]] = []
    for key, kind in kinds.items():
        value = node.spec.get(key)
        if value is None:
            continue
        if kind == TARGET:
            out.append(((key,), value))
        elif kind == TARGET_MAP:
            out.extend(((key, str(k)), v) for k, v in value.items())
        elif kind == CASES:
            out.extend(((key, str(i), "goto"), case["goto"]) for i, case in enumerate(value))
    return out


def prompt_fields(node: Node) -> list[tuple[tuple[str, ...], str]]:
    """Every prompt id a node names, with the field path."""
    required, optional = NODE_TYPES[node.type]
    out: list[tuple[tuple[str, ...], str]] = []
    for key, kind in {**required, **optional}.items():
        if kind in (PROMPTS, PROMPT) and key in node.spec:
            value = node.spec[key]
            items = value if isinstance(value, list) else [value]
            for i, (pid, _vars) in enumerate(prompt_refs(items)):
                out.append(((key, str(i)) if isinstance(value, list) else (key,), pid))
    return out
