"""Every home's settings (pydantic-settings, composed at the root): the variables the README and docs
document are the ones read, with the documented defaults; a bad value of each kind stops the start
(building a Platform, or `run_node`) with an error naming the variable; tests override through
`Settings.extra`."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from core.settings import ConfigError, HomeSettings, Settings, env_names, extra_key
from hotline import homes
from hotline.config import home_settings
from tests.conftest import make_settings

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTED = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
NAME = re.compile(r"^(HOTLINE|TWILIO|RECORDS|SWITCH|TICKETS)_[A-Z0-9_]+$|^(DATABASE|REDIS)_URL$")
# documented variables that are not settings fields, and where they are read
READ_ELSEWHERE = {
    "HOTLINE_SMS_WEBHOOK_TOKEN": "core.settings.sms_webhook_token (a secret generated on first use)",
    "HOTLINE_AUDIT_KEY_NEW": "hotline audit rotate-key",
}


def all_classes() -> list[type[HomeSettings]]:
    return [cls for _, cls in homes.settings_classes()]


def read_variables() -> dict[str, str]:
    """variable -> the class that reads it (core Settings and every home's)."""
    found: dict[str, str] = {name: "Settings" for name in env_names(Settings).values()}
    for cls in all_classes():
        for name in env_names(cls).values():
            assert name not in found, f"{name} is read by {found[name]} and {cls.__name__}"
            found[name] = cls.__name__
    return found


def documented_variables() -> set[str]:
    """The variables named in the first column of a configuration table in README.md and docs/*.md
    (`HOTLINE_AMI_HOST` / `_PORT`: the short forms extend the first name)."""
    names: set[str] = set()
    for path in DOCUMENTED:
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.startswith("| `"):
                continue
            first = ""
            for token in re.findall(r"`([A-Z0-9_.]+)`", line.split("|")[1]):
                token = token.removeprefix("...")
                if NAME.match(token):
                    first = first or token
                    names.add(token)
                elif token.startswith("_") and first:  # the first name's stem, longest that is read
                    parts = first.split("_")
                    candidates = ["_".join(parts[:i]) + token for i in range(len(parts) - 1, 0, -1)]
                    names.add(next((c for c in candidates if c in read_variables()), candidates[0]))
    return {n for n in names if not n.endswith("_")}


def test_the_registry_names_the_settings_of_each_home() -> None:
    assert {cls.__name__ for cls in all_classes()} >= {
        "SwitchSettings", "RecordsSettings", "TicketsSettings", "SmsSettings", "RecordingSettings",
        "SpeechSettings", "TwilioSettings", "AmiSettings", "ChannelSettings", "ControlSettings", "QaSettings",
        "WebSettings", "AcdSettings"}


@pytest.mark.parametrize("variable", sorted(documented_variables()))
def test_every_documented_variable_is_read(variable: str) -> None:
    assert variable in read_variables() or variable in READ_ELSEWHERE, f"{variable} is documented but not read"


DEFAULTS: list[tuple[str, Any]] = [  # as README.md and docs/* document them
    ("HOTLINE_SMS_RATE", 50), ("HOTLINE_SMS_BATCH", 100), ("HOTLINE_SMS_WORKERS", 8),
    ("HOTLINE_SMS_LEASE_SECONDS", 60), ("HOTLINE_SMS_MAX_ATTEMPTS", 6), ("HOTLINE_SMS_BACKOFF_SECONDS", 30),
    ("HOTLINE_SMS_EXPIRY_HOURS", 24), ("HOTLINE_SMS_QUIET_START", 21), ("HOTLINE_SMS_QUIET_END", 8),
    ("HOTLINE_SMS_DAILY_CAP", 5), ("HOTLINE_SMS_DAILY_CAP_REPLY", 30), ("HOTLINE_SMS_DAILY_CAP_OTP", 10),
    ("HOTLINE_SMS_SENDER", "12333"), ("HOTLINE_SMS_RETENTION_DAYS", 90), ("HOTLINE_SMS_RETENTION_INTERVAL", 3600),
    ("HOTLINE_SMS_SIGNATURE", "【12333】"), ("HOTLINE_SMS_SMPP_PORT", 2775), ("HOTLINE_SMS_SMPP_ENQUIRE_LINK", 30),
    ("RECORDS_MAX_ATTEMPTS", 5), ("RECORDS_LOCKOUT_MINUTES", 30), ("RECORDS_SESSION_MINUTES", 30),
    ("RECORDS_SESSION_MAX_FAILURES", 10), ("RECORDS_OTP_MINUTES", 5), ("RECORDS_STATEMENT_TIMEOUT_MS", 2000),
    ("RECORDS_CONNECT_TIMEOUT_S", 3), ("RECORDS_REVEAL_ROLES", "supervisor,admin"),
    ("HOTLINE_AMI_PORT", 5038), ("HOTLINE_ASTERISK_AMI_AUTH", "md5"), ("HOTLINE_AMI_HOST", None),
    ("HOTLINE_ASTERISK_SOUND_PREFIX", "hotline/"), ("HOTLINE_ASTERISK_TTS_APP", "Playback"),
    ("HOTLINE_ASTERISK_TTS_DATA", "hotline/tts/{id}"), ("HOTLINE_ASTERISK_MUSIC_CLASS", "default"),
    ("HOTLINE_ASTERISK_HOLD_PERIOD_S", 30), ("HOTLINE_ASTERISK_DIAL_TIMEOUT_S", 30),
    ("HOTLINE_ASTERISK_DIAL_OPTIONS", "g"), ("HOTLINE_ASTERISK_CONNECT_MODE", "dial"),
    ("HOTLINE_ASTERISK_TRANSFER_DIAL", "PJSIP/{center}@{trunk}"),
    ("HOTLINE_ASTERISK_CALLBACK_DIAL", "PJSIP/{number}@national"),
    ("HOTLINE_ASTERISK_CALLBACK_CONTEXT", "hotline-callback"),
    ("HOTLINE_SPEECH_DELIVERY", "http"), ("HOTLINE_SPEECH_ALLOW", "127.0.0.1/32,::1/128"),
    ("HOTLINE_SPEECH_URL_TTL_S", 3600), ("HOTLINE_TTS_ENGINE", "espeak"),
    ("HOTLINE_SSE_HEARTBEAT", 15), ("HOTLINE_PROXY_FIX", ""),
    ("TWILIO_CLIENT_PREFIX", "agent-"), ("TWILIO_TOKEN_TTL", 3600), ("TWILIO_SPEECH", True),
    ("TWILIO_AGENT_LEG", "dial"), ("TWILIO_VOICE", "Polly.Zhiyu"),
    ("SWITCH_HOLIDAY_EXEMPT", ""), ("HOTLINE_DEMO_OPEN_24H", False), ("TICKETS_DUE_WORKING_DAYS", 2),
    ("HOTLINE_ACD_OFFER_TIMEOUT", 15), ("HOTLINE_ACD_WRAPUP_SECONDS", 30), ("HOTLINE_ACD_SL_SECONDS", 15),
    ("HOTLINE_ACD_MISSED_AFTER", 20), ("HOTLINE_ACD_CALLBACK_ATTEMPTS", 3), ("HOTLINE_ACD_CALLBACK_SPACING", 600),
    ("HOTLINE_ACD_CALLBACK_UNREACHABLE_SMS", False),
    ("HOTLINE_QA_SAMPLE_RATE", 0.02), ("HOTLINE_QA_SAMPLE_MIN", 2), ("HOTLINE_QA_LONG_HANDLE_S", 900),
    ("HOTLINE_RECORDING_ENABLED", True), ("HOTLINE_RECORDING_CODEC", "opus"), ("HOTLINE_RECORDING_STORAGE", "local"),
    ("HOTLINE_RECORDING_BITRATE_KBPS", 16), ("HOTLINE_RECORDING_S3_BUCKET", "hotline-recordings"),
]


def field_of(variable: str) -> tuple[type[HomeSettings], str]:
    for cls in all_classes():
        for field, name in env_names(cls).items():
            if name == variable:
                return cls, field
    raise AssertionError(f"no settings class reads {variable}")


@pytest.mark.parametrize(("variable", "default"), DEFAULTS)
def test_documented_defaults(variable: str, default: Any) -> None:
    cls, field = field_of(variable)
    assert getattr(cls.from_mapping({}), field) == default


BAD: list[tuple[str, str]] = [  # one of each kind: number, range, flag, choice, list format, address
    ("HOTLINE_SMS_RATE", "fast"), ("HOTLINE_SMS_SMPP_PORT", "99999"), ("HOTLINE_SMS_RATES", "kannel:100"),
    ("RECORDS_MAX_ATTEMPTS", "0"), ("HOTLINE_RECORDING_ENABLED", "maybe"), ("HOTLINE_RECORDING_CODEC", "flac"),
    ("HOTLINE_RECORDING_RETENTION_DAYS", "180,44=-1"), ("HOTLINE_RECORDING_ASR", "no-colon"),
    ("HOTLINE_QA_SAMPLE_RATE", "2"), ("TICKETS_DUE_WORKING_DAYS", "soon"), ("HOTLINE_DEMO_OPEN_24H", "sometimes"),
    ("HOTLINE_AMI_PORT", "x"), ("HOTLINE_ASTERISK_AMI_AUTH", "sha1"), ("HOTLINE_ASTERISK_DIAL_TIMEOUT_S", "long"),
    ("HOTLINE_ASTERISK_ANSWER", "perhaps"), ("HOTLINE_SPEECH_DELIVERY", "carrier-pigeon"),
    ("HOTLINE_SPEECH_ALLOW", "not-a-network"), ("TWILIO_AGENT_LEG", "conferance"), ("TWILIO_ENTRIES", "=12333"),
    ("TWILIO_TTS", "robot"), ("HOTLINE_PROXY_FIX", "x_forwarded=1"), ("HOTLINE_SSE_HEARTBEAT", "-1"),
    ("HOTLINE_ACD_OFFER_TIMEOUT", "0"), ("HOTLINE_ACD_CALLBACK_UNREACHABLE_SMS", "often"),
]


@pytest.mark.parametrize(("variable", "value"), BAD)
def test_a_bad_value_stops_the_start_naming_the_variable(variable: str, value: str, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError, match=variable):
        home_settings(make_settings(tmp_path))  # what the Platform and the node do at start


def test_a_platform_is_not_built_with_a_bad_value(tmp_path: Path) -> None:
    from hotline.platform import Platform

    with pytest.raises(ConfigError, match="HOTLINE_SMS_QUIET_START") as info:
        Platform(make_settings(tmp_path, extra={"sms_quiet_start": "25", "records_max_attempts": "x"}))
    assert "RECORDS_MAX_ATTEMPTS" in str(info.value)  # every fault at once


def test_the_node_refuses_to_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                   caplog: pytest.LogCaptureFixture) -> None:
    from hotline.node import run_node

    monkeypatch.setenv("HOTLINE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("HOTLINE_SMS_WORKERS", "none")
    assert run_node(load_demo_if_empty=False) == 2
    assert "HOTLINE_SMS_WORKERS" in caplog.text


def test_extra_overrides_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sms.config import SmsSettings

    monkeypatch.setenv("HOTLINE_SMS_RATE", "7")
    monkeypatch.setenv("HOTLINE_SMS_BATCH", "9")
    s = SmsSettings.of(make_settings(tmp_path, extra={"sms_rate": "3"}))
    assert (s.rate, s.batch) == (3, 9)
    assert extra_key(SmsSettings, "rate") == "sms_rate"


def test_read_once_per_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tickets.config import TicketsSettings

    settings = make_settings(tmp_path)
    assert TicketsSettings.of(settings).due_working_days == 2
    monkeypatch.setenv("TICKETS_DUE_WORKING_DAYS", "7")
    assert TicketsSettings.of(settings).due_working_days == 2  # the start's value
    assert TicketsSettings.of(make_settings(tmp_path)).due_working_days == 7
