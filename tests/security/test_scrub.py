"""Item 1 of the penetration test: spoken ID and phone numbers are scrubbed where text enters, so
the call log, events, the knowledge query log and `hotline flow calls` never hold them in full."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from core.events import InProcessBus
from core.masking import has_personal_number, scrub, scrub_data, scrub_records
from hotline.cli import main
from ivr.events import CallInput

ID, MOBILE = "110105194912310027", "13900001234"
SPOKEN = f"我的身份证号码是{ID}手机{MOBILE}，我想问养老保险"


@pytest.mark.parametrize(("text", "hidden"), [
    (f"身份证{ID}", ID), ("旧身份证110105491231002", "110105491231002"), (f"手机{MOBILE}", MOBILE),
    ("+8613900001234", "13900001234"), ("座机010-12345678", "12345678"),
    ("座机010-123-4567 请回电", "123-4567"),  # ten digits: the fewest any pattern needs
    ("卡号6222021234567890123", "6222021234567890123"), ("卡 6222 0212 3456 7890", "6222 0212 3456 7890"),
])
def test_scrub_masks_every_kind_of_personal_number(text: str, hidden: str) -> None:
    out = scrub(text)
    assert hidden not in out
    assert "*" in out


def test_scrub_leaves_ids_hashes_and_times_alone() -> None:
    for text in ("CA1234567890123456789012345678ab", "2026-11-24T10:00:00", "1733312345.12", "退休工资怎么算"):
        assert scrub(text) == text
    assert scrub_data({"a": [ID, 7, {"b": MOBILE}]}) == {"a": [scrub(ID), 7, {"b": scrub(MOBILE)}]}


# Text in the shape of a call's events: digits, separators, letters and Chinese around whole numbers.
_PIECES = st.sampled_from([ID, MOBILE, "0755-12345678", "6222 0212 3456 7890", "12333", "ast-1795600000.1",
                           " ", "-", "\n", "x", "X", "按1", "。", "+86", "0", "2026-12-07", "１３９０００",
                           "012345", "4321", "*", ".", '"', "\\", "\t", "\x01", "/"])  # JSON escapes them
_TEXT = st.lists(_PIECES, max_size=6).map("".join)
_VALUE = st.one_of(_TEXT, st.integers(), st.none(), st.lists(_TEXT, max_size=3),
                   st.dictionaries(st.sampled_from(["a", "b"]), _TEXT, max_size=2))
_RECORDS = st.lists(st.dictionaries(st.sampled_from(["type", "text", "value", "notices", "t"]), _VALUE,
                                    max_size=4), max_size=6)


@settings(max_examples=300, deadline=None)
@given(_RECORDS)
def test_scrub_records_masks_exactly_what_scrub_data_masks(rows: list[dict]) -> None:
    assert scrub_records(rows) == [scrub_data(r) for r in rows]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.one_of(_PIECES, st.text(alphabet="0123456789１２３ -+Xx.号码", max_size=12)), max_size=8))
def test_the_one_pass_check_agrees_with_scrub(pieces: list[str]) -> None:
    text = "".join(pieces)
    assert has_personal_number(text) == (scrub(text) != text)


@settings(max_examples=300, deadline=None)
@given(st.lists(_TEXT, min_size=1, max_size=5))
def test_texts_remembered_as_clean_scrub_the_same_and_personal_ones_are_never_remembered(texts: list[str]) -> None:
    from core import masking

    masking._CLEAN.clear()
    cold = [scrub(t) for t in texts]
    warm = [scrub(t) for t in texts]  # the second time, clean texts come from the memory
    assert warm == cold
    assert all(t not in masking._CLEAN for t, out in zip(texts, cold, strict=True) if out != t)
    rows = [{"text": t} for t in texts]
    assert scrub_records(rows) == [scrub_data(r) for r in rows]
    remembered = list(masking._CLEAN)
    masking._CLEAN.clear()
    assert all(scrub(t) == t for t in remembered)  # only what scrubbing leaves as it is


def test_scrub_records_masks_a_number_split_over_nothing_but_keeps_clean_records_as_they_are() -> None:
    clean = [{"type": "prompt", "text": "养老保险请按1", "t": 0.5}, {"type": "kb", "notices": [1, "n-2"]}]
    out = scrub_records(clean)
    assert out == clean and all(a is b for a, b in zip(out, clean, strict=True))
    dirty = [{"type": "input", "value": "12333"}, {"type": "input", "value": f"号码\n{MOBILE}"},
             {"type": "kb", "nested": {"said": [f"身份证{ID}"]}}]
    out = scrub_records(dirty)
    assert MOBILE not in str(out) and ID not in str(out) and out[0] == dirty[0]


def test_events_on_the_bus_carry_no_full_number() -> None:
    bus = InProcessBus("n", None)
    seen: list = []
    bus.subscribe(seen.append)
    bus.emit(CallInput(call_id="c1", node="ask", kind="speech", value=SPOKEN, province="11"))
    assert ID not in json.dumps(seen[0].data, ensure_ascii=False)
    assert MOBILE not in seen[0].to_json()


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("hotline")
    out = CliRunner().invoke(main, ["init", "--demo"], env={"HOTLINE_DATA_DIR": str(folder)})
    assert out.exit_code == 0, out.output
    yield folder


def hotline(data_dir: Path, *args: str) -> str:
    out = CliRunner().invoke(main, list(args), env={"HOTLINE_DATA_DIR": str(data_dir)})
    assert out.exit_code == 0, out.output + repr(out.exception)
    return out.stdout  # stderr carries the simulator's notes


def test_spoken_numbers_stay_out_of_call_log_events_and_queries(data_dir: Path) -> None:
    doc = json.loads(hotline(data_dir, "call", "--from", "13800138000", "--say", SPOKEN, "--keys", "1 1",
                             "--at", "2026-11-24T10:00", "--json", "--in-place"))
    call_id = doc["call_id"]
    stored = hotline(data_dir, "flow", "calls", "--call", call_id)
    assert "养老" in stored  # the utterance is kept, scrubbed
    assert ID not in stored and MOBILE not in stored
    queries = hotline(data_dir, "kb", "queries", "--days", "30", "--json") \
        if "--json" in hotline(data_dir, "kb", "queries", "--help") else hotline(data_dir, "kb", "queries")
    assert ID not in queries and MOBILE not in queries


def test_the_id_read_back_is_not_kept_in_the_call_log(data_dir: Path) -> None:
    doc = json.loads(hotline(data_dir, "call", "--from", "13900001234", "--keys",
                             "7 1 11010519491231002X# 1 1 246810#", "--at", "2026-11-24T10:00", "--json", "--in-place"))
    stored = hotline(data_dir, "flow", "calls", "--call", doc["call_id"])
    assert "records_confirm_id" in stored
    assert "11010519491231002X" not in stored and "110105194912310" not in stored
    listed = hotline(data_dir, "flow", "calls", "--from", "13900001234")
    assert "11010519491231002X" not in listed


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="0123456789１２３ -+Xx", max_size=9))
def test_no_personal_number_pattern_matches_fewer_than_ten_characters(text: str) -> None:
    """`scrub` returns texts under 10 characters untouched without running its patterns (call ids,
    queue ids, agent ids in events): exact only while no pattern can match so short a text."""
    from core import masking

    patterns = (masking._ID_RE, masking._ID15_RE, masking._MOBILE_RE, masking._CARD_RE, masking._LANDLINE_RE)
    assert not any(p.search(text) for p in patterns)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.one_of(st.text(alphabet="0123456789１２３", min_size=1, max_size=9),
                          st.text(alphabet=" -+Xx:、号码请按拨打", max_size=3)), max_size=12))
def test_no_personal_number_pattern_matches_a_text_of_fewer_than_ten_digits(pieces: list[str]) -> None:
    """`scrub` returns a text holding fewer than 10 digits untouched without running its patterns (the
    prompts: "12333", "08:30-12:00", menu keys): exact only while every pattern needs 10 digits."""
    from core import masking

    text = "".join(pieces)
    assume(len(masking._DIGIT_RE.findall(text)) < 10)
    patterns = (masking._ID_RE, masking._ID15_RE, masking._MOBILE_RE, masking._CARD_RE, masking._LANDLINE_RE)
    assert not any(p.search(text) for p in patterns)
    assert scrub(text) == text


_FULL_WIDTH_ID = "身份证" + "".join(chr(ord(c) - ord("0") + 0xFF10) for c in ID)  # \d matches these too


@pytest.mark.parametrize("text", ["座机010-123-4567", 'say "010 123 4567"', "line\n0101234567\tend", _FULL_WIDTH_ID])
def test_scrub_records_masks_a_number_of_the_fewest_digits_or_beside_quotes_and_controls(text: str) -> None:
    """The one-pass check never waves through a number scrub would mask: ten digits (the fewest),
    next to quotes and control characters, in full-width digits."""
    rows = [{"type": "prompt", "text": text, "t": 1.5}, {"type": "input", "value": ["x", {"a": text}]}]
    assert scrub(text) != text
    assert scrub_records(rows) == [scrub_data(r) for r in rows] != rows
