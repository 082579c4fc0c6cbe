"""The official calendar in the database: seeded (2024-2026 from the package, 2027 provisional from the
shipped file), imported per year from the State Council's notice, editable, used by the hours, and a
loud warning when next year's calendar is missing or provisional after 1 November."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from switch.calendar import CalendarError, check, parse_notice
from switch.runtime import check_calendar

NOTICE_2027 = """\
year: 2027
status: official
source: 国办发明电〔2026〕测试号
holidays:
  - {name: 元旦, from: 2027-01-01, to: 2027-01-03}
  - name: 春节
    from: 2027-02-05
    to: 2027-02-12
    workdays: [2027-02-13, 2027-02-20]
  - {name: 国庆节, from: 2027-10-01, to: 2027-10-07, workdays: [2027-10-09]}
"""


def beijing(y: int, m: int, d: int, hh: int = 10) -> datetime:
    return datetime(y, m, d, hh - 8, 0, tzinfo=UTC)


def test_seeded_years_and_the_2027_spring_festival(platform, clock) -> None:
    years = {y["year"]: y for y in platform.switch.calendar_years()}
    assert {2024, 2025, 2026, 2027} <= set(years)
    assert years[2026]["status"] == "official" and years[2026]["source"].startswith("seed: chinese_calendar")
    assert years[2027]["status"] == "provisional" and years[2027]["holidays"] == 13
    clock.set(beijing(2027, 2, 8))  # a Monday of the 2027 Spring Festival: no longer a working day
    state = platform.switch.hours_state("44")
    assert not state.open and state.reason == "holiday" and state.holiday == "春节"
    clock.set(beijing(2026, 10, 10))  # a 2026 make-up Saturday, from the seeded year
    assert platform.switch.hours_state("44").reason == "makeup_workday"


def test_warnings_from_the_first_of_november(platform) -> None:
    sw = platform.switch
    assert sw.calendar_warnings(date(2026, 10, 31)) == []
    warned = sw.calendar_warnings(date(2026, 11, 1))
    assert len(warned) == 1 and "2027年的节假日安排仅为暂定" in warned[0]
    assert "2028年的节假日安排尚未导入" in sw.calendar_warnings(date(2027, 11, 2))[0]
    assert "2030年的节假日安排不在数据库中" in check({2029: "official"}, date(2030, 1, 5))[0]


def test_importing_the_notice_replaces_the_year_and_clears_the_warning(platform, clock, caplog) -> None:
    sw = platform.switch
    clock.set(beijing(2026, 12, 4))
    caplog.set_level(logging.WARNING)
    assert check_calendar(platform) and "CALENDAR: 2027年的节假日安排仅为暂定" in caplog.text  # the node log
    notice = parse_notice(NOTICE_2027)
    sw.import_notice(notice, actor="user:1")
    assert sw.calendar_warnings() == []
    years = {y["year"]: y for y in sw.calendar_years()}
    assert years[2027]["status"] == "official" and years[2027]["workdays"] == 3 and years[2027]["holidays"] == 18
    clock.set(beijing(2027, 2, 13))  # a Saturday worked (调休) per the notice
    assert sw.hours_state("44").open and sw.hours_state("44").reason == "makeup_workday"
    clock.set(beijing(2027, 6, 9))  # 端午 was in the provisional year only: the import replaced it
    assert sw.hours_state("44").open
    entry = next(e for e in platform.audit.entries(limit=20) if e.action == "switch.calendar.import"
                 and e.detail.get("year") == 2027 and e.actor == "user:1")
    assert entry.detail["status"] == "official"


def test_bad_notices_are_refused_with_where_and_why() -> None:
    bad = {
        "year: 2027\nholidays: []\n": "holidays",
        "year: 27\nholidays: [{name: a, from: 2027-01-01}]\n": "year",
        "year: 2027\nholidays: [{name: 春节, from: 2027-02-12, to: 2027-02-05}]\n": "not a holiday period",
        "year: 2027\nholidays: [{name: 春节, from: 2027-02-30}]\n": "not a date",
        "year: 2027\nholidays: [{name: 春节, from: \"Feb 5\"}]\n": "is not a date",
        "year: 2027\nholidays: [{name: 春节, from: 2027-02-05, to: 2027-02-06, workdays: [2027-02-06]}]\n": "cannot be",
        "year: 2027\nholidays: [{name: A, from: 2027-10-01}, {name: B, from: 2027-10-01}]\n": "already",
        "year: 2027\nstatus: maybe\nholidays: [{name: A, from: 2027-10-01}]\n": "status",
    }
    for text, why in bad.items():
        with pytest.raises(CalendarError, match=why):
            parse_notice(text)


def test_editing_one_day(platform, clock) -> None:
    sw = platform.switch
    sw.set_official_day(date(2027, 10, 9), "workday", name="国庆节", actor="user:2")
    clock.set(beijing(2027, 10, 9))
    assert sw.hours_state("44").reason == "makeup_workday"
    sw.set_official_day(date(2027, 10, 9), None, actor="user:2")
    assert not sw.hours_state("44").open  # an ordinary Saturday again
    with pytest.raises(KeyError):
        sw.set_official_day(date(2031, 1, 1), "holiday", actor="user:2")
    assert [e.actor for e in platform.audit.entries(limit=5) if e.action == "switch.calendar.edit"] == ["user:2"] * 2


def test_cli_check_import_export(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from hotline.cli import main

    monkeypatch.setenv("HOTLINE_DATA_DIR", str(tmp_path))
    for name in ("DATABASE_URL", "RECORDS_DATABASE_URL", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("core.clock.SystemClock.now", lambda self: beijing(2026, 12, 4))
    runner = CliRunner()
    checked = runner.invoke(main, ["centers", "calendar", "--check"])
    assert checked.exit_code == 1 and "WARNING: 2027年的节假日安排仅为暂定" in checked.output
    notice = tmp_path / "2027.yaml"
    notice.write_text(NOTICE_2027, encoding="utf-8")
    imported = runner.invoke(main, ["centers", "calendar", "import-notice", str(notice)])
    assert imported.exit_code == 0 and "18 days off, 3 make-up working days" in imported.output
    ok = runner.invoke(main, ["centers", "calendar", "--check"])
    assert ok.exit_code == 0 and "2027 official" in ok.output
    exported = runner.invoke(main, ["centers", "calendar", "export", "2027"]).output
    assert parse_notice(exported).days == parse_notice(NOTICE_2027).days
    broken = tmp_path / "bad.yaml"
    broken.write_text("year: 2027\nholidays: [{name: x, from: 2027-13-01}]\n", encoding="utf-8")
    refused = runner.invoke(main, ["centers", "calendar", "import-notice", str(broken)])
    assert refused.exit_code != 0 and "nothing imported" in refused.output
