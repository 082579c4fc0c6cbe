"""Fixtures for the records tests: a small demo core database (built once, copied per test), the
demo citizens' passwords (hashed once), a recording fake of records' `CodeSender` port, console users."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from core.accounts import hash_password
from records import generator
from records.demo_citizens import DEMO_CITIZENS
from records.models import ServicePassword

AS_OF = date(2026, 11, 24)
PERSONS = 40
DEMO_ID = "11010519491231002X"
DEMO_PASSWORD = "246810"
DEMO_MOBILE = "13900001234"
GD_ID = "44010619880315003X"  # insured in Guangdong, Beijing mobile
LOCK_ID = "440305199205182022"
NO_PW_ID = "310104197809091230"


@dataclass
class RecordingCodeSender:
    """Stands in for records' `CodeSender` (`platform.code_sender`, records/api.py) and records every call."""

    sent: list[dict[str, Any]] = field(default_factory=list)
    fail: bool = False

    def send_code(self, phone: str, code: str, *, minutes: int, session_id: str) -> None:
        if self.fail:
            raise ConnectionError("provider down")
        self.sent.append({"to": phone, "code": code, "minutes": minutes, "session_id": session_id})

    def send_summary(self, phone: str, summary: str, *, session_id: str) -> None:
        if self.fail:
            raise ConnectionError("provider down")
        self.sent.append({"to": phone, "summary": summary, "session_id": session_id})

    def last_code(self) -> str:
        return self.sent[-1]["code"]


@pytest.fixture(scope="session")
def core_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("core") / "core-records.db"
    generator.build(f"sqlite:///{path}", persons=PERSONS, as_of=AS_OF)
    return path


@pytest.fixture(scope="session")
def demo_hashes() -> dict[str, str]:
    return {c.id_number: hash_password(c.password) for c in DEMO_CITIZENS if c.password}


@pytest.fixture
def codes(monkeypatch: pytest.MonkeyPatch) -> RecordingCodeSender:
    """Put in for `Platform.code_sender` (a property of the composition root, like `acd_directory`)."""
    from hotline.platform import Platform

    fake = RecordingCodeSender()
    monkeypatch.setattr(Platform, "code_sender", property(lambda self: fake))
    return fake


@pytest.fixture
def records(platform, core_file: Path, demo_hashes: dict[str, str], codes: RecordingCodeSender):  # type: ignore[no-untyped-def]
    """`platform.records` over a copy of the demo core database, demo passwords set."""
    shutil.copy(core_file, platform.settings.records_database_url.removeprefix("sqlite:///"))
    with platform.db.session() as s:
        for number, digest in demo_hashes.items():
            s.add(ServicePassword(id_number=number, password_hash=digest, must_change=False, source="demo",
                                  set_at=platform.clock.now()))
    return platform.records


@pytest.fixture
def users(platform):  # type: ignore[no-untyped-def]
    acc = platform.accounts
    return {
        "bj": acc.create_user("agent-bj", "pw", ["agent"], province_scope="11"),
        "gd": acc.create_user("agent-gd", "pw", ["agent"], province_scope="44"),
        "national": acc.create_user("sup", "pw", ["supervisor"], province_scope="00"),
        "admin-gd": acc.create_user("adm", "pw", ["admin"], province_scope="44"),
    }


def audit_rows(platform, **filters: Any) -> list:  # type: ignore[no-untyped-def]
    return list(reversed(platform.audit.entries(limit=500, **filters)))
