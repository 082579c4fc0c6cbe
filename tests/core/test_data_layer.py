"""Migrations and the audit chain on SQLite and PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from core.db import Base
from hotline.homes import import_models


def test_migrations_match_models(any_platform) -> None:  # type: ignore[no-untyped-def]
    import_models()
    with any_platform.db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    # Ignore SQLite's lack of some type details; anything structural is a failure.
    structural = [d for d in diff if not (isinstance(d, list) and d and d[0][0] == "modify_type")]
    assert structural == [], f"models and migrations disagree: {structural}"


def test_upgrade_is_idempotent_and_reaches_every_head(any_platform) -> None:  # type: ignore[no-untyped-def]
    from alembic.script import ScriptDirectory

    from core.db import alembic_config

    any_platform.migrate()
    with any_platform.db.engine.connect() as conn:
        stored = set(conn.execute(text("select version_num from alembic_version")).scalars())
    from hotline.homes import migration_dirs

    script = ScriptDirectory.from_config(alembic_config(any_platform.db.url, locations=migration_dirs()))
    applied = {rev.revision for rev in script.iterate_revisions(tuple(stored), "base")}
    assert applied == {rev.revision for rev in script.walk_revisions()}, "some migration was not applied"


def test_audit_chain_detects_edit_and_delete(any_platform) -> None:  # type: ignore[no-untyped-def]
    audit = any_platform.audit
    for i in range(5):
        audit.record(actor=f"agent:{i}", channel="console", action="record.lookup", outcome="ok",
                     subject="11010519491231002X", fields=["pension"], session_id=f"call-{i}")
    assert audit.verify().ok and audit.verify().checked == 5
    with any_platform.db.engine.begin() as conn:
        conn.execute(text("update audit_log set outcome='denied' where seq=3"))
    result = audit.verify()
    assert not result.ok and result.broken_seq == 3 and "altered" in result.reason
    with any_platform.db.engine.begin() as conn:
        conn.execute(text("update audit_log set outcome='ok' where seq=3"))
    assert audit.verify().ok
    with any_platform.db.engine.begin() as conn:
        conn.execute(text("delete from audit_log where seq=2"))
    result = audit.verify()
    assert not result.ok and result.broken_seq == 2


def test_audit_detects_deleted_tail(any_platform) -> None:  # type: ignore[no-untyped-def]
    for _ in range(3):
        any_platform.audit.record(actor="system", channel="cli", action="x", outcome="ok")
    with any_platform.db.engine.begin() as conn:
        conn.execute(text("delete from audit_log where seq=3"))
    result = any_platform.audit.verify()
    assert not result.ok and "deleted" in result.reason
