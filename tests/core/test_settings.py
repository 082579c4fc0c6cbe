"""The core's settings: read from the same variables as always, checked at start with an error naming
the variable, secrets generated into the data dir when not given; tests build Settings directly."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.settings import ConfigError, Settings, env_names

CORE_VARIABLES = {
    "data_dir": "HOTLINE_DATA_DIR", "database_url": "DATABASE_URL", "records_database_url": "RECORDS_DATABASE_URL",
    "redis_url": "REDIS_URL", "web_host": "HOTLINE_WEB_HOST", "web_port": "HOTLINE_WEB_PORT",
    "web_threads": "HOTLINE_WEB_THREADS",
    "node_cpu": "HOTLINE_NODE_CPU", "agi_host": "HOTLINE_AGI_HOST", "agi_port": "HOTLINE_AGI_PORT",
    "secret_key": "HOTLINE_SECRET_KEY", "handoff_secret": "HOTLINE_HANDOFF_SECRET",
    "handoff_reverify": "HOTLINE_HANDOFF_REVERIFY", "audit_key": "HOTLINE_AUDIT_KEY", "demo_mode": "HOTLINE_DEMO",
    "node_id": "HOTLINE_NODE_ID", "center_code": "HOTLINE_CENTER", "public_url": "HOTLINE_PUBLIC_URL",
    "twilio_account_sid": "TWILIO_ACCOUNT_SID", "twilio_auth_token": "TWILIO_AUTH_TOKEN",
    "twilio_api_base": "TWILIO_API_BASE", "timezone": "HOTLINE_TIMEZONE", "test_call_key": "HOTLINE_TEST_CALL_KEY",
}


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in CORE_VARIABLES.values():
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOTLINE_DATA_DIR", str(tmp_path / "var"))
    return tmp_path / "var"


def test_the_variable_names_are_unchanged() -> None:
    assert env_names(Settings) == CORE_VARIABLES


def test_defaults_and_generated_secrets(clean_env: Path) -> None:
    s = Settings.from_env()
    data = clean_env.resolve()
    assert s.data_dir == data and s.database_url == f"sqlite:///{data / 'hotline.db'}"
    assert s.records_database_url == f"sqlite:///{data / 'core-records.db'}" and s.redis_url is None
    assert (s.web_host, s.web_port, s.web_threads) == ("127.0.0.1", 8000, 256)
    assert (s.agi_host, s.agi_port) == ("127.0.0.1", 4573)
    assert (s.handoff_reverify, s.demo_mode, s.node_id, s.center_code) == ("never", True, "node-1", "00")
    assert (s.public_url, s.timezone, s.twilio_account_sid) == ("http://127.0.0.1:8000", "Asia/Shanghai", None)
    for name in ("secret_key", "handoff_secret", "audit_key"):
        stored = (data / "secrets" / name).read_text(encoding="utf-8")
        assert getattr(s, name) == stored and len(stored) >= 32
    assert Settings.from_env().secret_key == s.secret_key  # read back, not generated again


def test_the_environment_and_overrides(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTLINE_WEB_PORT", "8100")
    monkeypatch.setenv("HOTLINE_DEMO", "0")
    monkeypatch.setenv("HOTLINE_CENTER", "44")
    monkeypatch.setenv("HOTLINE_SECRET_KEY", "given")
    monkeypatch.setenv("HOTLINE_HANDOFF_REVERIFY", " Records ")
    monkeypatch.setenv("REDIS_URL", "")  # empty counts as unset
    s = Settings.from_env(agi_port=4600)
    assert (s.web_port, s.agi_port, s.demo_mode, s.center_code, s.secret_key) == (8100, 4600, False, "44", "given")
    assert s.handoff_reverify == "records" and s.redis_url is None
    assert not (s.data_dir / "secrets" / "secret_key").exists()


@pytest.mark.parametrize(("variable", "value"), [
    ("HOTLINE_WEB_PORT", "eighty"), ("HOTLINE_WEB_PORT", "70000"), ("HOTLINE_AGI_PORT", "-1"),
    ("HOTLINE_WEB_THREADS", "many"), ("HOTLINE_NODE_CPU", "0,1"),
    ("HOTLINE_DEMO", "perhaps"), ("HOTLINE_HANDOFF_REVERIFY", "sometimes"),
    ("HOTLINE_TIMEZONE", "Mars/Olympus"),
])
def test_a_bad_value_stops_with_the_variable_named(clean_env: Path, monkeypatch: pytest.MonkeyPatch,
                                                   variable: str, value: str) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError, match=variable) as info:
        Settings.from_env()
    assert repr(value) in str(info.value)


def test_tests_build_settings_directly(tmp_path: Path) -> None:
    s = Settings(data_dir=tmp_path, database_url="sqlite://", records_database_url="sqlite://", redis_url=None,
                 secret_key="k", handoff_reverify="always", extra={"sms_rate": "3"})
    assert s.audit_key == "" and s.handoff_reverify == "always" and s.extra == {"sms_rate": "3"}
    assert not (tmp_path / "secrets").exists()  # nothing generated outside from_env
    with pytest.raises(ValueError, match="HOTLINE_HANDOFF_REVERIFY"):
        Settings(data_dir=tmp_path, handoff_reverify="sometimes")
    with pytest.raises(Exception, match="frozen"):
        s.web_port = 1  # type: ignore[misc]


def test_a_setting_that_moved_to_its_home_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="ami_host"):
        Settings(data_dir=tmp_path, ami_host="127.0.0.1")  # now ivr/asterisk/config.py: settings.extra
