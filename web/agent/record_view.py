"""The insurance record as the agent reads it: every section and field labelled in the console's
language, money in 元 with two decimals, month counts as months (and years), codes translated.

The records service returns the mapping's field names (`records/mapping.yaml`); this module only
presents them. A field it does not know keeps its key as label, so a new column still shows up."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from core import provinces
from web.i18n import has, translate, translate_code

SECTION_ORDER = ("person", "pension", "pension_payments", "contributions", "medical", "settlements", "unemployment",
                 "injury")
# money columns per section (they arrive as yuan strings, e.g. "122400.29")
MONEY: dict[str, frozenset[str]] = {
    "pension": frozenset({"balance"}),
    "medical": frozenset({"balance"}),
    "settlements": frozenset({"total", "fund_paid", "self_paid"}),
    "unemployment": frozenset({"benefit_monthly"}),
    "injury": frozenset({"monthly_allowance"}),
    "contributions": frozenset({"base", "pension", "medical", "unemployment"}),
    "pension_payments": frozenset({"amount"}),
}
MONTH_COUNTS = frozenset({"contribution_months", "months_entitled", "months_paid"})
CODED = frozenset({"status"})  # values translated through record.value.<code>
ROWS_SHOWN = 6


@dataclass
class Field:
    key: str
    label: str
    value: str
    numeric: bool = False


@dataclass
class Section:
    key: str
    label: str
    fields: list[Field]  # a single record
    columns: list[Field]  # a list of records: the header (value unused)
    rows: list[list[Field]]
    more: int = 0  # rows not shown


def money(value: Any, lang: str, *, unit: bool = True) -> str:
    """"122400.29" → "122,400.29 元" (zh) / "¥122,400.29" (en); None → "—". Without the unit in
    table cells (the column header carries it)."""
    if value in (None, ""):
        return "—"
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except InvalidOperation:
        return str(value)
    if not unit:
        return f"{amount:,.2f}"
    return f"{amount:,.2f} 元" if lang == "zh" else f"¥{amount:,.2f}"


def months(value: Any, lang: str) -> str:
    """180 → "180 个月（15 年）" / "180 months (15 years)"; a remainder is kept: "27 个月（2 年 3 个月）"."""
    if value in (None, ""):
        return "—"
    try:
        n = int(value)
    except (TypeError, ValueError):
        return str(value)
    years, rest = divmod(n, 12)
    if lang == "zh":
        if years == 0:
            return f"{n} 个月"
        return f"{n} 个月（{years} 年{f' {rest} 个月' if rest else ''}）"
    if years == 0:
        return f"{n} month{'s' if n != 1 else ''}"
    return f"{n} months ({years} year{'s' if years != 1 else ''}{f' {rest} mo' if rest else ''})"


def label(section: str, key: str, lang: str) -> str:
    """A field's label: section-specific first (contributions.pension = 养老保险 not 养老金账户)."""
    for name in (f"record.{section}.{key}", f"record.field.{key}"):
        if has(name):
            return translate(name, lang)
    return key


def value(section: str, key: str, raw: Any, lang: str, *, in_table: bool = False) -> tuple[str, bool]:
    """A field's text and whether it is a number (right-aligned in tables)."""
    if key in MONEY.get(section, ()):
        return money(raw, lang, unit=not in_table), True
    if key in MONTH_COUNTS:
        return months(raw, lang), True
    if raw is None or raw == "":
        return "—", False
    if isinstance(raw, bool) or (key == "paid" and raw in (0, 1)):
        return (translate("record.value.yes", lang) if raw else translate("record.value.no", lang)), False
    if key == "insured_province":
        return provinces.name_of(str(raw), lang) or str(raw), False
    if key in CODED and has(f"record.value.{raw}"):
        return translate_code("record.value", raw, lang), False
    if key == "disability_grade":
        return (f"{raw} 级" if lang == "zh" else f"grade {raw}"), False
    return str(raw), isinstance(raw, int | float | Decimal)


def _fields(section: str, data: dict[str, Any], lang: str, *, in_table: bool = False) -> list[Field]:
    out = []
    for key, raw in data.items():
        text, numeric = value(section, key, raw, lang, in_table=in_table)
        out.append(Field(key, label(section, key, lang), text, numeric))
    return out


def present(record: dict[str, Any], lang: str) -> list[Section]:
    """The sections of `agent_view`'s fields in reading order, labelled and formatted."""
    keys = [k for k in SECTION_ORDER if k in record] + [k for k in record if k not in SECTION_ORDER]
    sections = []
    for key in keys:
        data = record[key]
        title = translate_code("record.section", key, lang)
        if isinstance(data, list):
            rows = [r for r in data if isinstance(r, dict)]
            unit, money_keys = ("（元）" if lang == "zh" else " (¥)"), MONEY.get(key, frozenset())
            columns = [Field(k, label(key, k, lang) + (unit if k in money_keys else ""), "", k in money_keys)
                       for k in (rows[0] if rows else {})]
            shown = [_fields(key, r, lang, in_table=True) for r in rows[:ROWS_SHOWN]]
            sections.append(Section(key, title, [], columns, shown, max(0, len(rows) - ROWS_SHOWN)))
        elif isinstance(data, dict):
            sections.append(Section(key, title, _fields(key, data, lang), [], []))
        else:
            sections.append(Section(key, title, [], [], []))
    return sections
