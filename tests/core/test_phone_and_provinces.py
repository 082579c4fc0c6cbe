import pytest

from core import phone, provinces
from core.masking import mask_id, mask_name, mask_phone, scrub


@pytest.mark.parametrize("number,province,kind", [
    ("18620001234", "44", "mobile"),
    ("13800138000", "11", "mobile"),
    ("+86 135 1234 5678", "50", "mobile"),
    ("01088886666", "11", "landline"),
    ("075512345678", "44", "landline"),
    ("09912345678", "65", "landline"),
])
def test_number_location(number: str, province: str, kind: str) -> None:
    info = phone.parse(number)
    assert info.province_code == province
    assert info.kind == kind
    assert info.location.startswith(provinces.name_of(province)[:2])


def test_demo_citizen_mobile_is_registered_far_from_where_she_is_insured() -> None:
    # The reason routing on the number is only a default: 13900001234 is a Xinjiang number.
    assert phone.province_of("13900001234") == "65"


@pytest.mark.parametrize("raw", ["12333", "abc", "", "123"])
def test_unusable_numbers(raw: str) -> None:
    assert phone.try_parse(raw) is None
    assert phone.province_of(raw) is None


def test_directory_is_complete() -> None:
    mainland = [c for c, p in provinces.PROVINCES.items()]
    assert len(mainland) == 31
    assert set(provinces.CENTERS) == set(mainland) | {"00", "66"}
    assert provinces.CENTERS["66"].parent == "65"
    for code in mainland:
        assert len(code) == 2 and code.isdigit()
        assert provinces.code_for_name(provinces.PROVINCES[code].name) == code
    assert not provinces.lookup("81").has_center
    assert provinces.lookup("99") is None


def test_masking() -> None:
    assert mask_name("张三丰") == "张*丰"
    assert mask_name("李四") == "李*"
    assert mask_id("11010519491231002X") == "110105********002X"
    assert mask_phone("13900001234") == "139****1234"
    assert mask_phone("+8613900001234") == "139****1234"
    assert scrub("caller 13900001234 id 11010519491231002X") == "caller 139****1234 id 110105********002X"
