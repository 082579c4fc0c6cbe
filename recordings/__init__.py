"""Call recordings: capture hooks for the voice channels, compressed storage (data dir or an
S3-compatible bucket), metadata, retention per province, holds, access control and transcripts."""

from typing import Any

from recordings.api import RecordingsHost


def enabled_service(platform: RecordingsHost) -> Any | None:
    """The platform's recordings service when recording is on; None on a node without the home or
    with recording switched off (the voice channels then record nothing)."""
    try:
        svc = platform.recordings
    except ModuleNotFoundError:
        return None
    return svc if svc.config.enabled else None
