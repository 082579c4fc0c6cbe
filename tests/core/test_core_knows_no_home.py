"""The core knows no home: no module under core/ imports one, nor names one to an import function.

The composition root that knows the homes is hotline/ (hotline/homes.py)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "core"
HOMES = {"agents", "switch", "knowledge", "records", "tickets", "sms", "recordings", "qa", "ivr", "web", "hotline",
         "bench", "tests"}
IMPORT_FUNCS = {"import_module", "__import__", "find_spec", "optional_import", "spec_from_file_location",
                "run_module"}


def _names_a_home(value: str) -> bool:
    return value.split(".")[0].split(":")[0] in HOMES


def _func_name(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def violations(source: str, filename: str) -> list[str]:
    found: list[str] = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Import):
            found += [f"{filename}:{node.lineno} import {a.name}" for a in node.names if _names_a_home(a.name)]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and _names_a_home(node.module):
            found.append(f"{filename}:{node.lineno} from {node.module} import ...")
        elif isinstance(node, ast.Call) and _func_name(node.func) in IMPORT_FUNCS and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and _names_a_home(arg.value):
                found.append(f"{filename}:{node.lineno} {_func_name(node.func)}({arg.value!r})")
            elif isinstance(arg, ast.JoinedStr):
                # a module name built at run time (f"{home}.wiring"): the core must not load homes by name
                found.append(f"{filename}:{node.lineno} {_func_name(node.func)}(f-string)")
    return found


def core_modules() -> list[Path]:
    return sorted(CORE.rglob("*.py"))


def test_core_has_modules() -> None:
    assert len(core_modules()) > 10


def test_no_module_under_core_imports_or_loads_a_home() -> None:
    found: list[str] = []
    for path in core_modules():
        found += violations(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    assert found == [], "core/ must know no home:\n" + "\n".join(found)


@pytest.mark.parametrize("source", [
    "import agents.domain",
    "from web.app import create_app",
    "from hotline import homes",
    "import importlib\nimportlib.import_module('knowledge.wiring')",
    "from importlib import import_module\nimport_module(f'{home}.runtime')",
    "import importlib.util\nimportlib.util.find_spec('ivr.cli')",
])
def test_the_check_catches(source: str) -> None:
    assert violations(source, "x.py")


def test_the_check_lets_core_and_libraries_pass() -> None:
    assert violations("import json\nfrom core.db import Base\nimport importlib\nimportlib.import_module('yaml')",
                      "x.py") == []
