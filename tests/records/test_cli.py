"""`hotline records ...` through the real command line entry point."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from hotline.cli import main
from tests.records.conftest import DEMO_ID


@pytest.fixture
def cli_env(tmp_path: Path, core_file: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOTLINE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("RECORDS_DATABASE_URL", f"sqlite:///{core_file}")
    return tmp_path


def test_demo_citizens_lists_the_documented_citizen(cli_env: Path) -> None:
    result = CliRunner().invoke(main, ["records", "demo-citizens"])
    assert result.exit_code == 0 and f"{DEMO_ID}  李秀兰  password 246810  mobile 13900001234" in result.output


def test_check_readonly(cli_env: Path) -> None:
    result = CliRunner().invoke(main, ["records", "check-readonly"])
    assert result.exit_code == 0, result.output
    assert "read-only: yes" in result.output and "rows in insured_person: 46" in result.output


def test_check_readonly_reports_an_unreachable_core(cli_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECORDS_DATABASE_URL", f"sqlite:///{cli_env / 'missing.db'}")
    result = CliRunner().invoke(main, ["records", "check-readonly"])
    assert result.exit_code == 2 and "unavailable" in result.output


def test_lookup_is_masked_and_audited(cli_env: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["records", "lookup", DEMO_ID]).exit_code == 2  # --reason is required
    result = runner.invoke(main, ["records", "lookup", DEMO_ID, "--reason", "核对退休待遇"])
    assert result.exit_code == 0, result.output
    assert "110105********002X" in result.output and DEMO_ID not in result.output and "李秀兰" not in result.output
    audit = runner.invoke(main, ["audit", "list", "--json"])
    assert '"action": "record.lookup"' in audit.output and '"channel": "cli"' in audit.output
    assert runner.invoke(main, ["audit", "verify"]).exit_code == 0


def test_issue_password_then_unlock(cli_env: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["records", "issue-password", DEMO_ID])
    assert result.exit_code == 0 and "must be changed" in result.output
    assert runner.invoke(main, ["records", "issue-password", "123"]).exit_code == 1
    assert runner.invoke(main, ["records", "unlock", DEMO_ID]).exit_code == 0
