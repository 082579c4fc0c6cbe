"""Configuration from environment variables, with embedded defaults that need no server."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from core.files import private_dir


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


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


@dataclass(frozen=True)
class Settings:
    """All node configuration. Build with `Settings.from_env()`; tests build it directly."""

    data_dir: Path
    database_url: str
    records_database_url: str
    redis_url: str | None
    web_host: str = "127.0.0.1"
    web_port: int = 8000
    agi_host: str = "127.0.0.1"
    agi_port: int = 4573
    secret_key: str = ""
    handoff_secret: str = ""
    handoff_reverify: str = "never"  # never | records | always: see HANDOFF_REVERIFY
    audit_key: str = ""  # HMAC key of the audit chain; empty: derived from secret_key (tests only)
    demo_mode: bool = True
    node_id: str = "node-1"
    center_code: str = "00"
    public_url: str = "http://127.0.0.1:8000"
    ami_host: str | None = None
    ami_port: int = 5038
    ami_username: str | None = None
    ami_secret: str | None = None
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    twilio_api_base: str | None = None
    sms_signature: str = "【12333】"
    timezone: str = "Asia/Shanghai"
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        data_dir = private_dir(Path(_env("HOTLINE_DATA_DIR", "./var") or "./var").resolve())
        values: dict[str, object] = dict(
            data_dir=data_dir,
            database_url=_env("DATABASE_URL", f"sqlite:///{data_dir / 'hotline.db'}"),
            records_database_url=_env(
                "RECORDS_DATABASE_URL", f"sqlite:///{data_dir / 'core-records.db'}"
            ),
            redis_url=_env("REDIS_URL"),
            web_host=_env("HOTLINE_WEB_HOST", "127.0.0.1"),
            web_port=int(_env("HOTLINE_WEB_PORT", "8000") or 8000),
            agi_host=_env("HOTLINE_AGI_HOST", "127.0.0.1"),
            agi_port=int(_env("HOTLINE_AGI_PORT", "4573") or 4573),
            secret_key=_env("HOTLINE_SECRET_KEY") or _load_or_create_secret(data_dir, "secret_key"),
            handoff_secret=_env("HOTLINE_HANDOFF_SECRET")
            or _load_or_create_secret(data_dir, "handoff_secret"),
            handoff_reverify=handoff_reverify_policy(_env("HOTLINE_HANDOFF_REVERIFY", "never")),
            audit_key=_env("HOTLINE_AUDIT_KEY") or _load_or_create_secret(data_dir, "audit_key"),
            demo_mode=(_env("HOTLINE_DEMO", "1") or "1").lower() in ("1", "true", "yes", "on"),
            node_id=_env("HOTLINE_NODE_ID", "node-1"),
            center_code=_env("HOTLINE_CENTER", "00"),
            public_url=_env("HOTLINE_PUBLIC_URL", "http://127.0.0.1:8000"),
            ami_host=_env("HOTLINE_AMI_HOST"),
            ami_port=int(_env("HOTLINE_AMI_PORT", "5038") or 5038),
            ami_username=_env("HOTLINE_AMI_USERNAME"),
            ami_secret=_env("HOTLINE_AMI_SECRET"),
            twilio_account_sid=_env("TWILIO_ACCOUNT_SID"),
            twilio_auth_token=_env("TWILIO_AUTH_TOKEN"),
            twilio_api_base=_env("TWILIO_API_BASE"),
            sms_signature=_env("HOTLINE_SMS_SIGNATURE", "【12333】"),
            timezone=_env("HOTLINE_TIMEZONE", "Asia/Shanghai") or "Asia/Shanghai",
        )
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]
