"""The platform's record view of one insured person, read through the mapping, plus its masked form."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Connection

from core.masking import mask_id, mask_name, mask_phone
from records.connector import CoreUnavailable, ReadOnlyCore
from records.mapping import PERSON_FIELDS, Mapping

log = logging.getLogger(__name__)

DETAIL_SECTIONS = ("pension", "medical", "settlements", "unemployment", "injury", "contributions",
                   "pension_payments")


@dataclass
class RecordView:
    person: dict[str, Any]
    sections: dict[str, Any] = field(default_factory=dict)

    @property
    def id_number(self) -> str:
        return str(self.person["id_number"])

    @property
    def province(self) -> str:
        return str(self.person["insured_province"])

    @property
    def mobile(self) -> str | None:
        return self.person.get("registered_mobile")

    def to_dict(self, *, masked: bool = True) -> dict[str, Any]:
        person = {k: v for k, v in self.person.items() if k != "person_key"}
        if masked:
            person = mask_person(person)
        return {"person": person, **{k: _json(v) for k, v in self.sections.items()}}


def mask_person(person: dict[str, Any]) -> dict[str, Any]:
    out = dict(person)
    out["name"] = mask_name(out.get("name"))
    out["id_number"] = mask_id(out.get("id_number"))
    out["registered_mobile"] = mask_phone(out.get("registered_mobile"))
    if out.get("birth_date"):
        out["birth_date"] = str(out["birth_date"])[:4] + "-**-**"
    return out


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list):
        return [_json(v) for v in value]
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    return value


def _yuan(fen: Any) -> Decimal | None:
    return None if fen is None else (Decimal(int(fen)) / 100).quantize(Decimal("0.01"))


class RecordReader:
    """Reads people and their records from the core system; raises CoreUnavailable on failure."""

    def __init__(self, core: ReadOnlyCore, mapping: Mapping) -> None:
        self.core = core
        self.mapping = mapping

    def person(self, id_number: str, conn: Connection | None = None) -> dict[str, Any] | None:
        rows = self._run("person", {"id_number": id_number}, conn)
        if not rows:
            return None
        missing = [f for f in PERSON_FIELDS if f not in rows[0]]
        if missing:  # a configuration error: logged loudly, answered like an outage
            log.error("the person query of %s lacks %s", self.mapping.source, missing)
            raise CoreUnavailable("mapping", f"the person query of {self.mapping.source} lacks {missing}")
        return rows[0]

    def view(self, id_number: str, sections: tuple[str, ...] = DETAIL_SECTIONS) -> RecordView | None:
        """One person's record, every section read on one connection (one consistent snapshot)."""
        with self.core.connect() as conn:
            person = self.person(id_number, conn)
            return None if person is None else self.fill(person, sections, conn)

    def fill(self, person: dict[str, Any], sections: tuple[str, ...] = DETAIL_SECTIONS,
             conn: Connection | None = None) -> RecordView:
        """The record view of a person already read with `person()`."""
        if conn is None:
            with self.core.connect() as own:
                return self.fill(person, sections, own)
        view = RecordView(person)
        for name in sections:
            rows = self._run(name, {"person_key": person["person_key"]}, conn)
            view.sections[name] = rows if self.mapping.section(name).many else (rows[0] if rows else None)
        return view

    def _run(self, name: str, params: dict[str, Any], conn: Connection | None) -> list[dict[str, Any]]:
        section = self.mapping.section(name)
        rows = self.core.fetch(section.sql, params, conn)
        for row in rows:
            for column in section.money:
                if column in row:
                    row[column] = _yuan(row[column])
        return rows
