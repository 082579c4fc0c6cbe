"""Helpers for the switch tests: valid citizen IDs for a province and birth date."""

from __future__ import annotations

from core.citizen_id import check_digit


def make_id(province: str, birth: str = "19850612", seq: str = "123") -> str:
    first17 = f"{province}0106{birth}{seq}"
    return first17 + check_digit(first17)
