"""Private files: the data directory is 0700 and what the platform writes there 0600 (SQLite
databases and their WAL, secrets, logs), whatever the process umask says."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from sqlalchemy.engine import make_url


def private_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    with contextlib.suppress(OSError):  # a directory we do not own (e.g. a mounted volume) stays as it is
        os.chmod(path, 0o700)
    return path


def private_file(path: Path) -> Path:
    """Create the file 0600 if missing, or narrow an existing one to 0600."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    except OSError:
        return path
    with contextlib.suppress(OSError):
        os.chmod(path, 0o600)
    return path


def sqlite_file(url: str) -> Path | None:
    """The database file of a SQLite URL (None for PostgreSQL and in-memory databases)."""
    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001
        return None
    if not parsed.drivername.startswith("sqlite") or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def private_sqlite(url: str) -> None:
    """Before SQLite opens a file database: create it 0600 (its -wal and -shm files inherit the
    database file's mode), and narrow the files of an existing one."""
    path = sqlite_file(url)
    if path is None:
        return
    if path.parent.exists():
        private_file(path)
        for suffix in ("-wal", "-shm", "-journal"):
            extra = path.with_name(path.name + suffix)
            if extra.exists():
                private_file(extra)
