"""Validators for collected digits. Each returns (value to store, None) or (None, reason prompt id)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from core import citizen_id, phone, provinces

Outcome = tuple[str | None, str | None]


def validate_citizen_id(raw: str) -> Outcome:
    """18 digits with a valid check digit; `*` on the keypad stands for X."""
    try:
        return citizen_id.parse(raw).number, None
    except citizen_id.InvalidCitizenId as exc:
        return None, {"checksum": "invalid_id_checksum", "length": "invalid_id_length",
                      "legacy_15": "invalid_id_legacy"}.get(exc.reason, "invalid_id")


def validate_password6(raw: str) -> Outcome:
    return (raw, None) if len(raw) == 6 and raw.isdigit() else (None, "invalid_password")


def validate_phone(raw: str) -> Outcome:
    info = phone.try_parse(raw)
    return (info.national, None) if info else (None, "invalid_phone")


def validate_date(raw: str) -> Outcome:
    """YYYYMMDD, a real calendar date."""
    if len(raw) != 8 or not raw.isdigit():
        return None, "invalid_date"
    try:
        return date(int(raw[:4]), int(raw[4:6]), int(raw[6:])).isoformat(), None
    except ValueError:
        return None, "invalid_date"


def validate_digits(raw: str) -> Outcome:
    return (raw, None) if raw.isdigit() else (None, "invalid_input")


def validate_province(raw: str) -> Outcome:
    """A long-distance area code (010, 020, 0755 ...) or a two-digit GB/T 2260 province code."""
    if raw.startswith("0") and 3 <= len(raw) <= 4:
        # A landline in that area code tells the province (phonenumbers' geocoder); local numbers
        # are 7 or 8 digits, so try both lengths.
        for local in ("23456789", "2345678", "45678901", "4567890"):
            code = phone.province_of(raw + local)
            if code:
                return code, None
        return None, "invalid_province"
    info = provinces.lookup(raw) if len(raw) == 2 else None
    if info is not None and info.has_center and raw != provinces.NATIONAL:
        return raw, None
    return None, "invalid_province"


VALIDATORS: dict[str, Callable[[str], Outcome]] = {
    "citizen_id": validate_citizen_id, "password6": validate_password6, "phone": validate_phone,
    "date": validate_date, "digits": validate_digits, "province": validate_province,
}
