"""GSM 03.38 (GSM-7 with the extension table) or UCS-2 encoding, and segmentation into parts.

Limits: GSM-7 160 septets in one part, 153 per concatenated part; UCS-2 70 UTF-16 units in one
part, 67 per part. An escape pair (GSM-7 extension character) and a surrogate pair (characters
outside the BMP: emoji, rare CJK) are never split across parts. Concatenated parts carry an 8-bit
reference UDH (05 00 03 ref total seq).
"""

from __future__ import annotations

from dataclasses import dataclass

GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = {"\f": 0x0A, "^": 0x14, "{": 0x28, "}": 0x29, "\\": 0x2F, "[": 0x3C, "~": 0x3D,
                  "]": 0x3E, "|": 0x40, "€": 0x65}
_BASIC_INDEX = {ch: i for i, ch in enumerate(GSM7_BASIC) if ch != "\x1b"}

GSM7, UCS2 = "GSM-7", "UCS-2"
LIMITS = {GSM7: (160, 153), UCS2: (70, 67)}
MAX_PARTS = 255


@dataclass(frozen=True)
class Preview:
    """What a text costs: `length` in septets (GSM-7) or UTF-16 units (UCS-2), including the signature."""

    parts: int
    encoding: str
    length: int
    chars: int
    per_part: int
    text: str

    def to_dict(self) -> dict[str, object]:
        return {"parts": self.parts, "encoding": self.encoding, "length": self.length, "chars": self.chars,
                "per_part": self.per_part}


@dataclass(frozen=True)
class Part:
    seq: int
    total: int
    text: str
    udh: bytes  # empty for a single-part message

    def payload(self, encoding: str) -> bytes:
        """The short_message octets (UDH + body): UCS-2 big-endian, or GSM-7 unpacked septets."""
        return self.udh + encode(self.text, encoding)


def is_gsm7(text: str) -> bool:
    return all(ch in _BASIC_INDEX or ch in GSM7_EXTENSION for ch in text)


def choose_encoding(text: str) -> str:
    return GSM7 if is_gsm7(text) else UCS2


def unit_width(ch: str, encoding: str) -> int:
    """Septets (GSM-7) or UTF-16 code units (UCS-2) one character takes."""
    if encoding == GSM7:
        return 2 if ch in GSM7_EXTENSION else 1
    return 2 if ord(ch) > 0xFFFF else 1


def length_units(text: str, encoding: str | None = None) -> int:
    enc = encoding or choose_encoding(text)
    return sum(unit_width(ch, enc) for ch in text)


def sign(text: str, signature: str) -> str:
    """Prefix the center's signature once (it counts toward the length like any other text)."""
    if not signature or text.startswith(signature):
        return text
    return signature + text


def split(text: str, encoding: str | None = None) -> list[str]:
    """Split into part texts; a character whose units would straddle a boundary moves whole."""
    enc = encoding or choose_encoding(text)
    single, multi = LIMITS[enc]
    if length_units(text, enc) <= single:
        return [text]
    parts: list[str] = []
    current: list[str] = []
    used = 0
    for ch in text:
        width = unit_width(ch, enc)
        if used + width > multi:
            parts.append("".join(current))
            current, used = [], 0
        current.append(ch)
        used += width
    if current:
        parts.append("".join(current))
    return parts


def preview(text: str, signature: str = "") -> Preview:
    signed = sign(text, signature)
    enc = choose_encoding(signed)
    pieces = split(signed, enc)
    single, multi = LIMITS[enc]
    return Preview(parts=len(pieces), encoding=enc, length=length_units(signed, enc), chars=len(signed),
                   per_part=single if len(pieces) == 1 else multi, text=signed)


def udh(ref: int, total: int, seq: int) -> bytes:
    return bytes([0x05, 0x00, 0x03, ref & 0xFF, total, seq])


def segments(text: str, ref: int) -> tuple[str, list[Part]]:
    """The encoding and the parts of a (signed) text; `ref` should be stable for one message so
    that a resend after a crash produces byte-identical parts."""
    enc = choose_encoding(text)
    pieces = split(text, enc)
    if len(pieces) > MAX_PARTS:
        raise ValueError(f"message needs {len(pieces)} parts; at most {MAX_PARTS} can be concatenated")
    if len(pieces) == 1:
        return enc, [Part(1, 1, pieces[0], b"")]
    total = len(pieces)
    return enc, [Part(i, total, p, udh(ref, total, i)) for i, p in enumerate(pieces, start=1)]


def encode(text: str, encoding: str) -> bytes:
    if encoding == UCS2:
        return text.encode("utf-16-be")
    out = bytearray()
    for ch in text:
        if ch in GSM7_EXTENSION:
            out += bytes([0x1B, GSM7_EXTENSION[ch]])
        else:
            out.append(_BASIC_INDEX[ch])
    return bytes(out)


_EXT_REVERSE = {v: k for k, v in GSM7_EXTENSION.items()}


def decode(data: bytes, encoding: str) -> str:
    if encoding == UCS2:
        return data.decode("utf-16-be")
    out: list[str] = []
    escape = False
    for b in data:
        if escape:
            out.append(_EXT_REVERSE.get(b, " "))
            escape = False
        elif b == 0x1B:
            escape = True
        else:
            out.append(GSM7_BASIC[b] if b < len(GSM7_BASIC) else "?")
    return "".join(out)


def parse_udh(payload: bytes) -> tuple[tuple[int, int, int] | None, bytes]:
    """(ref, total, seq) of a concatenation UDH (8- or 16-bit reference) and the body after the UDH."""
    if not payload:
        return None, payload
    length = payload[0]
    header, body = payload[1:1 + length], payload[1 + length:]
    i = 0
    while i + 1 < len(header):
        iei, ie_len = header[i], header[i + 1]
        data = header[i + 2:i + 2 + ie_len]
        if iei == 0x00 and ie_len == 3:
            return (data[0], data[1], data[2]), body
        if iei == 0x08 and ie_len == 4:
            return ((data[0] << 8) | data[1], data[2], data[3]), body
        i += 2 + ie_len
    return None, body
