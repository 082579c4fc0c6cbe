"""`core.fastjson` writes what `json.dumps(..., ensure_ascii=False)` wrote, read back the same."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core import fastjson

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text()
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(_JSON)
def test_reads_back_as_the_standard_library_does(value: object) -> None:
    text = fastjson.dumps(value)
    assert json.loads(text) == json.loads(json.dumps(value, ensure_ascii=False))
    assert fastjson.loads(text) == json.loads(text)


def test_keeps_the_forms_the_stored_state_had() -> None:
    when = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
    value = {"t": when, 7: "七", "path": ("welcome", "main_menu"), "caller": "您好"}
    text = fastjson.dumps(value, default=str)
    assert json.loads(text) == json.loads(json.dumps(value, ensure_ascii=False, default=str))
    assert "您好" in text  # UTF-8, not \\u escapes
    assert json.loads(text)["t"] == str(when)  # the datetime through `default`, as before


def test_nan_and_infinity_are_written_as_null_which_every_reader_takes() -> None:
    # json wrote NaN/Infinity, which neither Redis's cjson nor PostgreSQL accepts as JSON
    assert fastjson.dumps([float("nan"), float("inf")]) == "[null,null]"


def test_what_orjson_refuses_goes_through_json() -> None:
    big = {"n": 2**70}
    assert json.loads(fastjson.dumps(big)) == big
    with pytest.raises(TypeError):
        fastjson.dumps({"when": datetime(2026, 12, 7, tzinfo=UTC)})  # no default: refused, as json did
