"""docs/architecture.md, "Homes and the direction of dependencies", is true to the code: the homes
each home's product modules import (plus, for the composition root, the homes its registry names) are
exactly the homes its row lists, in both directions."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from hotline import homes

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "architecture.md"
SECTION = "## Homes and the direction of dependencies"


def table() -> dict[str, set[str]]:
    """home -> the homes its row says it depends on."""
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index(SECTION):]
    section = section[:section.index("\n## ", 1)]
    rows: dict[str, set[str]] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        match = re.fullmatch(r"`(\w+)/`", cells[0]) if len(cells) >= 3 else None
        if not match:
            continue
        depends = re.sub(r"\([^()]*\)", "", cells[-1])  # notes in parentheses say why, not what
        names = {n.strip().strip("`").rstrip("/") for n in depends.split(",")}
        rows[match.group(1)] = {n for n in names if n and n != "libraries only"}
    return rows


def all_homes() -> set[str]:
    return {h.name for h in homes.HOMES} | {"hotline"}


def imported_homes(home: str) -> dict[str, list[str]]:
    """The other homes the product modules of `home` import (anywhere in a module), with where."""
    found: dict[str, list[str]] = {}
    for path in sorted((ROOT / home).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top in all_homes() and top != home:
                    found.setdefault(top, []).append(f"{path.relative_to(ROOT)}:{node.lineno} {name}")
    return found


def real_dependencies(home: str) -> dict[str, list[str]]:
    found = imported_homes(home)
    if home == "hotline":  # the composition root also loads every home the registry names
        for entry in homes.HOMES:
            for module in entry.modules():
                found.setdefault(module.split(".")[0], []).append(f"hotline/homes.py {module}")
    found.pop(home, None)
    return found


def test_the_table_lists_every_home_once() -> None:
    assert set(table()) == all_homes()


@pytest.mark.parametrize("home", sorted(all_homes()))
def test_the_row_of_a_home_is_what_its_code_imports(home: str) -> None:
    listed = table()[home]
    real = real_dependencies(home)
    unlisted = {dep: where[:3] for dep, where in real.items() if dep not in listed}
    assert not unlisted, f"{home}/ imports homes its row in docs/architecture.md does not list: {unlisted}"
    unused = listed - set(real)
    assert not unused, f"the row of {home}/ lists {sorted(unused)}, which its code does not import"


def test_no_product_module_imports_the_tests_or_the_benchmarks() -> None:
    found: list[str] = []
    for home in sorted(all_homes()):
        for path in sorted((ROOT / home).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                found += [f"{path.relative_to(ROOT)}:{node.lineno} {n}" for n in names
                          if n.split(".")[0] in ("tests", "bench")]
    # the one exception: the `hotline bench` command loads bench/ by name, from a checkout, when it runs
    assert found == [], found
