"""The call log's write-behind journal (ivr/journal.py): what a call appends reaches the database in
a batch, is read back at once by the process that wrote it, is kept when the process is killed,
is applied once however often it is replayed, and is not lost to a database error."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from hotline.platform import Platform
from ivr.journal import WriteBehindJournal
from ivr.service import IvrService

ROOT = Path(__file__).resolve().parents[2]


def _rows(platform: Platform) -> dict[str, tuple[Any, ...]]:
    with platform.db.engine.connect() as conn:
        rows = conn.execute(text("select call_id, outcome, ended_at is not null, caller from ivr_calls")).all()
    return {r[0]: tuple(r[1:]) for r in rows}


def _files(folder: Path) -> list[Path]:
    return sorted(folder.glob("calllog-*.journal"))


@pytest.fixture
def slow_ivr(ivr: IvrService) -> IvrService:
    """The IVR with its call-log writer asleep, so the test decides when a batch is written."""
    assert ivr.calls.journal is not None
    ivr.calls.journal.interval_s = 3600
    return ivr


def test_a_call_waits_in_the_journal_then_lands_in_one_batch(platform: Platform, slow_ivr: IvrService,
                                                             call: Callable[..., Any]) -> None:
    first, second = call("1 1 1 1"), call("8 - 5 8 - 7 h")
    journal = slow_ivr.calls.journal
    assert journal is not None and journal.pending == 4  # two starts, two ends
    assert first.call_id not in _rows(platform)
    lines = _files(platform.settings.data_dir / "ivr")[0].read_bytes().splitlines()
    assert len(lines) == 4 and b'"kind":"end"' in lines[-1]

    assert journal.flush() == 4
    rows = _rows(platform)
    assert rows[first.call_id] == (first.outcome, 1, "13800138000")
    assert rows[second.call_id][0] == second.outcome
    assert journal.pending == 0 and _files(platform.settings.data_dir / "ivr")[0].stat().st_size == 0


def test_the_writing_process_reads_its_own_calls_without_waiting(slow_ivr: IvrService,
                                                                 call: Callable[..., Any]) -> None:
    result = call("1 1 1 1")
    logged = slow_ivr.transcript(result.call_id)  # a read writes what is pending first
    assert logged is not None and logged["outcome"] == result.outcome
    assert [e["type"] for e in logged["events"]][:1] == ["call"]
    assert slow_ivr.contacts(caller="13800138000")[0]["call_id"] == result.call_id


def test_the_journal_file_is_private(platform: Platform, slow_ivr: IvrService, call: Callable[..., Any]) -> None:
    call("1 1 1 1")
    (path,) = _files(platform.settings.data_dir / "ivr")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # it holds callers' numbers


def test_a_killed_process_loses_nothing_it_appended(tmp_path: Path) -> None:
    """A node killed with SIGKILL right after its calls ended, before any batch was written: the next
    platform on the same data directory writes them before its first read."""
    script = textwrap.dedent(f"""
        import os, signal, sys
        sys.path.insert(0, {str(ROOT)!r})
        os.environ["HOTLINE_DEMO"] = "1"
        from core.clock import FakeClock
        from core.events import InProcessBus
        from core.state import MemoryStore
        from hotline.platform import Platform
        from ivr.service import DEFAULT_FLOW, IvrService
        from ivr.simulator import ScriptedCaller, Simulator
        from tests.conftest import make_settings
        from tests.ivr.fakes import Homes
        from pathlib import Path
        clock = FakeClock()
        p = Platform(make_settings(Path({str(tmp_path)!r})), clock=clock, store=MemoryStore(clock),
                     bus=InProcessBus("test-node", clock))
        p.migrate()
        homes = Homes()
        ivr = IvrService(p, homes=homes)
        ivr.calls.journal.interval_s = 3600
        ivr.publish(DEFAULT_FLOW.read_text(encoding="utf-8"), "12333", by="test")
        for keys in ("1 1 1 1", "8 - 5 8 - 7 h"):
            r = Simulator(p, ScriptedCaller(keys, None), agent=False, ivr=ivr, homes=homes).run(
                caller="13800138000", called="12333")
            print(r.call_id, r.outcome, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert run.returncode == -9, run.stderr
    calls = dict(line.split() for line in run.stdout.splitlines())
    assert len(calls) == 2
    left = _files(tmp_path / "ivr")
    assert len(left) == 1 and left[0].stat().st_size > 0

    from core.clock import FakeClock
    from core.events import InProcessBus
    from core.state import MemoryStore
    from tests.conftest import make_settings

    clock = FakeClock()
    p = Platform(make_settings(tmp_path), clock=clock, store=MemoryStore(clock), bus=InProcessBus("test-node", clock))
    try:
        assert set(calls) - set(_rows(p)) == set(calls)  # nothing reached the database before the kill
        for call_id, outcome in calls.items():
            logged = p.ivr.transcript(call_id)
            assert logged is not None and logged["outcome"] == outcome and logged["ended_at"]
        assert not left[0].exists()  # applied, then removed
    finally:
        p.close()


def _journal(folder: Path, applied: list[list[dict[str, Any]]], down: list[bool] | None = None) -> WriteBehindJournal:
    def apply(records: list[dict[str, Any]]) -> None:
        if down and down[0]:
            raise RuntimeError("database away")
        if any(r.get("n") == "bad" for r in records):
            raise ValueError("value too long for type character varying(32)")
        applied.append(records)

    journal = WriteBehindJournal(folder, "calllog", "n1", apply, interval_s=3600)
    return journal


def test_a_database_error_keeps_the_batch_for_the_next_try(tmp_path: Path) -> None:
    applied: list[list[dict[str, Any]]] = []
    down = [True]
    journal = _journal(tmp_path, applied, down)
    journal.append({"n": 1})
    journal.append({"n": 2})
    with pytest.raises(RuntimeError):
        journal.flush()
    assert applied == []  # tried one by one too: every one failed, so the database is away
    down[0] = False
    journal.append({"n": 3})
    assert journal.pending == 3 and len(_files(tmp_path)[0].read_bytes().splitlines()) == 3
    assert journal.flush() == 3
    assert applied == [[{"n": 1}, {"n": 2}, {"n": 3}]]  # in the order appended
    journal.close()
    assert _files(tmp_path) == []  # a clean close leaves no file


def test_a_record_the_database_refuses_is_set_aside_and_the_others_written(tmp_path: Path) -> None:
    """One bad record (PostgreSQL refusing a value) must not stop the call log: the batch is tried
    record by record, the refused one kept in the rejected file with its error."""
    import orjson

    applied: list[list[dict[str, Any]]] = []
    journal = _journal(tmp_path, applied)
    for n in (1, "bad", 2):
        journal.append({"n": n})
    assert journal.flush() == 3
    assert applied == [[{"n": 1}], [{"n": 2}]]
    (rejected,) = tmp_path.glob("calllog-rejected.jsonl")
    kept = [orjson.loads(line) for line in rejected.read_bytes().splitlines()]
    assert kept == [{"error": "ValueError: value too long for type character varying(32)", "record": {"n": "bad"}}]
    assert stat.S_IMODE(rejected.stat().st_mode) == 0o600
    assert journal.pending == 0 and _files(tmp_path)[0].read_bytes() == b""


def test_records_appended_during_a_write_stay_in_the_file_and_only_they(tmp_path: Path) -> None:
    applied: list[list[dict[str, Any]]] = []
    journal: WriteBehindJournal

    def apply(records: list[dict[str, Any]]) -> None:
        applied.append(records)
        if len(applied) == 1:
            journal.append({"n": "late"})  # another thread's call ending meanwhile

    journal = WriteBehindJournal(tmp_path, "calllog", "n1", apply, interval_s=3600)
    journal.append({"n": 1})
    assert journal.flush() == 1
    (path,) = _files(tmp_path)
    assert path.read_bytes() == b'{"n":"late"}\n'  # the written record is gone, the late one kept
    journal.append({"n": 2})
    assert path.read_bytes().splitlines() == [b'{"n":"late"}', b'{"n":2}']
    assert journal.flush() == 2 and path.read_bytes() == b""


def test_a_live_journal_file_is_left_alone_and_a_torn_line_skipped(tmp_path: Path) -> None:
    applied: list[list[dict[str, Any]]] = []
    live = _journal(tmp_path, [])
    live.append({"n": "live"})
    dead = tmp_path / "calllog-n0-1-dead.journal"
    dead.write_bytes(b'{"n":"a"}\n{"n":"b"}\n{"n":"c')  # the process died inside its last write
    other = _journal(tmp_path, applied)
    other.append({"n": "mine"})
    other.flush()
    assert applied == [[{"n": "a"}, {"n": "b"}], [{"n": "mine"}]]
    assert not dead.exists()
    assert any(p.read_bytes() == b'{"n":"live"}\n' for p in _files(tmp_path))  # still the live one's
    live.close()
    other.close()


def test_the_call_log_writes_are_idempotent(platform: Platform, slow_ivr: IvrService,
                                            call: Callable[..., Any]) -> None:
    """A crash between the commit and the file's truncation replays a batch: the start of a call never
    undoes its end, and an end applied twice leaves one row."""
    result = call("1 1 1 1")
    journal = slow_ivr.calls.journal
    assert journal is not None
    records = journal.pending_records()
    journal.flush()
    before = _rows(platform)[result.call_id]
    slow_ivr.calls._apply(records)
    slow_ivr.calls._apply([r for r in records if r["kind"] == "start"])
    assert _rows(platform)[result.call_id] == before
    assert list(_rows(platform)).count(result.call_id) == 1


def test_an_end_without_its_start_logs_the_whole_call(platform: Platform, slow_ivr: IvrService,
                                                      call: Callable[..., Any]) -> None:
    result = call("1 1 1 1")
    journal = slow_ivr.calls.journal
    assert journal is not None
    ends = [record for record in journal.pending_records() if record["kind"] == "end"]
    journal._pending.clear()
    slow_ivr.calls._apply(ends)
    logged = slow_ivr.transcript(result.call_id)
    assert logged is not None and logged["outcome"] == result.outcome and logged["entry"] == "12333"


def test_the_journal_writes_on_postgresql(pg_platform: Platform) -> None:
    from ivr.simulator import ScriptedCaller, Simulator
    from tests.ivr.fakes import Homes

    homes = Homes()
    ivr = IvrService(pg_platform, homes=homes)
    ivr.publish((ROOT / "ivr" / "flows" / "default_12333.yaml").read_text(encoding="utf-8"), "12333", by="test")
    result = Simulator(pg_platform, ScriptedCaller("1 1 1 1", None), agent=False, ivr=ivr, homes=homes).run(
        caller="13800138000", called="12333")
    assert ivr.calls.journal is not None
    ivr.calls._apply(ivr.calls.journal.pending_records())  # applied twice: still one row
    logged = ivr.transcript(result.call_id)
    assert logged is not None and logged["outcome"] == result.outcome
    assert list(_rows(pg_platform)).count(result.call_id) == 1
    long_caller = "sip:anonymous-caller-with-a-long-uri@trunk.example.org"  # longer than the column
    other = Simulator(pg_platform, ScriptedCaller("1 1 1 1", None), agent=False, ivr=ivr, homes=homes).run(
        caller=long_caller, called="12333")
    ivr.calls.flush()
    assert _rows(pg_platform)[other.call_id][2] == long_caller[:32]  # clipped, not refused
    ivr.shutdown()
    assert _files(pg_platform.settings.data_dir / "ivr") == []


def test_the_writer_thread_writes_within_its_interval(platform: Platform, ivr: IvrService,
                                                      call: Callable[..., Any]) -> None:
    import time

    assert ivr.calls.journal is not None
    ivr.calls.journal.interval_s = 0.05
    result = call("1 1 1 1")
    deadline = time.monotonic() + 10
    while result.call_id not in _rows(platform) or _rows(platform)[result.call_id][1] == 0:
        assert time.monotonic() < deadline, "the writer never wrote the call"
        time.sleep(0.02)
    assert os.path.getsize(_files(platform.settings.data_dir / "ivr")[0]) == 0


def test_a_running_journal_picks_up_a_dead_ones_file_within_its_recovery_period(tmp_path: Path) -> None:
    """Not only at start: a CLI process or a sibling on the same data directory that died later is
    applied by a node that is already running, at its next look (every RECOVER_EVERY_S)."""
    applied: list[list[dict[str, Any]]] = []
    running = _journal(tmp_path, applied)
    running.append({"n": 1})
    running.flush()  # the first look: nothing dead yet
    dead = tmp_path / "calllog-cli-1-gone.journal"
    dead.write_bytes(b'{"n":"late"}\n')
    running.append({"n": 2})
    running.flush()
    assert dead.exists()  # not yet: looked less than RECOVER_EVERY_S ago
    running.RECOVER_EVERY_S = 0.0
    running.flush()
    assert not dead.exists() and applied[-1] == [{"n": "late"}]
    running.close()


def test_the_writer_logs_a_database_outage_once_and_its_end(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Retried every interval while the database is away, but one error line per LOG_EVERY_S, not five a
    second; and a line when writing works again."""
    import logging
    import time

    tries = {"n": 0}
    applied: list[list[dict[str, Any]]] = []

    def apply(records: list[dict[str, Any]]) -> None:
        tries["n"] += 1
        if tries["n"] <= 20:
            raise RuntimeError("database away")
        applied.append(records)

    journal = WriteBehindJournal(tmp_path, "calllog", "n1", apply, interval_s=0.01)
    with caplog.at_level(logging.WARNING, logger="ivr.journal"):
        journal.append({"n": 1})
        deadline = time.monotonic() + 10
        while not applied:
            assert time.monotonic() < deadline, "never written"
            time.sleep(0.01)
        time.sleep(0.05)
    journal.close()
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert tries["n"] > 10 and len(errors) == 1 and "1 records failed" in errors[0].getMessage()
    assert any("written again after" in r.getMessage() for r in caplog.records)
    assert applied == [[{"n": 1}]]


def test_a_compaction_cut_short_leaves_nothing_behind_and_nothing_applied_twice(tmp_path: Path) -> None:
    """A process that died between writing `<file>.new` and renaming it over its journal: the old file
    still holds every record, so the `.new` one is removed, not applied."""
    applied: list[list[dict[str, Any]]] = []
    (tmp_path / "calllog-n0-1-dead.journal").write_bytes(b'{"n":1}\n{"n":2}\n')
    stale = tmp_path / "calllog-n0-1-dead.journal.new"
    stale.write_bytes(b'{"n":2}\n')
    journal = _journal(tmp_path, applied)
    journal.flush()
    assert applied == [[{"n": 1}, {"n": 2}]] and not stale.exists()
    journal.close()


@pytest.mark.parametrize("database", ["platform", "pg_platform"])
def test_the_driver_level_write_stores_what_sqlalchemys_own_insert_stores(database: str,
                                                                          request: pytest.FixtureRequest) -> None:
    """The batch runs SQLAlchemy's compiled SQL on the driver with each column's bind processor: the
    row it stores (JSON with Chinese text, times, a clipped caller, nulls) is the row SQLAlchemy's own
    INSERT stores, on SQLite and on PostgreSQL."""
    from datetime import UTC, datetime

    from ivr.calllog import _CALLS, CallLog

    p: Platform = request.getfixturevalue(database)
    row = {"call_id": "driver", "caller": "sip:anonymous-caller-with-a-long-uri@trunk.example.org", "entry": "12333",
           "channel": "asterisk", "language": "zh", "flow_version_id": None, "flow_version": 3,
           "started_at": 1796000000.123456, "path": ["welcome", "main_menu"],
           "inputs": [{"node": "main_menu", "kind": "key", "value": "1"}], "routing": {"queue": None, "province": "44"},
           "events": [{"t": 0.5, "type": "prompt", "text": "您好，欢迎致电12333。", "n": 1.25}], "province": "44",
           "topic": None, "outcome": "ended", "ended_at": 1796000042.5, "id_hash": "ab" * 32, "id_masked": None}
    CallLog(p.db, p.clock, "secret")._apply([{"kind": "end", "row": row}])
    ours = {**row, "call_id": "sqlalchemy", "caller": row["caller"][:32],
            "started_at": datetime.fromtimestamp(row["started_at"], UTC),
            "ended_at": datetime.fromtimestamp(row["ended_at"], UTC)}
    with p.db.engine.begin() as conn:
        conn.execute(_CALLS.insert(), ours)
    with p.db.engine.connect() as conn:
        stored = {r._mapping["call_id"]: {k: v for k, v in r._mapping.items() if k not in ("id", "call_id")}
                  for r in conn.execute(text("select * from ivr_calls"))}
    assert stored["driver"] == stored["sqlalchemy"]
    assert stored["driver"]["caller"] == row["caller"][:32]
