"""The flow format as pydantic models: strict values, unknown fields refused, errors at their YAML
line, and the graph checks reading the node structure from the models."""

from __future__ import annotations

import pytest

from ivr.flow import load_flow, parse_flow, prompt_fields, targets
from ivr.flowmodel import NODE_MODELS, Kind, MenuNode, RouteNode, fields_of
from ivr.service import DEFAULT_FLOW
from tests.ivr.test_flow_validate import GOOD


def problems_of(text: str) -> list[tuple[str | None, int | None, str]]:
    flow, problems = parse_flow(text)
    assert flow is None
    return [(p.node, p.line, p.message) for p in problems]


def test_every_node_of_the_default_flow_is_read_as_its_typed_model() -> None:
    flow = load_flow(DEFAULT_FLOW.read_text(encoding="utf-8"))
    assert flow.nodes and all(isinstance(n.model, NODE_MODELS[n.type]) for n in flow.nodes.values())
    menu = flow.nodes["main_menu"].model
    assert isinstance(menu, MenuNode) and menu.options == flow.nodes["main_menu"].spec["options"]
    assert any(isinstance(n.model, RouteNode) for n in flow.nodes.values())


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("next: menu", "next: 5", ("hello", 8, "'next' must be a node id")),
    ("next: menu", "next: true", ("hello", 8, "'next' must be a node id")),
    ("fallback: bye", "fallback: bye\n    max_retries: 2.5", ("menu", 14, "'max_retries' must be an integer")),
    ("fallback: bye", "fallback: bye\n    max_retries: yes", ("menu", 14, "'max_retries' must be an integer")),
    ('options: {"1": bye, "0": bye}', "options: {}",
     ("menu", 12, "'options' must be a non-empty mapping of key -> node id")),
    ("prompts: [welcome]", "prompts: [{id: welcome, voice: loud}]",
     ("hello", 7, "'prompts' must be a list of prompt ids (each an id or {id: ..., vars: {...}})")),
    ("prompts: [goodbye]", "prompts: [goodbye]\n    title: '  '",
     ("bye", 17, "'title' must be a text or a mapping of language -> text, e.g. {zh: 主菜单, en: Main menu}")),
])
def test_a_wrong_value_is_named_at_its_line(old: str, new: str, expected: tuple[str, int, str]) -> None:
    assert problems_of(GOOD.replace(old, new, 1)) == [expected]


def test_checks_across_fields_and_closed_vocabularies() -> None:
    collect = ("  ask:\n    type: collect\n    prompts: [main_menu]\n    var: x\n    min_digits: 6\n"
               "    max_digits: 4\n    next: bye\n  bye:\n")
    assert problems_of(GOOD.replace("  bye:\n", collect)) == [("ask", 15, "min_digits is larger than max_digits")]
    records = "  who:\n    type: records\n    op: delete_all\n    outcomes: {ok: bye}\n    default: bye\n  bye:\n"
    [(node, line, message)] = problems_of(GOOD.replace("  bye:\n", records))
    assert (node, line) == ("who", 16) and message.startswith("unknown records op 'delete_all'")


def test_top_level_problems() -> None:
    assert problems_of(GOOD.replace("format: 1", "format: 2")) == [
        (None, 1, "unsupported format; this engine reads format 1")]
    assert problems_of(GOOD + "colour: red\n") == [(None, 17, "unknown top-level key 'colour'")]
    assert problems_of(GOOD.replace("start: hello", "start: [hello]")) == [
        (None, 3, "'start' must name the first node")]


def test_the_graph_checks_read_the_kinds_declared_on_the_models() -> None:
    for ntype, model in NODE_MODELS.items():
        kinds = fields_of(model)
        assert "type" not in kinds, ntype
        required = [name for name, info in model.model_fields.items() if info.is_required() and name != "type"]
        assert list(kinds)[:len(required)] == required, ntype  # required fields first
    flow = load_flow(DEFAULT_FLOW.read_text(encoding="utf-8"))
    every_target = {t for n in flow.nodes.values() for _, t in targets(n)}
    assert every_target <= set(flow.nodes) and len(every_target) > 20
    menu = flow.nodes["main_menu"]
    assert {path[0] for path, _ in targets(menu)} <= {k for k, v in fields_of(MenuNode).items()
                                                     if v in (Kind.TARGET, Kind.TARGET_MAP)}
    assert next(pid for _, pid in prompt_fields(menu)) == "main_menu"


def test_settings_are_typed_and_closed() -> None:
    flow = load_flow(GOOD + "settings: {max_retries: 4, timeout_s: 7.5, fallback: bye}\n")
    assert (flow.settings.max_retries, flow.settings.timeout_s, flow.settings.fallback) == (4, 7.5, "bye")
    assert flow.settings.language == "zh"  # the default when a flow does not say
    assert problems_of(GOOD + "settings: {max_retry: 4}\n") == [(None, 17, "unknown setting 'max_retry'")]
    assert problems_of(GOOD + "settings: {timeout_s: soon}\n") == [
        (None, 17, "setting 'timeout_s' must be a number")]


def test_a_setting_naming_a_missing_node_is_a_dangling_target() -> None:
    from ivr.validate import errors, validate_text

    found = errors(validate_text(GOOD + "settings: {on_error: nowhere}\n"))
    assert [(p.code, p.message) for p in found] == [
        ("dangling_target", "setting 'on_error' goes to 'nowhere', which is not a node")]
