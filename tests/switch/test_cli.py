"""`hotline route` and `hotline centers` in-process (CliRunner) on a temporary data dir."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from hotline.cli import main


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("HOTLINE_DATA_DIR", str(tmp_path))
    for name in ("DATABASE_URL", "RECORDS_DATABASE_URL", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        result = runner.invoke(main, list(args), catch_exceptions=False)
        return result

    return invoke


def test_route_json(run) -> None:  # type: ignore[no-untyped-def]
    out = json.loads(run("route", "--from", "18620001234", "--json").output)
    assert out["province"] == "44" and out["reasons"][0]["code"] == "number_location"
    out = json.loads(run("route", "--from", "13800138000", "--topic", "pension", "--json").output)
    assert out["province"] == "11" and out["topic"] == "pension"
    out = json.loads(run("route", "--from", "13800138000", "--choice", "44", "--json").output)
    assert out["province"] == "44" and out["reasons"][0]["code"] == "caller_choice"
    text = run("route", "--from", "18620001234").output
    assert "province 44" in text and "number_location" in text
    out = json.loads(run("route", "--from", "13901001234", "--id", "44010619880315003X", "--insured", "44:广州市",
                         "--json").output)
    assert out["province"] == "44" and out["reasons"][0] == {"code": "insured_province",
                                                              "text": "核心系统记录来电人参保地为广东省广州市"}


def test_centers_commands(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    listing = run("centers", "list").output.strip().splitlines()
    assert len(listing) == 33 and listing[0].startswith("00")
    assert "closed (emergency)" in run("centers", "close", "44", "--text", "台风").output
    shown = json.loads(run("centers", "show", "44", "--json").output)
    assert shown["emergency_closed"] and shown["hours_state"]["reason"] == "emergency"
    run("centers", "open", "44")
    assert not json.loads(run("centers", "show", "44", "--json").output)["emergency_closed"]
    assert run("centers", "show", "99").exit_code != 0
    run("centers", "remote", "51", "--url", "http://sc.example", "--trunk", "PJSIP/trunk-sc")
    assert json.loads(run("centers", "show", "51", "--json").output)["mode"] == "remote"

    good = tmp_path / "cal.yaml"
    good.write_text("- {day: 2027-10-01, kind: holiday, name: 国庆节}\n"
                    "- {day: 2027-10-09, kind: workday, center: '44'}\n", encoding="utf-8")
    assert "imported 2" in run("centers", "calendar", "import", str(good)).output
    bad = tmp_path / "bad.yaml"
    bad.write_text("- {day: 2027-12-01, kind: holiday}\n- {day: not-a-date, kind: holiday}\n", encoding="utf-8")
    result = run("centers", "calendar", "import", str(bad))
    assert result.exit_code != 0 and "entry 2" in result.output
    days = run("centers", "calendar", "list").output
    assert "2027-10-01" in days and "2027-10-09" in days and "2027-12-01" not in days


def test_demo_summary_states_the_national_hours(platform, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from switch.demo import load_demo

    line = load_demo(platform)
    assert line.startswith("switch: 33 centers (33 new), 231 queues")
    assert line.endswith("national center 周一至周日 08:00-20:00, closed on public holidays")
    from switch.config import SwitchSettings

    monkeypatch.setattr(platform.switch.hours, "config", SwitchSettings(holiday_exempt="00"))  # read at start
    assert load_demo(platform).endswith("open on public holidays") and "(0 new)" in load_demo(platform)


def test_blocklist_commands(run) -> None:  # type: ignore[no-untyped-def]
    out = run("centers", "block", "13910001234", "--reason", "骚扰", "--days", "3", "--province", "11")
    assert out.exit_code == 0 and "北京市" in out.output and "13910001234" not in out.output
    assert '"scope": "11"' in run("centers", "blocklist", "--json").output
    assert run("centers", "unblock", "1").exit_code == 0
    assert run("centers", "blocklist", "--json").output.strip() == "[]"
    bad = run("centers", "block", "x", "--reason", "r")
    assert bad.exit_code != 0 and "not blocked" in bad.output
