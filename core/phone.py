"""Phone-number helpers: normalise, classify, and where a number is registered (phonenumbers)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import phonenumbers
from phonenumbers import PhoneNumberType, carrier, geocoder

from core import provinces


class InvalidPhoneNumber(ValueError):
    pass


@dataclass(frozen=True)
class PhoneInfo:
    e164: str
    national: str  # digits as dialled inside China, e.g. 13800138000 or 01088886666
    kind: str  # "mobile", "landline", "other"
    location: str  # e.g. "广东省广州市", "" when unknown
    province_code: str | None
    carrier: str


_SERVICE_NUMBERS = {"12333", "12345", "110", "119", "120"}


def parse(raw: str) -> PhoneInfo:
    """Parse a Chinese number as a caller ID or user input; raise InvalidPhoneNumber."""
    return _parse(raw)


@functools.lru_cache(maxsize=8192)
def _parse(raw: str) -> PhoneInfo:
    """phonenumbers' parse, validation, geocoding and carrier look-up cost about 0.1 ms, and a call
    asks several times about its caller's number (routing, blocklist, hours): the answers (frozen)
    are kept for the most recent numbers. Invalid numbers raise each time."""
    text = "".join(ch for ch in raw if ch.isdigit() or ch == "+")
    if not text:
        raise InvalidPhoneNumber("电话号码为空")
    if text.startswith("0086"):
        text = "+86" + text[4:]
    try:
        num = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhoneNumber(f"无法识别的电话号码: {exc}") from None
    if not phonenumbers.is_valid_number(num):
        raise InvalidPhoneNumber("无效的电话号码")
    ntype = phonenumbers.number_type(num)
    kind = {
        PhoneNumberType.MOBILE: "mobile",
        PhoneNumberType.FIXED_LINE: "landline",
        PhoneNumberType.FIXED_LINE_OR_MOBILE: "mobile",
    }.get(ntype, "other")
    location = geocoder.description_for_number(num, "zh") if num.country_code == 86 else ""
    national = phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.NATIONAL)
    national = "".join(ch for ch in national if ch.isdigit())
    return PhoneInfo(
        e164=phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164),
        national=national,
        kind=kind,
        location=location,
        province_code=provinces.code_for_name(location) if location else None,
        carrier=carrier.name_for_number(num, "zh") or "",
    )


def try_parse(raw: str | None) -> PhoneInfo | None:
    if not raw or raw.strip() in _SERVICE_NUMBERS:
        return None
    try:
        return parse(raw)
    except InvalidPhoneNumber:
        return None


def province_of(raw: str | None) -> str | None:
    """Province where the number is registered (not where the person is insured)."""
    info = try_parse(raw)
    return info.province_code if info else None


def is_mobile(raw: str) -> bool:
    info = try_parse(raw)
    return bool(info and info.kind == "mobile")
