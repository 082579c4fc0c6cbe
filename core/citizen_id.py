"""The 18-digit resident identity number (GB 11643-1999, ISO 7064 MOD 11-2 check digit).

The check digit and birth date are validated by python-stdnum (`stdnum.cn.ric`); this module adds
the product's own rules: clear Chinese messages, keypad entry where `*` stands for `X`, rejection of
15-digit legacy numbers, and the province of issue from the GB/T 2260 directory.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric

from core import provinces


class InvalidCitizenId(ValueError):
    """A number that is not a valid 18-digit citizen ID; `reason` is a stable code."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class CitizenId:
    number: str
    province_code: str
    birth_date: date
    sex: str  # "M" or "F"

    @property
    def province_name(self) -> str:
        return provinces.name_of(self.province_code)

    def age_on(self, day: date) -> int:
        b = self.birth_date
        return day.year - b.year - ((day.month, day.day) < (b.month, b.day))


def normalise(raw: str) -> str:
    """Strip spaces, read keypad `*` as `X`, upper-case."""
    return "".join(raw.split()).replace("*", "X").replace("x", "X")


def parse(raw: str) -> CitizenId:
    """Validate and decode a citizen ID; raise `InvalidCitizenId` with a speakable reason."""
    number = normalise(raw)
    if len(number) == 15 and number.isdigit():
        raise InvalidCitizenId("legacy_15", "15位旧身份证号码已停止使用，请输入18位身份证号码")
    if len(number) != 18:
        raise InvalidCitizenId("length", "身份证号码应为18位")
    if not (number[:17].isdigit() and (number[17].isdigit() or number[17] == "X")):
        raise InvalidCitizenId("format", "身份证号码只能包含数字，最后一位可以是X")
    province_code = number[:2]
    if provinces.lookup(province_code) is None or province_code in (provinces.NATIONAL, provinces.XPCC):
        raise InvalidCitizenId("province", "身份证号码的地区代码无效")
    # Check digit and birth date via stdnum. Its county table is not consulted: county codes are
    # retired over time while the numbers issued under them stay valid for life.
    if ric.calc_check_digit(number) != number[17]:
        raise InvalidCitizenId("checksum", "身份证号码校验位不正确，请核对后重新输入")
    try:
        birth = ric.get_birth_date(number)
    except stdnum_errors.ValidationError:
        raise InvalidCitizenId("birth_date", "身份证号码中的出生日期无效") from None
    if birth.year < 1880 or birth > date.today():
        raise InvalidCitizenId("birth_date", "身份证号码中的出生日期无效")
    sex = "M" if int(number[16]) % 2 == 1 else "F"
    return CitizenId(number=number, province_code=province_code, birth_date=birth, sex=sex)


def is_valid(raw: str) -> bool:
    try:
        parse(raw)
    except InvalidCitizenId:
        return False
    return True


def check_digit(first17: str) -> str:
    """The MOD 11-2 check character for 17 digits (used by the demo data generator)."""
    return ric.calc_check_digit(first17 + "0")
