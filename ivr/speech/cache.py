"""Rendered audio on disk, keyed by (engine, voice, format, text), bounded in size, least recently used
evicted first. Writes are atomic (temporary file + rename), so a reader never sees half a file and two
nodes sharing the directory never clash."""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
import time
from pathlib import Path

log = logging.getLogger(__name__)

FORMATS = ("wav", "sln")


def cache_key(engine: str, voice: str, fmt: str, text: str) -> str:
    digest = hashlib.sha256(f"{engine}\x00{voice}\x00{fmt}\x00{text}".encode()).hexdigest()
    return digest[:40]


class AudioCache:
    def __init__(self, folder: Path, max_bytes: int = 200 * 1024 * 1024) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._total = sum(p.stat().st_size for p in self._files())

    def _files(self) -> list[Path]:
        return [p for p in self.folder.glob("*.*") if p.suffix[1:] in FORMATS]

    def path(self, key: str, fmt: str) -> Path:
        if fmt not in FORMATS or not key.isalnum():
            raise ValueError("bad cache key or format")
        return self.folder / f"{key}.{fmt}"

    def get(self, key: str, fmt: str) -> Path | None:
        path = self.path(key, fmt)
        try:
            os.utime(path)  # mtime = last use: the LRU order
        except FileNotFoundError:
            return None
        return path

    def put(self, key: str, fmt: str, audio: bytes) -> Path:
        path = self.path(key, fmt)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=self.folder)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(audio)
            os.chmod(tmp, 0o644)  # Asterisk may read it from a shared sounds directory
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        with self._lock:
            self._total += len(audio)
            over = self._total > self.max_bytes
        if over:
            self.evict()
        return path

    def evict(self) -> int:
        """Remove least recently used files until the cache is at 90% of its bound; returns files removed."""
        with self._lock:
            files = []
            for p in self._files():
                try:
                    st = p.stat()
                except FileNotFoundError:
                    continue
                files.append((st.st_mtime, st.st_size, p))
            total = sum(size for _, size, _ in files)
            target = int(self.max_bytes * 0.9)
            removed = 0
            now = time.time()
            for mtime, size, p in sorted(files):
                if total <= target:
                    break
                if now - mtime < 2.0 and removed and total <= self.max_bytes:
                    break  # never evict what was just written while under the bound
                p.unlink(missing_ok=True)
                total -= size
                removed += 1
            self._total = total
        if removed:
            log.info("speech cache: evicted %d file(s), %d bytes kept", removed, total)
        return removed

    @property
    def total_bytes(self) -> int:
        return self._total
