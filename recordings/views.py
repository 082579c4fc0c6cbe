"""What other homes and the console see of a recording (never the ORM row)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class RecordingView:
    id: int
    call_id: str
    leg: int
    kind: str
    channel: str
    agent_id: int | None
    province: str
    queue_id: str | None
    caller_masked: str
    started_at: datetime
    ended_at: datetime | None
    duration_s: float | None
    size_bytes: int | None
    checksum: str | None
    codec: str | None
    status: str
    gaps: list[dict]
    paused: bool
    expires_at: datetime | None
    held: bool
    has_transcript: bool

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("started_at", "ended_at", "expires_at"):
            out[key] = out[key].isoformat(timespec="seconds") if out[key] else None
        return out


def view_of(rec: Any, held: bool) -> RecordingView:
    return RecordingView(
        id=rec.id, call_id=rec.call_id, leg=rec.leg, kind=rec.kind, channel=rec.channel, agent_id=rec.agent_id,
        province=rec.province, queue_id=rec.queue_id, caller_masked=rec.caller_masked, started_at=rec.started_at,
        ended_at=rec.ended_at, duration_s=rec.duration_s, size_bytes=rec.size_bytes, checksum=rec.checksum,
        codec=rec.codec, status=rec.status, gaps=list(rec.gaps or []), paused=rec.paused_at is not None,
        expires_at=rec.expires_at, held=held, has_transcript=bool(rec.transcript),
    )
