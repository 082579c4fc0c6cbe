"""Working-day arithmetic with mainland holidays and 调休 make-up days."""

from __future__ import annotations

from datetime import date

import pytest

from tickets.workdays import add_working_days, is_workday, working_days_between


@pytest.mark.parametrize(("start", "days", "due"), [
    (date(2026, 11, 24), 2, date(2026, 11, 26)),  # Tuesday -> Thursday
    (date(2026, 11, 26), 2, date(2026, 11, 30)),  # Thursday -> Monday over the weekend
    (date(2026, 2, 13), 1, date(2026, 2, 14)),    # Saturday 14 Feb 2026 is a 调休 working day
    (date(2026, 2, 13), 2, date(2026, 2, 24)),    # then the Spring Festival holiday (15-23 Feb)
    (date(2026, 9, 30), 2, date(2026, 10, 9)),    # National Day: 1-7 Oct off
    (date(2026, 9, 30), 3, date(2026, 10, 10)),   # Saturday 10 Oct 2026 is a 调休 working day
    (date(2026, 10, 3), 0, date(2026, 10, 3)),
])
def test_add_working_days(start: date, days: int, due: date) -> None:
    assert add_working_days(start, days) == due


def test_uncovered_year_falls_back_to_weekdays(caplog) -> None:  # type: ignore[no-untyped-def]
    assert is_workday(date(2031, 1, 6)) and not is_workday(date(2031, 1, 4))
    assert add_working_days(date(2031, 1, 3), 2) == date(2031, 1, 7)
    assert "no holiday data for 2031" in caplog.text


def test_working_days_between() -> None:
    assert working_days_between(date(2026, 2, 13), date(2026, 2, 24)) == 2
    assert working_days_between(date(2026, 2, 24), date(2026, 2, 13)) == 0
    with pytest.raises(ValueError):
        add_working_days(date(2026, 1, 1), -1)
