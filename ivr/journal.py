"""A write-behind journal: records are appended to a local file at once and written to the database
in batches by a background thread, so the hot path pays one `write` instead of a statement and a
commit, and nothing appended is lost when the process dies.

The file holds every record not yet confirmed by the database, one JSON line each. A record appended
is in the operating system's hands when `append` returns, so a killed process (SIGKILL, OOM) loses
nothing: a journal in the same folder (the restarted node, or any running one within 30 s) finds the
dead one's file (its lock is free) and applies it before its own records. The database side must
therefore be idempotent: a record may be applied twice (after a crash between the commit and the
file's truncation). Only a power cut or a kernel crash within the OS's write-back delay can lose
records; the database's own commits in WAL mode with `synchronous=NORMAL` give the same guarantee.

Each journal owns one file, `<name>-<node>-<pid>-<random>.journal`, locked with `flock` for as long as
it is open; a file whose lock can be taken belongs to a process that is gone."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import secrets
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from core.files import private_dir

log = logging.getLogger(__name__)

Apply = Callable[[list[dict[str, Any]]], None]


class WriteBehindJournal:
    def __init__(self, folder: Path, name: str, node: str, apply: Apply, *, interval_s: float = 0.2,
                 max_batch: int = 256) -> None:
        self.folder = folder
        self.name = name
        self.node = "".join(c if c.isalnum() or c in "-_" else "_" for c in node)[:40] or "node"
        self.apply = apply
        self.interval_s = interval_s
        self.max_batch = max_batch
        self._lock = threading.Lock()  # the file and the pending list
        self._flushing = threading.Lock()  # one batch at a time goes to the database
        # the lines not yet in the database (JSON text: a quarter of a parsed record's memory while the
        # database is away; parsed again when a batch is written, off the calls' threads)
        self._pending: list[bytes] = []
        self._fd: int | None = None
        self._path: Path | None = None
        self._recovered_at: float | None = None  # monotonic time of the last look for dead journals
        self._wake = threading.Event()
        self._stop = False
        self._thread: threading.Thread | None = None

    # -- the hot path ---------------------------------------------------------------------------
    def append(self, record: dict[str, Any]) -> None:
        """Keep `record` (a JSON object) in the file, then in the batch for the database."""
        line = orjson.dumps(record) + b"\n"
        with self._lock:
            fd = self._open()
            _write_all(fd, line)
            self._pending.append(line)
            count = len(self._pending)
        if self._thread is None:
            self._start()
        if count >= self.max_batch:
            self._wake.set()

    # -- the database side ----------------------------------------------------------------------
    def flush(self) -> int:
        """Write what is pending now (readers call this first, to read their own writes); returns
        how many records went to the database. A database error leaves them pending and raises."""
        with self._flushing:
            self._recover()
            with self._lock:
                batch, self._pending = self._pending, []
            if not batch:
                return 0
            records = [orjson.loads(line) for line in batch]
            try:
                self.apply(records)
            except Exception:
                if not self._isolate(batch, records):
                    with self._lock:
                        self._pending = batch + self._pending
                    raise
            with self._lock:
                self._compact()
            return len(batch)

    def _isolate(self, batch: list[bytes], records: list[dict[str, Any]]) -> bool:
        """After a batch failed: apply its records one by one. When every one fails the database is
        taken to be away (False: the batch stays pending). Otherwise the ones that fail alone are
        records the database refuses: they go to `<name>-rejected.jsonl` beside the journal, with the
        error, so one bad record never stops the others (True)."""
        if len(batch) == 1:
            return False
        refused: list[tuple[bytes, str]] = []
        for line, record in zip(batch, records, strict=True):
            try:
                self.apply([record])
            except Exception as exc:  # noqa: BLE001 - any refusal is kept with its reason
                refused.append((line, f"{type(exc).__name__}: {exc}"[:500]))
        if len(refused) == len(batch):
            return False
        rejected = self.folder / f"{self.name}-rejected.jsonl"
        fd = os.open(rejected, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            for line, error in refused:
                _write_all(fd, orjson.dumps({"error": error, "record": orjson.loads(line)}) + b"\n")
        finally:
            os.close(fd)
        log.error("%s: the database refused %d of %d records; kept in %s", self.name, len(refused), len(batch),
                  rejected)
        return True

    def close(self) -> None:
        """Stop the thread, write what is pending and remove the file (kept if the database fails)."""
        self._stop = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(10)
        try:
            self.flush()
        except Exception:
            log.exception("%s: %d records stay in %s for the next start", self.name, len(self._pending), self._path)
        with self._lock:
            if self._fd is not None:
                if not self._pending and self._path is not None:
                    with contextlib.suppress(OSError):
                        self._path.unlink()
                os.close(self._fd)
                self._fd = None

    @property
    def pending(self) -> int:
        return len(self._pending)

    def pending_records(self) -> list[dict[str, Any]]:
        """The records not yet written, oldest first (a copy)."""
        with self._lock:
            return [orjson.loads(line) for line in self._pending]

    # -- internals ------------------------------------------------------------------------------
    def _open(self) -> int:
        if self._fd is None:
            private_dir(self.folder)
            suffix = f"{self.node}-{os.getpid()}-{secrets.token_hex(4)}"
            self._path = self.folder / f"{self.name}-{suffix}.journal"
            self._fd = os.open(self._path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return self._fd

    def _compact(self) -> None:
        """After a commit: the file keeps only what is still pending (rewritten and renamed over it
        when new records came in meanwhile, so it never grows with the node's uptime)."""
        if self._fd is None or self._path is None:
            return
        if not self._pending:
            os.ftruncate(self._fd, 0)
            return
        fresh = self._path.with_name(self._path.name + ".new")
        fd = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            _write_all(fd, b"".join(self._pending))
            os.replace(fresh, self._path)
        except BaseException:
            os.close(fd)
            raise
        os.close(self._fd)
        self._fd = fd

    RECOVER_EVERY_S = 30.0

    def _recover(self) -> None:
        """Apply the files of journals whose process is gone: at the first flush, then every
        RECOVER_EVERY_S (a CLI process or a sibling node on the same data directory that died is
        picked up by a running node, not only by a restart); retried after a database error."""
        now = time.monotonic()
        if self._recovered_at is not None and now - self._recovered_at < self.RECOVER_EVERY_S:
            return
        own = self._path
        for path in sorted(self.folder.glob(f"{self.name}-*.journal")):
            fd = _claim(path) if path != own else None
            if fd is None:
                continue  # our own file, or a live journal's
            try:
                records = _read_records(path)
                if records:
                    self.apply(records)
                    log.warning("%s: applied %d records left by a process that stopped (%s)", self.name,
                                len(records), path.name)
                path.unlink()
            finally:
                os.close(fd)
        for path in self.folder.glob(f"{self.name}-*.journal.new"):  # a compaction cut short: its
            fd = _claim(path)  # records are all still in the file it was to replace
            if fd is not None:
                path.unlink()
                os.close(fd)
        self._recovered_at = now

    def _start(self) -> None:
        with self._lock:
            if self._thread is not None:
                return
            self._thread = threading.Thread(target=self._run, name=f"{self.name}-writer", daemon=True)
            self._thread.start()

    LOG_EVERY_S = 30.0  # while the database stays away, one error line per this many seconds

    def _run(self) -> None:
        failing_since: float | None = None
        logged_at = 0.0
        while not self._stop:
            self._wake.wait(self.interval_s)
            self._wake.clear()
            if self._stop:
                return
            try:
                self.flush()
            except Exception:
                now = time.monotonic()
                if failing_since is None or now - logged_at >= self.LOG_EVERY_S:
                    log.exception("%s: writing %d records failed; retried every %.1f s (kept in %s)", self.name,
                                  len(self._pending), self.interval_s, self._path)
                    logged_at = now
                failing_since = failing_since or now
                continue
            if failing_since is not None:
                log.warning("%s: written again after %.0f s of failures", self.name, time.monotonic() - failing_since)
                failing_since = None


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _claim(path: Path) -> int | None:
    """An open, locked descriptor of a file whose owner is gone; None when it is gone too or its
    owner still holds the lock."""
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def _read_records(path: Path) -> list[dict[str, Any]]:
    """The records of a journal file; a torn last line (the process died inside `write`) is skipped."""
    out = []
    for number, line in enumerate(path.read_bytes().splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError:
            log.error("%s line %d is not a whole record: skipped", path.name, number)
            continue
        if isinstance(record, dict):
            out.append(record)
    return out
