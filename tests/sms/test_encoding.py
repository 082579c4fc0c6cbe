"""Segmentation edge cases: UCS-2 70/67, GSM-7 160/153 with extension characters, non-BMP never
split, the signature counted, UDH headers."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from sms import encoding as enc

SIG = "【12333】"  # 7 UCS-2 units


def test_ucs2_boundaries_with_signature() -> None:
    assert enc.preview("你" * 63, SIG).parts == 1  # 7 + 63 = 70
    p = enc.preview("你" * 64, SIG)
    assert (p.parts, p.encoding, p.length, p.per_part) == (2, "UCS-2", 71, 67)
    assert enc.preview("你" * (134 - 7), SIG).parts == 2
    assert enc.preview("你" * (135 - 7), SIG).parts == 3


def test_signature_counted_once() -> None:
    assert enc.preview(SIG + "你" * 63, SIG).length == 70
    assert enc.preview("你" * 70).parts == 1 and enc.preview("你" * 70, SIG).parts == 2


def test_gsm7_boundaries_and_extension_chars() -> None:
    assert enc.preview("a" * 160).parts == 1 and enc.preview("a" * 160).encoding == "GSM-7"
    assert enc.preview("a" * 161).parts == 2 and enc.preview("a" * 306).parts == 2
    assert enc.preview("a" * 307).parts == 3
    assert enc.preview("€" * 80).length == 160 and enc.preview("€" * 80).parts == 1
    assert enc.preview("a" + "€" * 80).parts == 2
    # an escape pair straddling the 153 boundary moves whole to the next part
    parts = enc.split("a" * 152 + "{" + "b" * 10)
    assert parts[0] == "a" * 152 and parts[1].startswith("{")
    assert all(enc.length_units(p, "GSM-7") <= 153 for p in parts)


def test_one_non_gsm_char_switches_to_ucs2() -> None:
    assert enc.preview("a" * 100 + "é").encoding == "GSM-7"
    assert enc.preview("a" * 100 + "你").encoding == "UCS-2"
    assert enc.preview("a" * 100 + "ê").encoding == "UCS-2"  # not in GSM 03.38


def test_non_bmp_counts_two_units_and_is_never_split() -> None:
    assert enc.preview("😀" * 35).parts == 1 and enc.preview("😀" * 35).length == 70
    text = "你" * 66 + "𠀀" + "好" * 10  # the rare CJK char would straddle units 67/68
    parts = enc.split(text)
    assert parts[0] == "你" * 66 and parts[1].startswith("𠀀")
    for part in parts:
        data = part.encode("utf-16-be")
        assert len(data) // 2 <= 67
        data.decode("utf-16-be")  # no lone surrogate


def test_udh_and_payload_roundtrip() -> None:
    text = SIG + "您的养老金已发放，" * 12
    encoding, parts = enc.segments(text, ref=300)
    assert encoding == "UCS-2" and len(parts) > 1
    rebuilt = []
    for i, part in enumerate(parts, start=1):
        concat, body = enc.parse_udh(part.payload(encoding))
        assert concat == (300 % 256, len(parts), i)
        rebuilt.append(enc.decode(body, encoding))
    assert "".join(rebuilt) == text
    gsm_enc, gsm_parts = enc.segments("x" * 200 + "[]", ref=7)
    assert gsm_enc == "GSM-7" and enc.decode(enc.parse_udh(gsm_parts[1].payload(gsm_enc))[1], gsm_enc).endswith("[]")


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab€{你好😀𠀀,。")), max_size=400))
def test_split_never_loses_or_breaks_characters(text: str) -> None:
    encoding = enc.choose_encoding(text)
    parts = enc.split(text, encoding)
    assert "".join(parts) == text
    single, multi = enc.LIMITS[encoding]
    limit = single if len(parts) == 1 else multi
    assert all(enc.length_units(p, encoding) <= limit for p in parts)
    assert enc.preview(text).parts == len(parts)
