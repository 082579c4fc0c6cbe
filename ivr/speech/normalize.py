"""Chinese text normalisation for speech: what a TTS engine should say for what the platform writes.

A synthesiser reads `122400.29元` as a string of digits, `2026-11-24` as a subtraction and `44010619880315003X`
as a huge number. `speakable(text, lang)` rewrites a prompt so that any engine says it the way a 12333 agent
would: money in 元角分, dates as 年月日, times as 点分, percentages, counts and decimals in Chinese numerals
(cn2an), ID numbers, phone numbers and codes digit by digit (1 as 幺, X as 叉), a few Latin abbreviations of
the domain in Chinese. Markup, URLs and emoji are dropped. It never raises: text it does not understand is
passed through.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable

import cn2an

DIGIT_ZH = dict(zip("0123456789", "零一二三四五六七八九", strict=True))
PHONE_DIGIT_ZH = {**DIGIT_ZH, "1": "幺"}

# Latin abbreviations seen in the knowledge base and records, read in Chinese (longest first).
ABBREVIATIONS: dict[str, str] = {
    "APP": "应用程序", "App": "应用程序", "app": "应用程序",
    "SMS": "短信", "OTP": "验证码", "PIN": "密码",
    "ID": "身份证", "CA": "数字证书", "VIP": "贵宾",
    "e社保": "电子社保", "E社保": "电子社保",
    "QQ": "Q Q", "WiFi": "无线网络", "Wi-Fi": "无线网络",
}
EN_ABBREVIATIONS: dict[str, str] = {"12333": "1 2 3 3 3"}

_TAG = re.compile(r"<[^>]{0,200}>")
_MD_LINK = re.compile(r"\[([^\]]{0,200})\]\([^)]{0,500}\)")
_URL = re.compile(r"(?:https?://|www\.)[^\s\u3000-\u303f\uff00-\uffef]+", re.I)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
_MD_MARK = re.compile(r"(\*\*|__|`+|^#{1,6}\s*|^\s*[-*+]\s+|^\s*>\s*)", re.M)
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")
_SPACES = re.compile(r"[ \t\r\f\v]+")

_ID = re.compile(r"(?<![\dA-Za-z])(\d{17}[\dXx]|\d{15})(?![\dA-Za-z])")
_SPACED_DIGITS = re.compile(r"(?<![\d.])((?:[\dXx*] ){3,}[\dXx*])(?![\d.])")
_MOBILE = re.compile(r"(?<!\d)(\+?86[- ]?)?(1[3-9]\d[- ]?\d{4}[- ]?\d{4})(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)(0\d{2,3})[-－ ](\d{7,8})(?!\d)")
_SERVICE_NO = re.compile(r"(?<!\d)(12333|95\d{3}|400[- ]?\d{3}[- ]?\d{4})(?!\d)")
_DATE_FULL = re.compile(r"(?<!\d)(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})(?:日|号)?(?!\d)")
_YEAR_MONTH = re.compile(r"(?<!\d)(\d{4})(?:年|[-/.])(\d{1,2})月?(?![\d.])")
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?=年)")
_TIME = re.compile(r"(?<!\d)([01]?\d|2[0-3])[:：]([0-5]\d)(?!\d)")
_MONEY = re.compile(r"(?:[¥￥]\s*(\d[\d,]*(?:\.\d+)?)|(\d[\d,]*(?:\.\d+)?)\s*(万|亿)?\s*元)")
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*[%％]")
_PERMILLE = re.compile(r"(\d+(?:\.\d+)?)\s*‰")
_RANGE = re.compile(r"(?<=\d)\s*[-~～至]\s*(?=\d)")
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
_KEEP = re.compile(r"[^\w\s\u3000-\u303f\uff00-\uffef，。！？；：、“”‘’（）《》·.,!?;:'\"()\-]")


def digits_zh(value: str, *, phone: bool = False) -> str:
    """'11010519491231002X' -> 幺幺零幺零五…叉 (phone style) or 一一零… ; `*` is read as 星."""
    table = PHONE_DIGIT_ZH if phone else DIGIT_ZH
    out = []
    for ch in value:
        if ch in table:
            out.append(table[ch])
        elif ch in "Xx":
            out.append("叉")
        elif ch == "*":
            out.append("星")
        elif ch == "#":
            out.append("井")
    return "".join(out)


def number_zh(value: str) -> str:
    """'122400' -> 十二万二千四百; '20.5' -> 二十点五; '0.29' -> 零点二九 (cn2an)."""
    value = value.replace(",", "")
    try:
        return str(cn2an.an2cn(value, "low"))
    except Exception:  # noqa: BLE001 - cn2an raises ValueError and others on odd input
        return digits_zh(value)


def money_zh(value: str) -> str:
    """'122400.29' -> 十二万二千四百元二角九分; '0.05' -> 五分; '3000' -> 三千元."""
    value = value.replace(",", "")
    whole, _, frac = value.partition(".")
    frac = (frac + "00")[:2]
    jiao, fen = frac[0], frac[1]
    parts = []
    yuan = int(whole or "0")
    if yuan or (jiao == "0" and fen == "0"):
        parts.append(number_zh(str(yuan)) + "元")
    if jiao != "0":
        parts.append(DIGIT_ZH[jiao] + "角")
    if fen != "0":
        if yuan and jiao == "0":
            parts.append("零")
        parts.append(DIGIT_ZH[fen] + "分")
    return "".join(parts)


def _month_day(value: str) -> str:
    return number_zh(str(int(value)))


def _sub(pattern: re.Pattern[str], fn: Callable[[re.Match[str]], str], text: str) -> str:
    return pattern.sub(fn, text)


def _strip_markup(text: str) -> str:
    text = html.unescape(text)
    text = _MD_LINK.sub(r"\1", text)
    text = _TAG.sub(" ", text)
    text = _URL.sub("", text)
    text = _EMAIL.sub("", text)
    text = _MD_MARK.sub("", text)
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat in ("So", "Sk", "Cs", "Co", "Cn") or (cat == "Cf" and ch != "\u200d"):
            continue  # emoji, pictographs, private use, format controls
        if ch == "\u200d":
            continue
        out.append(ch)
    return "".join(out)


def _spaced(value: str) -> str:
    """Digits keyed one by one ('1 1 0 … *'): an 18-key ID number keyed with * for X reads X as 叉."""
    keys = value.replace(" ", "")
    if len(keys) == 18 and keys.endswith("*"):
        keys = keys[:-1] + "X"
    return digits_zh(keys, phone=True)


def _zh(text: str) -> str:
    text = _sub(_ID, lambda m: digits_zh(m.group(1), phone=True), text)
    text = _sub(_SPACED_DIGITS, lambda m: _spaced(m.group(1)), text)
    text = _sub(_SERVICE_NO, lambda m: digits_zh(m.group(1), phone=True), text)
    text = _sub(_MOBILE, lambda m: digits_zh(re.sub(r"\D", "", m.group(2)), phone=True), text)
    text = _sub(_LANDLINE, lambda m: digits_zh(m.group(1), phone=True) + "，" + digits_zh(m.group(2), phone=True),
                text)
    text = _sub(_DATE_FULL, lambda m: f"{digits_zh(m.group(1))}年{_month_day(m.group(2))}月{_month_day(m.group(3))}日"
                if 1 <= int(m.group(2)) <= 12 and 1 <= int(m.group(3)) <= 31 else m.group(0), text)
    text = _sub(_YEAR_MONTH, lambda m: f"{digits_zh(m.group(1))}年{_month_day(m.group(2))}月"
                if 1 <= int(m.group(2)) <= 12 and m.group(1)[:2] in ("19", "20") else m.group(0), text)
    text = _sub(_YEAR, lambda m: digits_zh(m.group(1)), text)
    text = _sub(_TIME, lambda m: number_zh(str(int(m.group(1)))) + "点"
                + ("" if m.group(2) == "00" else ("零" if m.group(2)[0] == "0" else "")
                   + number_zh(str(int(m.group(2)))) + "分"), text)

    def money(m: re.Match[str]) -> str:
        if m.group(1):
            return money_zh(m.group(1))
        amount, unit = m.group(2), m.group(3)
        if unit:
            return number_zh(amount) + unit + "元"
        return money_zh(amount)

    text = _sub(_MONEY, money, text)
    text = _sub(_PERCENT, lambda m: "百分之" + number_zh(m.group(1)), text)
    text = _sub(_PERMILLE, lambda m: "千分之" + number_zh(m.group(1)), text)
    text = _RANGE.sub("至", text)
    for short, long in sorted(ABBREVIATIONS.items(), key=lambda kv: -len(kv[0])):
        text = re.sub(rf"(?<![A-Za-z]){re.escape(short)}(?![A-Za-z])", long, text)
    text = _sub(_NUMBER, lambda m: number_zh(m.group(0)), text)
    return text


def _en(text: str) -> str:
    text = _sub(_ID, lambda m: " ".join(m.group(1).upper()), text)
    for short, long in EN_ABBREVIATIONS.items():
        text = text.replace(short, long)
    return text


def spoken_language(text: str, language: str = "zh") -> str:
    """'zh' or 'en' by the script of the text: a Mandarin menu says "For English, press 9" in English."""
    if _CJK.search(text or ""):
        return "zh"
    if _LATIN.search(text or ""):
        return "en"
    return "en" if language == "en" else "zh"


def speakable(text: str, language: str = "zh") -> str:
    """The text an engine should synthesise. Never raises; may return '' (nothing to say)."""
    try:
        text = _strip_markup(text or "")
        english = language == "en" or (not _CJK.search(text) and _LATIN.search(text) is not None)
        text = _en(text) if english else _zh(text)
        text = _KEEP.sub(" ", text)
        return _SPACES.sub(" ", text).strip()
    except Exception:  # noqa: BLE001 - normalisation must never take a call down
        return _SPACES.sub(" ", text or "").strip()
