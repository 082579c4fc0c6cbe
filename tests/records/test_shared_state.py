"""Verification state on the shared store: with Redis, a lockout or a verified session made on one
node holds on every node (real Redis; skipped locally if absent, required under CI)."""

from __future__ import annotations

from types import SimpleNamespace

from records import mapping
from records.config import RecordsConfig
from records.connector import ReadOnlyCore
from records.service import RecordsService
from tests.records.conftest import DEMO_ID, DEMO_PASSWORD, LOCK_ID


def _node(platform, store, codes) -> RecordsService:  # type: ignore[no-untyped-def]
    shim = SimpleNamespace(db=platform.db, clock=platform.clock, store=store, settings=platform.settings,
                           audit=platform.audit, bus=platform.bus, code_sender=codes)
    return RecordsService(shim, RecordsConfig(), ReadOnlyCore(platform.settings.records_database_url),
                          mapping.load())


def test_lockout_and_sessions_are_shared_between_nodes(platform, records, redis_store, codes) -> None:
    a, b = _node(platform, redis_store, codes), _node(platform, redis_store, codes)
    for i in range(4):
        assert a.verify_password(f"a{i}", LOCK_ID, "000001", channel="ivr", caller=None).status == "wrong"
    assert b.verify_password("b0", LOCK_ID, "000001", channel="ivr", caller=None).status == "locked"
    assert a.verify_password("a9", LOCK_ID, "159260", channel="ivr", caller=None).status == "locked"
    assert redis_store.ttl(f"records:lock:{LOCK_ID}") is None  # IDs appear in keys only as keyed hashes
    ttl = redis_store.ttl(f"records:lock:{a.state.key(LOCK_ID)}")
    assert ttl is not None and 1790 < ttl <= 1800
    assert a.verify_password("call-1", DEMO_ID, DEMO_PASSWORD, channel="ivr", caller=None).ok
    assert b.is_verified("call-1") == DEMO_ID and b.self_service_summary("call-1", channel="ivr").ok
    session_ttl = redis_store.ttl("records:session:call-1")
    assert session_ttl is not None and 1790 < session_ttl <= 1800
    b.end_session("call-1")
    assert a.is_verified("call-1") is None


def test_sms_code_sent_on_one_node_is_checked_on_another(platform, records, redis_store, codes) -> None:
    a, b = _node(platform, redis_store, codes), _node(platform, redis_store, codes)
    assert a.send_otp("s1", DEMO_ID, channel="sms", caller=None).status == "otp_sent"
    assert b.verify_otp("s1", DEMO_ID, codes.last_code(), channel="sms").ok
    assert redis_store.get("records:otp:s1") is None


def test_platform_database_on_postgres(pg_platform, core_file, codes) -> None:  # type: ignore[no-untyped-def]
    """Hashed passwords and audit entries in a PostgreSQL platform database (core data still read-only SQLite)."""
    import shutil

    shutil.copy(core_file, pg_platform.settings.records_database_url.removeprefix("sqlite:///"))
    records = pg_platform.records
    records.passwords.set(DEMO_ID, DEMO_PASSWORD, source="demo")
    assert records.verify_password("c", DEMO_ID, "000001", channel="ivr", caller=None).attempts_left == 4
    assert records.verify_password("c", DEMO_ID, DEMO_PASSWORD, channel="ivr", caller=None).ok
    assert records.change_password("c", DEMO_PASSWORD, "385027", "385027", channel="ivr").ok
    assert records.self_service_summary("c", channel="ivr").ok
    actions = [e.action for e in reversed(pg_platform.audit.entries(session_id="c"))]
    assert actions == ["record.verify", "record.verify", "record.password_change", "record.lookup"]
    assert pg_platform.audit.verify().ok
