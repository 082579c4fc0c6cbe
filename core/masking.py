"""Masking of personal data on screens, in SMS and in logs (张*三, 110105********002X, 139****1234)."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable
from typing import Any


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


# Personal numbers in free text. A number counts only when it stands alone (no letter or digit
# touches it), so hex call ids, message ids and hashes are left alone.
_B = r"(?<![0-9A-Za-z])"
_E = r"(?![0-9A-Za-z])"
_ID_RE = re.compile(_B + r"(\d{6})(\d{8})(\d{3}[\dXx])" + _E)
_ID15_RE = re.compile(_B + r"(\d{6})(\d{5})(\d{4})" + _E)
_CARD_RE = re.compile(_B + r"(\d{4}(?:[ -]?\d{4}){2,3}[ -]?\d{0,3})" + _E)
_MOBILE_RE = re.compile(_B + r"((?:\+?86[ -]?)?1[3-9]\d)[ -]?(\d{4})[ -]?(\d{4})" + _E)
_LANDLINE_RE = re.compile(_B + r"(0\d{2,3})[ -]?(\d{3,4})[ -]?(\d{4})" + _E)
_DIGIT_RE = re.compile(r"\d")
_RUN_RE = re.compile(r"[\dA-Za-z+ -]{10,}")  # where a personal number can stand (has_personal_number)


_FEWEST_DIGITS = 10  # no personal-number pattern matches fewer (a landline: 3 + 3 + 4)


def _enough_digits(text: str) -> bool:
    return len(_DIGIT_RE.findall(text)) >= _FEWEST_DIGITS


def _card(m: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", m.group(1))
    if not 16 <= len(digits) <= 19:
        return m.group(0)
    return "*" * (len(digits) - 4) + digits[-4:]


# Texts scrubbing left unchanged, remembered so the same prompt or answer text is not checked again on
# every call: only texts holding no personal number (nothing personal is kept), up to _CLEAN_MAX_LEN
# characters each and _CLEAN_MAX texts (then started afresh). Scrubbing is a pure function of the text.
_CLEAN: dict[str, None] = {}
_CLEAN_MAX = 4096
_CLEAN_MAX_LEN = 1000


def _remember_clean(text: str) -> None:
    if _FEWEST_DIGITS <= len(text) <= _CLEAN_MAX_LEN:
        if len(_CLEAN) >= _CLEAN_MAX:
            _CLEAN.clear()
        _CLEAN[text] = None


def scrub(text: str) -> str:
    """Mask the personal numbers found anywhere in free text: 18- and 15-digit ID numbers, mobiles
    (with or without +86), landlines with an area code and bank-card-like runs of 16 to 19 digits.

    This is the one scrubber the platform applies where free text enters (speech, SMS, knowledge
    queries, ticket text, events, log lines), so what is stored, logged or published carries no
    full personal number."""
    # Every pattern needs 10 digits at least (a landline: 3 + 3 + 4), so a text with fewer is left as
    # it is: most texts (prompts with a "12333" or a time in them, ids like "s1321") are.
    if len(text or "") < _FEWEST_DIGITS or text in _CLEAN:
        return text
    if not _enough_digits(text):
        _remember_clean(text)
        return text
    given = text
    text = _ID_RE.sub(lambda m: m.group(1) + "********" + m.group(3), text)
    text = _ID15_RE.sub(lambda m: m.group(1) + "*****" + m.group(3), text)
    text = _MOBILE_RE.sub(lambda m: m.group(1) + "****" + m.group(3), text)
    text = _CARD_RE.sub(_card, text)
    text = _LANDLINE_RE.sub(lambda m: m.group(1) + "-****" + m.group(3), text)
    if text == given:
        _remember_clean(given)
    return text


def has_personal_number(text: str) -> bool:
    """Whether `scrub(text)` would change `text`, without running its five patterns over all of it.

    Every character a personal-number pattern matches is a digit, a letter X, "+", a space or a
    hyphen, and none matches fewer than 10 digits. So a match, and the characters its look-arounds
    see, lie inside one run of such characters, and only the runs holding 10 digits or more need
    scrubbing to know: most of a call's text (Chinese) is never scanned."""
    return any(_enough_digits(run) and scrub(run) != run for run in _RUN_RE.findall(text))


_SCALARS = frozenset({int, float, bool, type(None)})


def scrub_data(value: Any) -> Any:
    """`scrub` applied to every string inside a JSON-like value (events, call-log entries)."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):  # most values are flat: strings and numbers handled without recursing,
        # and a string too short to hold a personal number (most: ids, names, codes) without a call
        return {k: (scrub(v) if len(v) >= _FEWEST_DIGITS else v) if type(v) is str
                else v if type(v) in _SCALARS else scrub_data(v) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub_data(v) for v in value]
    if isinstance(value, tuple):
        return tuple(scrub_data(v) for v in value)
    return value


def scrub_records(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """`scrub_data` over flat records (a call's events and inputs), checking all their strings in one
    pass first. Usually nothing needs masking, and the records come back as they are (the same dict
    objects in a new list); otherwise each is scrubbed as `scrub_data` would. The strings are joined
    with a newline, which no pattern crosses, so the check finds exactly what scrubbing them one by
    one would."""
    rows = list(rows)
    texts: list[str] = []
    for row in rows:
        for value in row.values():
            if isinstance(value, str):
                if len(value) >= _FEWEST_DIGITS and value not in _CLEAN:
                    texts.append(value)
            elif isinstance(value, dict | list | tuple):
                _strings_in(value, texts)
    if not texts:
        return rows
    if has_personal_number("\n".join(texts)):
        return [scrub_data(r) for r in rows]
    for text in texts:
        _remember_clean(text)
    return rows


def _strings_in(value: Any, out: list[str]) -> None:
    if isinstance(value, str):
        out.append(value)
    elif isinstance(value, dict):
        for item in value.values():
            _strings_in(item, out)
    elif isinstance(value, list | tuple):
        for item in value:
            _strings_in(item, out)


def keyed_hash(secret: str, purpose: str, value: str, length: int = 16) -> str:
    """Stands for a personal number in store keys and session ids: HMAC-SHA256 under the node's
    secret, so the same number maps to the same key on every node and to nothing readable."""
    digest = hmac.new((secret or "hotline").encode(), f"{purpose}|{value}".encode(), hashlib.sha256)
    return digest.hexdigest()[:length]
