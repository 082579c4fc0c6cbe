"""The flow validator: each class of error, with its location; the CLI's exit code."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from hotline.cli import main
from ivr.flow import FlowError, load_flow, targets
from ivr.service import DEFAULT_FLOW
from ivr.validate import errors, validate_text

GOOD = """\
format: 1
name: small
start: hello
nodes:
  hello:
    type: play
    prompts: [welcome]
    next: menu
  menu:
    type: menu
    prompts: [main_menu]
    options: {"1": bye, "0": bye}
    fallback: bye
  bye:
    type: hangup
    prompts: [goodbye]
"""


def codes(text: str) -> list[tuple[str, str | None, int | None]]:
    return [(p.code, p.node, p.line) for p in errors(validate_text(textwrap.dedent(text)))]


def test_default_flow_is_clean() -> None:
    problems = validate_text(DEFAULT_FLOW.read_text(encoding="utf-8"))
    assert problems == []
    flow = load_flow(DEFAULT_FLOW.read_text(encoding="utf-8"))
    menus = [n for n in flow.nodes.values() if n.type == "menu"]
    assert len(menus) >= 10 and all(n.spec["options"].get("0") for n in menus)  # 0 from every menu


def test_small_flow_is_clean() -> None:
    assert codes(GOOD) == []


def test_dangling_target_names_node_and_line() -> None:
    assert codes(GOOD.replace('"1": bye', '"1": byee')) == [("dangling_target", "menu", 12)]


def test_missing_prompt() -> None:
    assert codes(GOOD.replace("[welcome]", "[welcom]")) == [("missing_prompt", "hello", 7)]


def test_unreachable_node() -> None:
    text = GOOD + "  lonely:\n    type: hangup\n"
    assert codes(text) == [("unreachable", "lonely", 18)]


def test_loop_without_exit() -> None:
    text = GOOD.replace('options: {"1": bye, "0": bye}', 'options: {"1": trap, "0": bye}') + (
        "  trap:\n"
        "    type: menu\n"
        "    prompts: [main_menu]\n"
        "    options: {\"1\": trap2, \"0\": trap2}\n"
        "    fallback: trap2\n"
        "  trap2: {type: menu, prompts: [main_menu], options: {\"0\": trap}, fallback: trap}\n")
    assert codes(text) == [("trap_loop", "trap", 18)]


def test_loop_that_never_waits() -> None:
    text = GOOD.replace("next: menu", "next: a") + "  a: {type: set, vars: {x: 1}, next: b}\n" \
        "  b: {type: set, vars: {x: 2}, next: a}\n"
    found = {c for c, _, _ in codes(text)}
    assert {"busy_loop", "trap_loop"} <= found


def test_schema_errors_with_lines() -> None:
    text = GOOD.replace("type: hangup", "type: hangoff")
    assert codes(text) == [("schema", "bye", 15)]
    problems = errors(validate_text(GOOD.replace("    fallback: bye\n", "    fallback: bye\n    colour: red\n")))
    assert problems[0].line == 14 and "unknown field 'colour'" in problems[0].message
    problems = errors(validate_text(GOOD.replace("    prompts: [welcome]\n", "")))
    assert problems[0].node == "hello" and "needs 'prompts'" in problems[0].message


def test_bad_validator_and_yaml_error() -> None:
    text = GOOD.replace("  bye:\n", "  ask:\n    type: collect\n    prompts: [main_menu]\n    var: x\n"
                        "    validator: iban\n    next: bye\n  bye:\n")
    assert any("unknown validator 'iban'" in p.message for p in errors(validate_text(text)))
    problems = validate_text("start: a\nnodes: {a: [unclosed\n")
    assert problems[0].code == "yaml" and problems[0].line == 3


def test_no_agent_key_is_a_warning() -> None:
    problems = validate_text(GOOD.replace(', "0": bye', ""))
    assert [(p.severity, p.code) for p in problems] == [("warning", "no_agent_key")]


def test_load_flow_raises_with_every_error() -> None:
    with pytest.raises(FlowError) as info:
        load_flow(GOOD.replace("type: play", "type: sing").replace("type: hangup", "type: ring"))
    assert len(info.value.problems) == 2


def test_targets_of_a_branch() -> None:
    flow = load_flow(DEFAULT_FLOW.read_text(encoding="utf-8"))
    assert [t for _, t in targets(flow.nodes["hours_check"])] == [
        "emergency_notice", "holiday_notice", "after_hours_notice", "main_menu"]


def test_cli_validate(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text(GOOD, encoding="utf-8")
    bad.write_text(GOOD.replace('"1": bye', '"1": nowhere'), encoding="utf-8")
    runner = CliRunner()
    ok = runner.invoke(main, ["flow", "validate", str(good)])
    assert ok.exit_code == 0 and "OK" in ok.output
    fail = runner.invoke(main, ["flow", "validate", str(bad)])
    assert fail.exit_code == 1
    assert f"{bad}:12: error: node menu: 'options.1' goes to 'nowhere', which is not a node [dangling_target]" \
        in fail.output


def test_agent_more_than_two_menus_away_is_a_warning() -> None:
    from ivr.validate import agent_depth, check_graph

    flow = load_flow(DEFAULT_FLOW.read_text(encoding="utf-8"))
    graph = {n.id: [t for _, t in targets(n) if t in flow.nodes] for n in flow.nodes.values()}
    depth = agent_depth(flow, graph)
    assert depth["main_menu"] == 1 and depth["pension_menu"] == 1 and max(depth.values()) <= 2
    deep = GOOD.replace('"0": bye', '"0": m2') + (
        "  m2: {type: menu, prompts: [main_menu], options: {\"0\": m3}, fallback: bye}\n"
        "  m3: {type: menu, prompts: [main_menu], options: {\"0\": r}, fallback: bye}\n"
        "  r: {type: route, next: bye, closed: bye, fallback: bye}\n")
    warnings = [(p.code, p.node) for p in check_graph(load_flow(deep), None) if p.severity == "warning"]
    assert ("deep_agent", "menu") in warnings and ("deep_agent", "m2") not in warnings


def test_every_default_node_has_a_short_title_in_both_languages() -> None:
    flow = load_flow(DEFAULT_FLOW.read_text(encoding="utf-8"))
    untitled = [n.id for n in flow.nodes.values() if not (isinstance(n.spec.get("title"), dict)
                                                         and n.spec["title"].get("zh") and n.spec["title"].get("en"))]
    assert untitled == []
    assert flow.node("main_menu").title("zh") == "主菜单" and flow.node("main_menu").title("en") == "Main menu"
    assert flow.node("main_menu").title("fr") == "主菜单"  # another language falls back to Chinese


def test_title_must_be_text_or_texts_by_language() -> None:
    assert codes(GOOD.replace("    type: play\n", "    type: play\n    title: 问候\n")) == []
    assert codes(GOOD.replace("    type: play\n", "    type: play\n    title: {zh: 问候, en: Hello}\n")) == []
    assert codes(GOOD.replace("    type: play\n", "    type: play\n    title: 12\n")) == [("schema", "hello", 7)]
    assert codes(GOOD.replace("    type: play\n", "    type: play\n    title: {zh: ''}\n")) == [("schema", "hello", 7)]
    assert load_flow(GOOD).node("hello").title() is None


def test_path_labels_use_the_flow_version_the_call_ran(ivr) -> None:  # type: ignore[no-untyped-def]
    titled = GOOD.replace("    type: play\n", "    type: play\n    title: {zh: 问候, en: Hello}\n")
    v2 = ivr.publish(titled, "12333", by="test")
    assert v2.version == 2
    assert ivr.path_labels(["hello", "menu", "welcome"], entry="12333", flow_version=2, lang="en") == [
        "Hello", "menu", "welcome"]
    assert ivr.path_labels(["hello", "welcome", "main_menu"], entry="12333", flow_version=1) == [
        "hello", "欢迎语", "主菜单"]
    assert ivr.path_labels(["hello"], entry="12333") == ["问候"]  # no version: the live one
    assert ivr.path_labels(["main_menu"], entry="99999", flow_version=7) == ["主菜单"]  # unknown: the default flow
    assert ivr.path_labels([], entry="12333") == []


def test_cli_validates_the_titled_default_flow() -> None:
    result = CliRunner().invoke(main, ["flow", "validate", str(DEFAULT_FLOW)])
    assert result.exit_code == 0, result.output
