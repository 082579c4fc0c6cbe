"""Every event is declared (core/events.py: `DomainEvent`): no product module puts a string-typed event
on the bus (`bus.publish("type", ...)`, `bus.publish(name, **data)`), every declared class lives in its
home's `events.py`, and every declared type is either one the console shows (a prefix in
web/sse.py: TYPE_ROLES) or listed below as internal (consumed by nodes and adapters, never streamed)."""

from __future__ import annotations

import ast
import importlib
from dataclasses import fields
from pathlib import Path

from core.events import DomainEvent
from web.sse import TYPE_ROLES

ROOT = Path(__file__).resolve().parent.parent

#: Declared types the console never shows (no TYPE_ROLES prefix matches them): a new one is added here
#: on purpose, or given a prefix there.
INTERNAL = frozenset({
    "ivr.flow.live",                                  # nodes drop their live-flow snapshot
    "switch.block.added", "switch.block.lifted",      # nodes drop their blocklist snapshot
    "record.lookup",                                  # audited; statistics
    "recording.started", "recording.stored", "recording.purged",
    "recording.paused", "recording.resumed",          # the channel adapters pause the live recording
    "qa.review.completed",
    "supervisor.monitor",                             # the Asterisk adapter rings the supervisor
})


def _product_files() -> list[Path]:
    skip = {"tests"}
    return sorted(p for p in ROOT.rglob("*.py")
                  if not any(part.startswith(".") or part in skip for part in p.relative_to(ROOT).parts))


def _receiver_name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _string_typed_bus_calls(path: Path) -> list[str]:
    """`<...>.bus.publish(...)` / `_bus.publish(...)` whatever the arguments, and any `.publish("...")`
    or `.publish(f"...")` (flow publishing, `ivr.publish(text, entry)`, takes no literal)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "publish"):
            continue
        on_bus = _receiver_name(node.func.value).lstrip("_").endswith("bus")
        literal = bool(node.args) and isinstance(node.args[0], ast.Constant | ast.JoinedStr)
        if on_bus or literal:
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_no_product_module_publishes_a_string_typed_event() -> None:
    calls = [where for path in _product_files() for where in _string_typed_bus_calls(path)]
    assert calls == [], f"emit a declared event instead (bus.emit(SomeEvent(...))): {calls}"


def _declared() -> dict[str, type[DomainEvent]]:
    """Every declared event class of the product (each module that names DomainEvent imported)."""
    modules = []
    for path in _product_files():
        if path == ROOT / "core" / "events.py" or "DomainEvent" not in path.read_text(encoding="utf-8"):
            continue
        modules.append(importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts)))
    names = {m.__name__ for m in modules}
    found: dict[str, type[DomainEvent]] = {}
    todo = list(DomainEvent.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        name = cls.__dict__.get("type")
        if name and cls.__module__ in names:
            assert name not in found or found[name] is cls, f"{name} declared by {found[name]} and {cls}"
            found[name] = cls
    return found


def test_events_are_declared_in_their_homes_events_module() -> None:
    declared = _declared()
    assert declared, "no declared events found"
    misplaced = {name: cls.__module__ for name, cls in declared.items() if cls.__module__.split(".")[1:] != ["events"]}
    assert misplaced == {}, "declare events in <home>/events.py"


def test_every_declared_type_is_shown_by_the_console_or_listed_internal() -> None:
    prefixes = tuple(prefix for prefix, _ in TYPE_ROLES)
    declared = _declared()
    unplaced = sorted(name for name in declared if not name.startswith(prefixes) and name not in INTERNAL)
    assert unplaced == [], "give these a prefix in web/sse.py: TYPE_ROLES or list them in INTERNAL"
    assert sorted(name for name in INTERNAL if name.startswith(prefixes)) == [], "INTERNAL types the console shows"
    assert sorted(INTERNAL - set(declared)) == [], "INTERNAL names no declared event"


#: field names that hold a personal number wherever they occur (what web/sse.py masked by name before
#: the declarations said so), and the kind each must be declared as
PERSONAL_FIELDS = {**dict.fromkeys(("caller", "number", "to", "from_number", "callback_number", "sender"), "phone"),
                   **dict.fromkeys(("id_number", "verified_id", "subject"), "id")}


def test_fields_named_like_personal_numbers_are_declared_masked() -> None:
    unmarked = sorted(f"{name}.{f.name}" for name, cls in _declared().items() for f in fields(cls)
                      if f.name in PERSONAL_FIELDS and f.metadata.get("pii") != PERSONAL_FIELDS[f.name])
    assert unmarked == [], "declare them with phone_field() / id_field()"


def test_event_ids_are_unique_and_differ_in_a_forked_child() -> None:
    """Ids come from a seeded generator (a syscall each cost more than the event): unique, 128 bits,
    and a forked child is reseeded, so two worker processes never hand out the same sequence."""
    import os

    from core.events import _event_id

    ids = {_event_id() for _ in range(20_000)}
    assert len(ids) == 20_000 and all(len(i) == 32 and int(i, 16) >= 0 for i in list(ids)[:100])
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next id, to the parent
        os.write(write, _event_id().encode())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    child = os.read(read, 64).decode()
    os.close(read)
    assert len(child) == 32 and child != _event_id()
