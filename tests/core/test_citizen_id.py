from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core import citizen_id
from core.citizen_id import InvalidCitizenId, check_digit

DEMO = "11010519491231002X"


def test_demo_number_decodes() -> None:
    cid = citizen_id.parse(DEMO)
    assert cid.province_code == "11"
    assert cid.province_name == "北京市"
    assert cid.birth_date == date(1949, 12, 31)
    assert cid.sex == "F"
    assert cid.age_on(date(2026, 11, 24)) == 76


def test_keypad_star_and_lower_x_read_as_X() -> None:
    assert citizen_id.parse("11010519491231002*").number == DEMO
    assert citizen_id.parse("11010519491231002x").number == DEMO
    assert citizen_id.parse(" 110105 19491231 002X ").number == DEMO


@pytest.mark.parametrize("bad_last", list("0123456789"))
def test_wrong_check_digit_is_refused(bad_last: str) -> None:
    with pytest.raises(InvalidCitizenId) as err:
        citizen_id.parse(DEMO[:17] + bad_last)
    assert err.value.reason == "checksum"
    assert "校验位" in err.value.message


@pytest.mark.parametrize("number,reason", [
    ("1101051949123100", "length"),
    ("11010519491231002X1", "length"),
    ("110105491231002", "legacy_15"),
    ("1101051949123100AX", "format"),
    ("", "length"),
])
def test_malformed_numbers(number: str, reason: str) -> None:
    with pytest.raises(InvalidCitizenId) as err:
        citizen_id.parse(number)
    assert err.value.reason == reason


def test_legacy_15_digit_message_is_clear() -> None:
    with pytest.raises(InvalidCitizenId) as err:
        citizen_id.parse("110105491231002")
    assert "15位" in err.value.message and "18位" in err.value.message


def test_impossible_birth_date() -> None:
    first17 = "11010519490231002"  # 31 February
    with pytest.raises(InvalidCitizenId) as err:
        citizen_id.parse(first17 + check_digit(first17))
    assert err.value.reason == "birth_date"


def test_unknown_region_code() -> None:
    first17 = "99010519491231002"
    with pytest.raises(InvalidCitizenId) as err:
        citizen_id.parse(first17 + check_digit(first17))
    assert err.value.reason == "province"


@given(st.sampled_from(["11", "44", "51", "65", "31"]), st.dates(date(1930, 1, 1), date(2010, 12, 31)),
       st.integers(0, 999))
def test_generated_numbers_validate_and_one_digit_change_breaks_them(prov: str, birth: date, seq: int) -> None:
    first17 = f"{prov}0101{birth:%Y%m%d}{seq:03d}"
    number = first17 + check_digit(first17)
    assert citizen_id.parse(number).birth_date == birth
    wrong = "0" if number[-1] != "0" else "1"
    assert not citizen_id.is_valid(number[:-1] + wrong)
