"""The read-only connection to the insurance core system (`RECORDS_DATABASE_URL`).

* SQLite (the demo core database): opened with a `file:...?mode=ro` URI plus `PRAGMA query_only`,
  so any write raises "attempt to write a readonly database"; a progress handler interrupts a query
  that runs past the statement timeout, and the busy timeout bounds waiting on a writer's lock.
* PostgreSQL (production): every session starts with `default_transaction_read_only=on` and
  `SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY`, plus `statement_timeout` and
  `connect_timeout`; the documented production role has only SELECT (docs/records.md).

Every failure to reach or query the core system becomes `CoreUnavailable`, which the service turns
into a speakable "系统繁忙，请稍后再试" instead of a crash or a hung call. The platform's own
database (`platform.db`) is never used for core data.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from sqlalchemy import create_engine, event, exc, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.pool import QueuePool

SQLITE_PROGRESS_STEPS = 2000  # VM instructions between deadline checks


READ_STATEMENTS = ("SELECT", "WITH", "SHOW", "EXPLAIN", "VALUES")


class ReadOnlyViolation(RuntimeError):
    """A statement other than a read was sent through the core connector."""


class CoreUnavailable(Exception):
    """The core system could not answer; `reason` is connect | timeout | error."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"core system unavailable ({reason}): {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class ReadOnlyReport:
    backend: str
    read_only: bool
    rows_in_probe: int | None
    write_error: str


def _classify(error: BaseException) -> str:
    message = str(error).lower()
    if any(word in message for word in ("interrupted", "statement timeout", "canceling statement",
                                        "database is locked", "timed out", "timeout")):
        return "timeout"
    if any(word in message for word in ("unable to open", "connection", "could not connect",
                                        "no such table", "does not exist", "server closed")):
        return "connect"
    return "error"


class ReadOnlyCore:
    """A lazily opened, read-only engine on the core system."""

    def __init__(self, url: str, *, statement_timeout_s: float = 2.0, connect_timeout_s: float = 3.0) -> None:
        self.url = url
        self.statement_timeout_s = statement_timeout_s
        self.connect_timeout_s = connect_timeout_s
        self._engine: Engine | None = None

    @property
    def backend(self) -> str:
        return "sqlite" if self.url.startswith("sqlite") else "postgresql"

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            engine = self._make_sqlite() if self.backend == "sqlite" else self._make_postgres()
            self._engine = self._guard(engine)
        return self._engine

    def _make_sqlite(self) -> Engine:
        path = make_url(self.url).database or ""
        if not path or path == ":memory:":
            raise ValueError("the records core database must be a SQLite file (read-only URI)")
        uri = f"file:{quote(path)}?mode=ro"
        busy = self.connect_timeout_s

        def creator() -> sqlite3.Connection:
            conn = sqlite3.connect(uri, uri=True, timeout=busy, check_same_thread=False)
            conn.execute("PRAGMA query_only = ON")
            return conn

        return create_engine("sqlite://", creator=creator, poolclass=QueuePool, pool_size=5, max_overflow=5,
                             pool_timeout=busy)

    def _make_postgres(self) -> Engine:
        url = make_url(self.url)
        if url.drivername in ("postgresql", "postgres"):
            url = url.set(drivername="postgresql+psycopg")
        timeout_ms = int(self.statement_timeout_s * 1000)
        engine = create_engine(
            url, pool_pre_ping=True, pool_size=5, max_overflow=5, pool_timeout=self.connect_timeout_s,
            connect_args={"connect_timeout": max(1, int(self.connect_timeout_s)),
                          "options": f"-c default_transaction_read_only=on -c statement_timeout={timeout_ms}"})

        @event.listens_for(engine, "connect")
        def _read_only_session(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            # psycopg runs this inside an implicit transaction; commit so the setting sticks
            with dbapi_conn.cursor() as cur:
                cur.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
            dbapi_conn.commit()

        return engine

    def _guard(self, engine: Engine) -> Engine:
        """Refuse anything but reads before it leaves the process (the server refuses them too)."""

        @event.listens_for(engine, "before_cursor_execute")
        def _only_reads(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
            if conn.get_execution_options().get("readonly_probe"):
                return
            head = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else ""
            if head not in READ_STATEMENTS:
                raise ReadOnlyViolation(f"the core system is read-only; refused: {head or 'empty statement'}")

        return engine

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A raw read-only connection (rolled back on exit). Failures to connect → CoreUnavailable."""
        try:
            conn = self.engine.connect()
        except (exc.DBAPIError, exc.TimeoutError, sqlite3.Error) as error:
            raise CoreUnavailable(_classify(error), str(error).splitlines()[0]) from error
        try:
            yield conn
        finally:
            try:
                conn.rollback()
            finally:
                conn.close()

    def fetch(self, sql: str, params: dict[str, Any], conn: Connection | None = None) -> list[dict[str, Any]]:
        """Run one SELECT within the statement timeout; rows as dicts. Pass `conn` (from `connect()`)
        to run several queries on one connection and one snapshot."""
        if conn is None:
            with self.connect() as own:
                return self.fetch(sql, params, own)
        try:
            with self._deadline(conn):
                result = conn.execute(text(sql), params)
                return [dict(row._mapping) for row in result]
        except exc.DBAPIError as error:
            raise CoreUnavailable(_classify(error), str(error.orig).splitlines()[0]) from error
        except exc.SQLAlchemyError as error:  # e.g. a mapping query with a missing parameter
            raise CoreUnavailable("error", str(error).splitlines()[0]) from error

    @contextmanager
    def _deadline(self, conn: Connection) -> Iterator[None]:
        if self.backend != "sqlite":
            yield  # PostgreSQL enforces statement_timeout server-side
            return
        raw = conn.connection.driver_connection
        if raw is None:  # the pooled connection was invalidated: nothing to run the query on
            raise CoreUnavailable("connect", "the core system connection was lost")
        deadline = time.monotonic() + self.statement_timeout_s
        raw.set_progress_handler(lambda: 1 if time.monotonic() > deadline else 0, SQLITE_PROGRESS_STEPS)
        try:
            yield
        finally:
            raw.set_progress_handler(None, 0)

    def check_readonly(self, probe_table: str) -> ReadOnlyReport:
        """Count rows in the probe table, then send the server a write that must be refused (it
        deletes nothing and is rolled back anyway); the in-process guard is bypassed for it."""
        with self.connect() as conn:
            rows = None
            try:
                rows = int(conn.execute(text(f"SELECT COUNT(*) FROM {probe_table}")).scalar_one())
            except exc.DBAPIError:
                conn.rollback()
            probe = conn.execution_options(readonly_probe=True)
            try:  # a write that would change nothing even if it were accepted
                probe.execute(text(f"DELETE FROM {probe_table} WHERE 1 = 0"))
            except exc.DBAPIError as error:
                return ReadOnlyReport(self.backend, True, rows, str(error.orig).splitlines()[0])
            conn.rollback()
            return ReadOnlyReport(self.backend, False, rows, "")

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
