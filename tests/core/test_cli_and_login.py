import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from core.accounts import DEMO_PASSWORD


def _hotline(data_dir: Path, *args: str, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "HOTLINE_DATA_DIR": str(data_dir), **(env_extra or {})}
    env.pop("DATABASE_URL", None)
    env.pop("RECORDS_DATABASE_URL", None)
    return subprocess.run([sys.executable, "-m", "hotline.cli", *args], env=env, capture_output=True,
                          text=True, timeout=600)


def _table_counts(db: Path) -> dict[str, int]:
    conn = sqlite3.connect(db)
    names = [r[0] for r in conn.execute("select name from sqlite_master where type='table'")]
    counts = {n: conn.execute(f'select count(*) from "{n}"').fetchone()[0] for n in names
              if n not in ("alembic_version",)}
    conn.close()
    return counts


def test_init_demo_twice_leaves_the_same_data_and_audit_verify_catches_tampering(tmp_path: Path) -> None:
    first = _hotline(tmp_path, "init", "--demo")
    assert first.returncode == 0, first.stderr
    counts_1 = _table_counts(tmp_path / "hotline.db")
    second = _hotline(tmp_path, "init", "--demo")
    assert second.returncode == 0, second.stderr
    counts_2 = _table_counts(tmp_path / "hotline.db")
    counts_1.pop("audit_log", None), counts_2.pop("audit_log", None)
    counts_1.pop("audit_head", None), counts_2.pop("audit_head", None)
    assert counts_1 == counts_2
    assert counts_1["users"] >= 5

    from core.audit import AuditLog
    from core.db import Database

    key = (tmp_path / "secrets" / "audit_key").read_text().strip()  # the chain is keyed (HMAC)
    audit = AuditLog(Database(f"sqlite:///{tmp_path / 'hotline.db'}"), key=key)
    for _ in range(3):
        audit.record(actor="agent:1", channel="console", action="record.lookup", outcome="ok")
    ok = _hotline(tmp_path, "audit", "verify")
    assert ok.returncode == 0 and "intact" in ok.stdout
    conn = sqlite3.connect(tmp_path / "hotline.db")
    seq = conn.execute("select max(seq) from audit_log").fetchone()[0] - 1
    conn.execute("update audit_log set actor='agent:2' where seq=?", (seq,))
    conn.commit()
    conn.close()
    bad = _hotline(tmp_path, "audit", "verify")
    assert bad.returncode == 1
    assert f"seq {seq}" in bad.stderr


def test_every_subcommand_has_help(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from hotline.cli import main

    runner = CliRunner()
    result = runner.invoke(main, ["--help"])
    assert result.exit_code == 0
    for name in main.list_commands(None):  # type: ignore[arg-type]
        sub = runner.invoke(main, [name, "--help"])
        assert sub.exit_code == 0, (name, sub.output)
        assert "Usage" in sub.output


def _login(client, username: str, password: str):  # type: ignore[no-untyped-def]
    page = client.get("/login")
    token = page.get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token})


def test_login_demo_user_and_csrf(platform, client) -> None:  # type: ignore[no-untyped-def]
    platform.accounts.create_user("agent", DEMO_PASSWORD, ["agent"], province_scope="11", is_demo=True)
    no_csrf = client.post("/login", data={"username": "agent", "password": DEMO_PASSWORD})
    assert no_csrf.status_code == 400
    assert _login(client, "agent", "wrong").status_code == 401
    ok = _login(client, "agent", DEMO_PASSWORD)
    assert ok.status_code == 302
    entries = platform.audit.entries(action="login")
    assert [e.outcome for e in entries] == ["ok", "refused"]


def test_demo_password_refused_outside_demo_mode(tmp_path: Path, clock) -> None:  # type: ignore[no-untyped-def]
    from core.state import MemoryStore
    from hotline.platform import Platform
    from tests.conftest import make_settings
    from web.app import create_app

    p = Platform(make_settings(tmp_path, demo_mode=False), clock=clock, store=MemoryStore(clock))
    p.migrate()
    p.accounts.create_user("agent", DEMO_PASSWORD, ["agent"], is_demo=True)
    client = create_app(p).test_client()
    response = _login(client, "agent", DEMO_PASSWORD)
    assert response.status_code == 401
    assert "演示" in response.get_data(as_text=True)
    p.close()


def test_login_rate_limit(platform, client) -> None:  # type: ignore[no-untyped-def]
    platform.accounts.create_user("sup", "correct-horse", ["supervisor"])
    for _ in range(5):
        assert _login(client, "sup", "nope").status_code == 401
    assert _login(client, "sup", "correct-horse").status_code == 429
