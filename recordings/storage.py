"""Where recording files live: the data directory (default) or an S3-compatible bucket (MinIO,
Ceph RGW, AWS S3) through the `minio` client. Both write atomically: a local file is written under
a temporary name, fsynced and renamed; an object appears in a bucket only when its upload completes."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

CHUNK = 64 * 1024


class Storage(Protocol):
    name: str

    def put(self, key: str, source: Path, content_type: str) -> None: ...

    def size(self, key: str) -> int | None: ...

    def read(self, key: str, start: int = 0, length: int | None = None) -> Iterator[bytes]: ...

    def delete(self, key: str) -> None: ...


def _safe_key(key: str) -> str:
    parts = [p for p in key.split("/") if p]
    if not parts or any(p in (".", "..") for p in parts):
        raise ValueError(f"bad storage key {key!r}")
    return "/".join(parts)


class LocalStorage:
    name = "local"

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, key: str) -> Path:
        return self.root / _safe_key(key)

    def put(self, key: str, source: Path, content_type: str) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".part-", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as out, open(source, "rb") as src:
                shutil.copyfileobj(src, out, CHUNK)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        dir_fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def size(self, key: str) -> int | None:
        try:
            return self.path(key).stat().st_size
        except FileNotFoundError:
            return None

    def read(self, key: str, start: int = 0, length: int | None = None) -> Iterator[bytes]:
        with open(self.path(key), "rb") as f:
            f.seek(start)
            left = length
            while left is None or left > 0:
                chunk = f.read(CHUNK if left is None else min(CHUNK, left))
                if not chunk:
                    return
                if left is not None:
                    left -= len(chunk)
                yield chunk

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)


class S3Storage:
    """An S3-compatible bucket; created on first use if missing."""

    name = "s3"

    def __init__(self, endpoint: str, bucket: str, access_key: str, secret_key: str, *, secure: bool = True,
                 region: str = "") -> None:
        from minio import Minio

        self.bucket = bucket
        self.client = Minio(endpoint, access_key=access_key, secret_key=secret_key, secure=secure,
                            region=region or None)
        self._ready = False

    def _ensure_bucket(self) -> None:
        if not self._ready:
            if not self.client.bucket_exists(self.bucket):
                self.client.make_bucket(self.bucket)
            self._ready = True

    def put(self, key: str, source: Path, content_type: str) -> None:
        self._ensure_bucket()
        self.client.fput_object(self.bucket, _safe_key(key), str(source), content_type=content_type)

    def size(self, key: str) -> int | None:
        from minio.error import S3Error

        try:
            return int(self.client.stat_object(self.bucket, _safe_key(key)).size or 0)
        except S3Error as exc:
            if exc.code in ("NoSuchKey", "NoSuchBucket", "NoSuchObject"):
                return None
            raise

    def read(self, key: str, start: int = 0, length: int | None = None) -> Iterator[bytes]:
        response = self.client.get_object(self.bucket, _safe_key(key), offset=start, length=length or 0)
        try:
            yield from response.stream(CHUNK)
        finally:
            response.close()
            response.release_conn()

    def delete(self, key: str) -> None:
        self.client.remove_object(self.bucket, _safe_key(key))


def make_storage(config: object) -> Storage:
    kind = getattr(config, "storage", "local")
    if kind == "s3":
        return S3Storage(config.s3_endpoint, config.s3_bucket, config.s3_access_key,  # type: ignore[attr-defined]
                         config.s3_secret_key, secure=config.s3_secure,  # type: ignore[attr-defined]
                         region=config.s3_region)  # type: ignore[attr-defined]
    if kind != "local":
        raise ValueError(f"HOTLINE_RECORDING_STORAGE: {kind!r} is not local or s3")
    return LocalStorage(config.store_dir)  # type: ignore[attr-defined]
