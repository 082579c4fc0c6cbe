"""Emergency, then holidays and make-up workdays, then weekly hours; overrides without a release."""

from __future__ import annotations

from datetime import UTC, date, datetime

from switch.directory import default_center
from switch.hours import Override, hours_state


def at(y: int, m: int, d: int, hh: int, mm: int = 0) -> datetime:
    from core.clock import local_zone

    return datetime(y, m, d, hh, mm, tzinfo=local_zone())


GD = default_center("44")


def test_weekly_hours() -> None:
    assert hours_state(GD, at(2026, 11, 24, 10), []).open  # Tuesday
    lunch = hours_state(GD, at(2026, 11, 24, 12, 30), [])
    assert not lunch.open and lunch.reason == "weekly_hours" and "周一至周五" in lunch.text_zh
    sat = hours_state(GD, at(2026, 11, 28, 10), [])
    assert not sat.open and sat.reason == "weekly_hours"


def test_public_holiday_and_make_up_workday() -> None:
    holiday = hours_state(GD, at(2026, 10, 1, 10), [])
    assert not holiday.open and holiday.reason == "holiday" and holiday.holiday == "国庆节"
    assert "国庆节" in holiday.text_zh
    makeup = hours_state(GD, at(2026, 10, 10, 10), [])  # a Saturday worked for National Day
    assert makeup.open and makeup.reason == "makeup_workday"
    assert not hours_state(GD, at(2026, 10, 10, 19), []).open
    national = default_center("00")
    closed = hours_state(national, at(2026, 10, 1, 10), [])  # the national center follows the calendar too
    assert not closed.open and closed.reason == "holiday" and closed.holiday == "国庆节"
    assert hours_state(national, at(2026, 10, 1, 10), [], holidays=False).open  # ... unless configured exempt
    assert hours_state(national, at(2026, 10, 10, 19), []).open  # a make-up day keeps its own (Monday) hours


def test_emergency_overrides_everything() -> None:
    from dataclasses import replace

    closed = replace(GD, emergency_closed=True, emergency_text="台风停工")
    st = hours_state(closed, at(2026, 10, 10, 10), [Override(date(2026, 10, 10), "*", "open")])
    assert not st.open and st.reason == "emergency" and st.text_zh == "台风停工"


def test_overrides_beat_the_official_calendar() -> None:
    day = date(2026, 11, 24)
    st = hours_state(GD, at(2026, 11, 24, 10), [Override(day, "*", "holiday", "地方假日")])
    assert not st.open and st.reason == "holiday" and st.holiday == "地方假日"
    own_first = [Override(day, "*", "holiday"), Override(day, "44", "open")]
    assert hours_state(GD, at(2026, 11, 24, 10), own_first).open
    sat = [Override(date(2026, 11, 28), "44", "workday")]
    assert hours_state(GD, at(2026, 11, 28, 10), sat).reason == "makeup_workday"
    assert hours_state(GD, at(2026, 11, 28, 10), sat).open


def test_year_without_official_data_falls_back_to_weekly_hours() -> None:
    st = hours_state(GD, at(2030, 1, 7, 10), [])  # a Monday; chinese_calendar has no 2030 data
    assert st.open and st.reason == "weekly_hours"


def test_service_uses_clock_and_override_table(platform, clock) -> None:
    assert platform.switch.hours_state("44").open
    platform.switch.set_override(date(2026, 11, 24), "closed", center_code="44", name="盘点")
    st = platform.switch.hours_state("44")
    assert not st.open and st.reason == "override"
    assert platform.switch.hours_state("11").open
    platform.switch.close_center("11", "线路故障")
    assert platform.switch.hours_state("11").reason == "emergency"
    assert platform.switch.remove_override(date(2026, 11, 24), "44") == 1
    assert platform.switch.hours_state("44").open
    clock.set(datetime(2026, 10, 1, 2, tzinfo=UTC))
    assert platform.switch.hours_state("44").reason == "holiday"
