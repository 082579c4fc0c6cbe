"""Item 5: the data directory is 0700 and its files 0600; sent one-time codes and record summaries
do not stay in clear in the outbox (a hash is kept); the demo log provider masks codes.
Item 21: each provider acceptance is recorded as soon as it happens."""

from __future__ import annotations

import json
import stat
import threading
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from hotline.cli import main
from hotline.platform import Platform
from sms.models import OutboxMessage
from sms.outbox import text_digest
from tests.sms.helpers import RecordingProvider, dispatcher


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_data_dir_is_private(tmp_path: Path) -> None:
    folder = tmp_path / "var"
    env = {"HOTLINE_DATA_DIR": str(folder)}
    out = CliRunner().invoke(main, ["init", "--demo"], env=env)
    assert out.exit_code == 0, out.output
    out = CliRunner().invoke(main, ["sms", "send", "--to", "13800138000", "--text", "测试"], env=env)
    CliRunner().invoke(main, ["sms", "dispatch", "--until-empty"], env=env)
    assert mode(folder) == 0o700
    files = [folder / "hotline.db", folder / "core-records.db", *(folder / "secrets").iterdir()]
    files += [p for p in folder.iterdir() if p.name.endswith(("-wal", "-shm")) or p.name == "sms-outbox.log"]
    assert folder / "hotline.db" in files and len(files) >= 4
    assert {p.name: oct(mode(p)) for p in files} == {p.name: oct(0o600) for p in files}
    assert mode(folder / "secrets") == 0o700


def test_an_existing_world_readable_database_is_narrowed(tmp_path: Path) -> None:
    from core.db import Database

    db_file = tmp_path / "old.db"
    db_file.write_bytes(b"")
    db_file.chmod(0o644)
    Database(f"sqlite:///{db_file}").dispose()
    assert mode(db_file) == 0o600


def _rows(platform: Platform) -> list[OutboxMessage]:
    with platform.db.session() as s:
        return list(s.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars())


def test_sent_codes_and_summaries_are_blanked_with_a_hash_kept(platform: Platform) -> None:
    platform.sms.templates.seed_defaults()
    prov = RecordingProvider("p")
    d = dispatcher(platform, prov)
    otp = platform.sms.send("13900001234", "verification_code", {"code": "482913", "minutes": 5}, category="otp")
    summary = platform.sms.send("13900001234", "record_summary", {"summary": "个人账户余额52,300元"})
    notice = platform.sms.send("13900001234", "card_ready", {"place": "市民中心"}, category="notice")
    d.run_once()
    assert len(prov.sent) == 3 and "482913" in prov.sent[0].text  # the provider got the real text
    rows = {r.id: r for r in _rows(platform)}
    for i in (otp, summary):
        assert rows[i].text == "" and "482913" not in json.dumps(rows[i].variables)
        assert "52,300" not in json.dumps(rows[i].variables, ensure_ascii=False)
    assert rows[otp].variables["text_sha256"] == text_digest(prov.sent[0].text)
    assert rows[notice].text  # ordinary notices keep their text until retention
    # a code that fails for good is blanked too
    prov_bad = RecordingProvider("q", fail=10, permanent=True)
    d2 = dispatcher(platform, prov_bad)
    failed = platform.sms.send("13900001234", "verification_code", {"code": "777111", "minutes": 5},
                               category="otp")
    d2.run_once()
    row = next(r for r in _rows(platform) if r.id == failed)
    assert row.status == "failed" and row.text == "" and "777111" not in json.dumps(row.variables)


def test_the_demo_log_provider_masks_codes(platform: Platform) -> None:
    from sms.providers.log import LogProvider

    platform.sms.templates.seed_defaults()
    log_file = Path(platform.settings.data_dir) / "sms-outbox.log"
    d = dispatcher(platform, LogProvider(platform=platform, config=platform.sms.config))
    platform.sms.send("13900001234", "verification_code", {"code": "482913", "minutes": 5}, category="otp")
    d.run_once()
    text = log_file.read_text(encoding="utf-8")
    assert "482913" not in text and "验证码" in text
    assert mode(log_file) == 0o600


class CrashingProvider(RecordingProvider):
    """Accepts messages, then the process dies (an exception from the second send on stands in for
    SIGKILL: nothing after it in the pass runs)."""

    def __init__(self) -> None:
        super().__init__("crash")
        self.after = 3

    def send(self, msg: Any) -> str:
        with self.lock:
            if len(self.sent) >= self.after:
                raise SystemExit("killed")
        return super().send(msg)


def test_a_crash_mid_batch_resends_only_what_was_in_flight(platform: Platform, clock: Any) -> None:
    platform.sms.templates.seed_defaults()
    prov = CrashingProvider()
    d = dispatcher(platform, prov, workers=1)
    for i in range(10):
        platform.sms.send(f"1380013{i:04d}", "card_ready", {"place": "x"}, category="notice")
    with pytest.raises(SystemExit):
        d.run_once()
    rows = _rows(platform)
    assert sum(r.status == "sent" for r in rows) == 3  # each acceptance was written when it happened
    # after the lease runs out another dispatcher resumes: the 3 accepted ones are not sent again
    clock.advance(3600)
    again = RecordingProvider("crash")
    d2 = dispatcher(platform, again)
    d2.drain(sleep=lambda _s: clock.advance(1))
    resent = {m.to for m in again.sent} & {m.to for m in prov.sent}
    assert resent == set() and len(again.sent) == 7
    assert threading.active_count() >= 1
