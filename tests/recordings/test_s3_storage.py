"""The S3-compatible storage option through the minio client, against a local S3 server.

No MinIO server installs from the registries this project may use (MinIO ships its server as a
downloaded binary), so the S3 endpoint here is moto's standalone server: a local fake of the S3 HTTP
API, reached over real HTTP with signed requests, on a free loopback port."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from core.events import InProcessBus
from core.state import MemoryStore
from hotline.platform import Platform
from recordings.storage import S3Storage
from tests.conftest import make_settings
from tests.recordings.helpers import stereo_wav


@pytest.fixture
def s3_endpoint() -> Iterator[str]:
    moto_server = pytest.importorskip("moto.server")
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"{host}:{port}"
    server.stop()


def test_recordings_in_a_bucket(tmp_path: Path, clock, s3_endpoint: str) -> None:
    settings = make_settings(tmp_path, extra={
        "recording_storage": "s3", "recording_s3_endpoint": s3_endpoint, "recording_s3_bucket": "rec-test",
        "recording_s3_access_key": "testing", "recording_s3_secret_key": "testing", "recording_s3_secure": "0",
        "recording_s3_region": "us-east-1"})
    platform = Platform(settings, clock=clock, store=MemoryStore(clock), bus=InProcessBus("n", clock))
    platform.migrate()
    try:
        svc = platform.recordings
        assert isinstance(svc.storage, S3Storage)
        rid = svc.store_file("call-s3", stereo_wav(tmp_path / "a.wav"), channel="import")
        rec = svc.get(rid)
        data = b"".join(svc.open(rec))
        assert data[:4] == b"OggS" and hashlib.sha256(data).hexdigest() == rec.checksum
        assert b"".join(svc.open(rec, 4, 10)) == data[4:14]  # ranged reads for the player
        key = svc._key(rid)
        assert svc.storage.size(key) == rec.size_bytes
        clock.advance(timedelta(days=181))
        assert svc.purge().purged == [rid]
        assert svc.storage.size(key) is None  # the object is gone from the bucket
    finally:
        platform.close()
