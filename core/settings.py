"""Configuration from environment variables, with embedded defaults that need no server.

`Settings` holds the node settings that are the core's own (data dir, databases, Redis, web and
FastAGI addresses, node id, center, secrets, time zone...). Each home with configuration has its own
`HomeSettings` subclass in its home (`sms/config.py: SmsSettings`, ...); the composition root
(`hotline/config.py`) builds the core settings and every home's settings once at start, so a bad
value stops the start with a `ConfigError` naming the variable.

Both are pydantic-settings classes: the environment variable of a field is its `validation_alias`,
else the class's `env_prefix` plus the field name, upper case; an empty variable counts as unset.
Tests build `Settings(...)` directly; a home's settings are overridden, in tests, by the keys of
`Settings.extra` named after the variable, lower case without `hotline_` (`recording_retention_days`
for HOTLINE_RECORDING_RETENTION_DAYS, `tickets_due_working_days`), which take precedence over the
environment.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Self

from pydantic import BeforeValidator, Field, PrivateAttr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.files import private_dir


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _lowered(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


#: On a choice field (`Annotated[Literal[...], CASE_FOLDED]`): `HOTLINE_RECORDING_CODEC=OPUS` reads as `opus`.
CASE_FOLDED = BeforeValidator(_lowered)


class ConfigError(ValueError):
    """A configuration value that cannot be used; the message names each variable at fault."""


def env_name(cls: type[BaseSettings], field: str) -> str:
    """The environment variable a settings field is read from."""
    info = cls.model_fields.get(field)
    alias = info.validation_alias if info is not None else None
    if isinstance(alias, str):
        return alias
    prefix = str(cls.model_config.get("env_prefix") or "")
    return (prefix + field).upper()


def env_names(cls: type[BaseSettings]) -> dict[str, str]:
    """field -> environment variable, for every field read from the environment."""
    return {name: env_name(cls, name) for name, info in cls.model_fields.items()
            if not (info.json_schema_extra or {}).get("no_env")}  # type: ignore[union-attr]


def _config_error(cls: type[BaseSettings], exc: ValidationError) -> ConfigError:
    lines = []
    for err in exc.errors():
        field = str(err["loc"][0]) if err["loc"] else ""
        name = env_name(cls, field) if field in cls.model_fields else (field or cls.__name__)
        got = err.get("input")
        shown = f" (got {got!r})" if isinstance(got, str | int | float) else ""
        message = str(err["msg"]).removeprefix("Value error, ")
        lines.append(f"{message}{shown}" if message.startswith(name) else f"{name}: {message}{shown}")
    return ConfigError("configuration: " + "; ".join(lines))


class EnvSettings(BaseSettings):
    """Base of every settings class: frozen, empty variables unset, errors name the variable."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore", env_ignore_empty=True,
                                      populate_by_name=True, arbitrary_types_allowed=True)

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise _config_error(type(self), exc) from None


def _no_env(**kwargs: Any) -> Any:
    """A field that is never read from the environment (given by code or tests only)."""
    return Field(json_schema_extra={"no_env": True}, **kwargs)


# When a call handed over by another deployment must verify the caller's identity again here:
# never (trust the sender's signed verified flag), records (only for a record self-service on this
# deployment), always (before the call is queued).
HANDOFF_REVERIFY = ("never", "records", "always")


def handoff_reverify_policy(value: str | None) -> str:
    """`HOTLINE_HANDOFF_REVERIFY`, checked: one of HANDOFF_REVERIFY (a typo must not silently trust)."""
    policy = (value or "never").strip().lower()
    if policy not in HANDOFF_REVERIFY:
        raise ValueError(f"HOTLINE_HANDOFF_REVERIFY must be one of {', '.join(HANDOFF_REVERIFY)}, not {value!r}")
    return policy


def _load_or_create_secret(data_dir: Path, name: str, nbytes: int = 32) -> str:
    """Read a secret from the data dir, generating it on first use (never committed)."""
    path = data_dir / "secrets" / name
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    private_dir(path.parent)
    value = secrets.token_urlsafe(nbytes)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(value)
    return value


def sms_webhook_token(data_dir: Path) -> str:
    """The shared secret Kannel's get-url and dlr-url carry (`&token=...`): HOTLINE_SMS_WEBHOOK_TOKEN,
    else generated into the secrets dir on first use. There is no unauthenticated mode."""
    return _env("HOTLINE_SMS_WEBHOOK_TOKEN") or _load_or_create_secret(Path(data_dir), "sms_webhook_token")


class Settings(EnvSettings):
    """The core's node configuration. Build with `Settings.from_env()` (secrets generated into the
    data dir when not given); tests build it directly (`Settings(data_dir=..., database_url=...)`)."""

    # an unknown keyword (a setting that moved to its home, e.g. ami_host) is an error, not ignored
    model_config = SettingsConfigDict(env_prefix="HOTLINE_", extra="forbid")

    data_dir: Path = Path("./var")
    database_url: str = Field("", validation_alias="DATABASE_URL")  # "": SQLite in the data dir
    records_database_url: str = Field("", validation_alias="RECORDS_DATABASE_URL")
    redis_url: str | None = Field(None, validation_alias="REDIS_URL")
    web_host: str = "127.0.0.1"
    web_port: int = Field(8000, ge=0, le=65535)  # 0: a free port (tests)
    agi_host: str = "127.0.0.1"
    agi_port: int = Field(4573, ge=0, le=65535)
    secret_key: str = ""
    handoff_secret: str = ""
    handoff_reverify: str = "never"  # never | records | always: see HANDOFF_REVERIFY
    audit_key: str = ""  # HMAC key of the audit chain; empty: derived from secret_key (tests only)
    demo_mode: bool = Field(True, validation_alias="HOTLINE_DEMO")
    node_id: str = "node-1"
    center_code: str = Field("00", validation_alias="HOTLINE_CENTER")
    public_url: str = "http://127.0.0.1:8000"
    # the Twilio account is shared by the voice front end (ivr/twilio), the SMS gateway and the
    # webhooks' signature check, so it stays here
    twilio_account_sid: str | None = Field(None, validation_alias="TWILIO_ACCOUNT_SID")
    twilio_auth_token: str | None = Field(None, validation_alias="TWILIO_AUTH_TOKEN")
    twilio_api_base: str | None = Field(None, validation_alias="TWILIO_API_BASE")
    timezone: str = "Asia/Shanghai"
    test_call_key: str = ""  # HOTLINE_TEST_CALL_KEY; "": generated into the data dir (core/testcalls.py)
    web_threads: int = Field(256, ge=1)  # gunicorn threads (each open SSE stream holds one)
    node_cpu: str = "off"  # HOTLINE_NODE_CPU: off | auto | a CPU number (core/affinity.py)
    # overrides of the homes' settings (see `extra_key`), for tests; never from the environment
    extra: dict[str, Any] = _no_env(default_factory=dict)
    # the homes' settings built from these settings (HomeSettings.of): read once, at start
    _homes: dict[Any, Any] = PrivateAttr(default_factory=dict)

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy whose homes' settings are read again (from the environment of now)."""
        copied = super().model_copy(update=update, deep=deep)
        copied._homes = {}
        return copied

    @field_validator("handoff_reverify", mode="before")
    @classmethod
    def _reverify(cls, value: object) -> str:
        return handoff_reverify_policy(None if value is None else str(value))

    @field_validator("node_cpu", mode="before")
    @classmethod
    def _node_cpu(cls, value: object) -> str:
        from core.affinity import parse_node_cpu

        return parse_node_cpu(str(value))

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @model_validator(mode="after")
    def _databases(self) -> Self:
        # derived defaults: SQLite files in the data dir (frozen: set through the instance dict)
        if not self.database_url:
            self.__dict__["database_url"] = f"sqlite:///{self.data_dir / 'hotline.db'}"
        if not self.records_database_url:
            self.__dict__["records_database_url"] = f"sqlite:///{self.data_dir / 'core-records.db'}"
        return self

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        """The environment's settings (then `overrides`), the data dir made private and the secrets
        not given read from it, generated there on first use."""
        base = cls(**{k: v for k, v in overrides.items() if k == "data_dir"})
        data_dir = private_dir(Path(base.data_dir).resolve())
        values: dict[str, Any] = {"data_dir": data_dir, **{k: v for k, v in overrides.items() if k != "data_dir"}}
        settings = cls(**values)
        generated = {name: _load_or_create_secret(data_dir, name)
                     for name in ("secret_key", "handoff_secret", "audit_key") if not getattr(settings, name)}
        return settings.model_copy(update=generated) if generated else settings


def extra_key(cls: type[BaseSettings], field: str) -> str:
    """The `Settings.extra` key overriding a field: its variable's name, lower case, without `hotline_`
    (`HOTLINE_RECORDING_RETENTION_DAYS` -> `recording_retention_days`, `RECORDS_MAX_ATTEMPTS` ->
    `records_max_attempts`), as the per-home config modules read it before."""
    return env_name(cls, field).lower().removeprefix("hotline_")


class HomeSettings(EnvSettings):
    """Base of a home's settings class. `load(settings)`: the environment, overridden by the
    `settings.extra` keys named by `extra_key` (how tests configure a home); the composition root
    loads every home's at start to check them. `of(settings)`: the same, built once per `Settings`
    object when the home first asks (its service is built), not at each use."""

    @classmethod
    def overrides(cls, settings: Any) -> dict[str, Any]:
        extra = getattr(settings, "extra", None) or {}
        return {field: extra[key] for field in cls.model_fields
                if (key := extra_key(cls, field)) in extra and extra[key] not in (None, "")}

    @classmethod
    def load(cls, settings: Any) -> Self:
        return cls(**cls.overrides(settings))

    @classmethod
    def of(cls, settings: Any) -> Self:
        overrides = cls.overrides(settings)
        cache: dict[Any, Any] | None = getattr(settings, "_homes", None)
        if cache is None:
            return cls(**overrides)
        cache_key = (cls, repr(sorted(overrides.items())))
        found = cache.get(cache_key)
        if found is None:
            found = cache[cache_key] = cls(**overrides)
        return found  # type: ignore[no-any-return]

    @classmethod
    def from_mapping(cls, environ: Mapping[str, str]) -> Self:
        """The settings of the variables in `environ` only (not the process environment): tests."""
        values = {field: environ[name] for field, name in env_names(cls).items() if environ.get(name)}
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            raise _config_error(cls, exc) from None
