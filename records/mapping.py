"""Loads `records/mapping.yaml`, the one place that maps the core system's tables to the record view."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

DEFAULT_PATH = Path(__file__).with_name("mapping.yaml")
SECTIONS = ("person", "pension", "medical", "settlements", "unemployment", "injury", "contributions",
            "pension_payments")
PERSON_FIELDS = ("person_key", "id_number", "name", "registered_mobile", "insured_province", "insured_city",
                 "status", "birth_date")


class MappingError(ValueError):
    pass


@dataclass(frozen=True)
class Section:
    name: str
    sql: str
    many: bool
    money: tuple[str, ...]


@dataclass(frozen=True)
class Mapping:
    sections: dict[str, Section]
    probe_table: str
    source: str

    def section(self, name: str) -> Section:
        return self.sections[name]


def load(path: str | Path | None = None) -> Mapping:
    path = Path(path) if path else DEFAULT_PATH
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise MappingError(f"cannot read records mapping {path}: {error}") from error
    if not isinstance(raw, dict) or not isinstance(raw.get("sections"), dict):
        raise MappingError(f"{path}: expected a 'sections' mapping")
    sections: dict[str, Section] = {}
    for name in SECTIONS:
        spec = raw["sections"].get(name)
        if not isinstance(spec, dict) or not str(spec.get("sql", "")).strip():
            raise MappingError(f"{path}: section {name!r} needs an 'sql' query")
        sql = " ".join(str(spec["sql"]).split())
        if not sql.upper().startswith("SELECT"):
            raise MappingError(f"{path}: section {name!r} must be a SELECT")
        param = ":id_number" if name == "person" else ":person_key"
        if param not in sql:
            raise MappingError(f"{path}: section {name!r} must use the parameter {param}")
        sections[name] = Section(name, sql, bool(spec.get("many", False)), tuple(spec.get("money") or ()))
    return Mapping(sections, str(raw.get("probe_table", "insured_person")), str(path))
