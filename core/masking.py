"""Masking of personal data on screens, in SMS and in logs (张*三, 110105********002X, 139****1234)."""

from __future__ import annotations

import re


def mask_name(name: str | None) -> str:
    if not name:
        return ""
    if len(name) == 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_id(number: str | None) -> str:
    if not number:
        return ""
    if len(number) < 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def mask_phone(number: str | None) -> str:
    if not number:
        return ""
    digits = number[3:] if number.startswith("+86") else number
    if len(digits) == 11 and digits.startswith("1"):
        return digits[:3] + "****" + digits[-4:]
    if len(digits) > 7:
        return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
    return "*" * max(len(digits) - 2, 0) + digits[-2:]


_ID_RE = re.compile(r"(?<!\d)(\d{6})(\d{8})(\d{3}[\dXx])(?!\d)")
_MOBILE_RE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")


def scrub(text: str) -> str:
    """Mask ID and mobile numbers found anywhere in free text (for log lines)."""
    text = _ID_RE.sub(lambda m: m.group(1) + "********" + m.group(3), text)
    return _MOBILE_RE.sub(lambda m: m.group(1) + "****" + m.group(3), text)
