"""The read-only connector: writes fail loudly (SQLite and real PostgreSQL), failures and timeouts
become `CoreUnavailable` and a speakable outcome, never a crash or a hung call."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, exc, text

from records import generator, mapping
from records.config import RecordsConfig
from records.connector import CoreUnavailable, ReadOnlyCore, ReadOnlyViolation
from records.service import RecordsService
from tests import services
from tests.records.conftest import AS_OF, DEMO_ID, DEMO_PASSWORD, audit_rows

SLOW_SQL = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"


def test_sqlite_core_refuses_writes(core_file: Path) -> None:
    core = ReadOnlyCore(f"sqlite:///{core_file}")
    # refused in-process before it reaches the database ...
    with core.connect() as conn, pytest.raises(ReadOnlyViolation, match="UPDATE"):
        conn.execute(text("UPDATE insured_person SET name = 'x'"))
    # ... and by SQLite itself (file opened with mode=ro) when the guard is bypassed
    with core.connect() as conn, pytest.raises(exc.OperationalError, match="readonly"):
        conn.execution_options(readonly_probe=True).execute(text("DELETE FROM contribution"))
    with core.connect() as conn, pytest.raises(exc.OperationalError, match="readonly"):
        conn.execution_options(readonly_probe=True).execute(text("CREATE TABLE t (x)"))
    report = core.check_readonly("insured_person")
    assert report.read_only and report.rows_in_probe and report.rows_in_probe > 40
    with core.connect() as conn:  # nothing was changed
        assert conn.execute(text("SELECT count(*) FROM contribution")).scalar_one() > 0
        assert conn.execute(text("SELECT count(*) FROM insured_person WHERE name = 'x'")).scalar_one() == 0
    core.close()


def test_check_readonly_notices_a_writable_connection(tmp_path: Path) -> None:
    """A connector pointed at a writable database must be reported, and the probe changes nothing."""
    path = tmp_path / "rw.db"
    setup = sqlite3.connect(path)
    setup.execute("CREATE TABLE insured_person (x)")
    setup.execute("INSERT INTO insured_person VALUES (1)")
    setup.commit()
    setup.close()
    core = ReadOnlyCore(f"sqlite:///{path}")
    core._engine = core._guard(create_engine(f"sqlite:///{path}"))
    report = core.check_readonly("insured_person")
    assert not report.read_only and report.rows_in_probe == 1
    assert sqlite3.connect(path).execute("SELECT count(*) FROM insured_person").fetchone()[0] == 1


def test_missing_core_database_is_unavailable(tmp_path: Path) -> None:
    core = ReadOnlyCore(f"sqlite:///{tmp_path / 'absent.db'}")
    with pytest.raises(CoreUnavailable) as info:
        core.fetch("SELECT 1", {})
    assert info.value.reason == "connect"
    assert not (tmp_path / "absent.db").exists()  # read-only open never creates the file


def test_sqlite_statement_timeout_interrupts_a_runaway_query(core_file: Path) -> None:
    core = ReadOnlyCore(f"sqlite:///{core_file}", statement_timeout_s=0.05)
    started = time.monotonic()
    with pytest.raises(CoreUnavailable) as info:
        core.fetch(SLOW_SQL, {})
    assert info.value.reason == "timeout" and time.monotonic() - started < 2
    assert core.fetch("SELECT count(*) AS n FROM employer", {})[0]["n"] > 0  # the connection is reusable


def test_sqlite_busy_core_gives_up_after_the_busy_timeout(tmp_path: Path, core_file: Path) -> None:
    path = tmp_path / "busy.db"
    path.write_bytes(core_file.read_bytes())
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN EXCLUSIVE")
    try:
        core = ReadOnlyCore(f"sqlite:///{path}", connect_timeout_s=0.1)
        with pytest.raises(CoreUnavailable) as info:
            core.fetch("SELECT count(*) FROM insured_person", {})
        assert info.value.reason == "timeout"
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def _service(platform, url: str, **config) -> RecordsService:  # type: ignore[no-untyped-def]
    cfg = RecordsConfig(**config)
    core = ReadOnlyCore(url, statement_timeout_s=cfg.statement_timeout_s, connect_timeout_s=cfg.connect_timeout_s)
    return RecordsService(platform, cfg, core, mapping.load(cfg.mapping_path))


def test_core_down_gives_a_speakable_busy_outcome(platform, records, tmp_path: Path, users) -> None:
    assert records.verify_password("c1", DEMO_ID, DEMO_PASSWORD, channel="ivr", caller=None).ok
    down = _service(platform, f"sqlite:///{tmp_path / 'gone.db'}")
    v = down.verify_password("c2", DEMO_ID, DEMO_PASSWORD, channel="ivr", caller=None)
    assert v.status == "unavailable" and v.speech.startswith("系统繁忙，请稍后再试")
    out = down.self_service_summary("c1", channel="ivr")  # verified earlier, core gone now
    assert out.status == "unavailable" and "系统繁忙" in out.speech
    agent = down.agent_view(users["bj"], DEMO_ID, call_id=None, reason="电话咨询养老金")
    assert agent.status == "unavailable"
    outcomes = [(e.action, e.outcome) for e in audit_rows(platform)][-3:]
    assert outcomes == [("record.verify", "unavailable"), ("record.lookup", "unavailable"),
                        ("record.lookup", "unavailable")]


def test_slow_core_query_ends_the_lookup_not_the_call(platform, records, tmp_path: Path) -> None:
    """A mapping whose person query never finishes: the timeout turns it into 'unavailable'."""
    slow = Path(mapping.DEFAULT_PATH).read_text(encoding="utf-8").replace(
        "FROM insured_person p WHERE p.id_number = :id_number",
        "FROM insured_person p WHERE p.id_number = :id_number AND (" + SLOW_SQL + ") > 0")
    custom = tmp_path / "slow.yaml"
    custom.write_text(slow, encoding="utf-8")
    svc = _service(platform, platform.settings.records_database_url, statement_timeout_s=0.1,
                   mapping_path=str(custom))
    started = time.monotonic()
    v = svc.verify_password("c", DEMO_ID, DEMO_PASSWORD, channel="ivr", caller=None)
    assert v.status == "unavailable" and v.reason == "timeout" and time.monotonic() - started < 3


def test_mapping_is_validated(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("sections:\n  person:\n    sql: DELETE FROM insured_person\n", encoding="utf-8")
    with pytest.raises(mapping.MappingError, match="SELECT"):
        mapping.load(bad)
    bad.write_text("sections: {}\n", encoding="utf-8")
    with pytest.raises(mapping.MappingError, match="person"):
        mapping.load(bad)
    assert set(mapping.load().sections) == set(mapping.SECTIONS)


# --- PostgreSQL (real server) -------------------------------------------------------------------

@pytest.fixture(scope="module")
def pg_core_url():  # type: ignore[no-untyped-def]
    with services.fresh_pg_database() as url:
        generator.build(url, persons=20, as_of=AS_OF)
        yield url


def test_postgres_core_is_read_only(pg_core_url: str) -> None:
    core = ReadOnlyCore(pg_core_url)
    with core.connect() as conn:
        assert conn.execute(text("SHOW transaction_read_only")).scalar_one() == "on"
        with pytest.raises(ReadOnlyViolation):
            conn.execute(text("UPDATE insured_person SET name = 'x'"))
    with core.connect() as conn, pytest.raises(ReadOnlyViolation, match="SET"):
        conn.execute(text("SET TRANSACTION READ WRITE"))  # no escaping the read-only session
    raw = "INSERT INTO core_meta (key, value) VALUES ('x', 'y')"
    with core.connect() as conn, pytest.raises(exc.DBAPIError, match="read-only transaction"):
        conn.execution_options(readonly_probe=True).execute(text(raw))  # the server refuses it too
    report = core.check_readonly("insured_person")
    assert report.read_only and report.rows_in_probe == 26 and "read-only" in report.write_error
    core.close()


def test_postgres_select_only_role_is_the_hard_guarantee(pg_core_url: str) -> None:
    """The production role of docs/records.md: even a read-write transaction cannot write."""
    import uuid

    import psycopg

    role = f"hotline_ro_{uuid.uuid4().hex[:8]}"
    admin = pg_core_url.replace("postgresql+psycopg://", "postgresql://")
    dbname = admin.rsplit("/", 1)[1]
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN")
        conn.execute(f'GRANT CONNECT ON DATABASE "{dbname}" TO {role}')
        conn.execute(f"GRANT USAGE ON SCHEMA public TO {role}")
        conn.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}")
    try:
        core = ReadOnlyCore(pg_core_url.replace("postgres@", f"{role}@"))
        assert core.fetch("SELECT count(*) AS n FROM insured_person", {})[0]["n"] == 26
        core.close()
        as_role = admin.replace("postgres@", f"{role}@")
        with psycopg.connect(as_role, autocommit=True) as conn:  # bypassing the connector entirely
            conn.execute("SET default_transaction_read_only = off")
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute("DELETE FROM contribution")
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute("UPDATE insured_person SET name = 'x'")
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"REASSIGN OWNED BY {role} TO postgres")
            conn.execute(f"DROP OWNED BY {role}")
            conn.execute(f"DROP ROLE {role}")


def test_postgres_core_serves_verified_lookups(platform, records, pg_core_url: str) -> None:
    svc = _service(platform, pg_core_url)
    assert svc.verify_password("pg-1", DEMO_ID, DEMO_PASSWORD, channel="ivr", caller=None).ok
    out = svc.self_service_summary("pg-1", channel="ivr")
    sqlite_out = records.self_service_summary("pg-1", channel="ivr")  # same data, same answer
    assert out.status == "ok" and out.fields == sqlite_out.fields and out.speech == sqlite_out.speech
    svc.close()


def test_postgres_statement_timeout(pg_core_url: str) -> None:
    core = ReadOnlyCore(pg_core_url, statement_timeout_s=0.2)
    started = time.monotonic()
    with pytest.raises(CoreUnavailable) as info:
        core.fetch("SELECT pg_sleep(5)", {})
    assert info.value.reason == "timeout" and time.monotonic() - started < 3
    core.close()


def test_postgres_unreachable_is_unavailable_quickly() -> None:
    services.require("postgres")
    core = ReadOnlyCore("postgresql+psycopg://postgres@127.0.0.1:1/none", connect_timeout_s=1)
    started = time.monotonic()
    with pytest.raises(CoreUnavailable) as info:
        core.fetch("SELECT 1", {})
    assert info.value.reason == "connect" and time.monotonic() - started < 5


def test_a_broken_mapping_is_answered_like_an_outage(platform, records, tmp_path: Path, caplog) -> None:
    text_ = Path(mapping.DEFAULT_PATH).read_text(encoding="utf-8")
    no_mobile = tmp_path / "no_mobile.yaml"
    no_mobile.write_text(text_.replace("p.mobile AS registered_mobile,", ""), encoding="utf-8")
    svc = _service(platform, platform.settings.records_database_url, mapping_path=str(no_mobile))
    v = svc.verify_password("c", DEMO_ID, DEMO_PASSWORD, channel="ivr", caller=None)
    assert v.status == "unavailable" and v.reason == "mapping" and "registered_mobile" in caplog.text
    bad_column = tmp_path / "bad_column.yaml"
    bad_column.write_text(text_.replace("a.balance_fen AS balance", "a.balance_yuan AS balance"), encoding="utf-8")
    svc = _service(platform, platform.settings.records_database_url, mapping_path=str(bad_column))
    assert svc.verify_password("c", DEMO_ID, DEMO_PASSWORD, channel="ivr", caller=None).ok  # person still fine
    out = svc.self_service_summary("c", channel="ivr")
    assert out.status == "unavailable" and "系统繁忙" in out.speech
