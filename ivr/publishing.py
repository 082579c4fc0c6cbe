"""Flow versions in the database: publish (validated), one live version per entry number, rollback.

Publishing or rolling back changes only calls that start afterwards: a call keeps the version it
started with (its state names the version row, and rows are never edited)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update

from ivr.events import FlowLive
from ivr.flow import Flow, FlowError, load_flow
from ivr.models import FlowVersion
from ivr.prompts import PromptCatalog
from ivr.validate import errors, validate_text


def normalise_entry(called: str | None) -> str:
    """The entry number a call was placed to: digits only, without a +86/0086 prefix."""
    digits = "".join(ch for ch in str(called or "") if ch.isdigit())
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) > len(prefix) + 3:
            digits = digits[len(prefix):]
    return digits or "12333"


@dataclass(frozen=True)
class VersionInfo:
    id: int
    entry: str
    version: int
    name: str
    sha256: str
    live: bool
    published_at: datetime
    published_by: str
    note: str

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "entry": self.entry, "version": self.version, "name": self.name,
                "sha256": self.sha256[:12], "live": self.live, "published_at": self.published_at.isoformat(),
                "published_by": self.published_by, "note": self.note}


def _info(row: FlowVersion) -> VersionInfo:
    return VersionInfo(row.id, row.entry, row.version, row.name, row.sha256, row.live, row.published_at,
                       row.published_by, row.note)


class FlowRepository:
    #: `live()` runs at every call start: it answers from a per-node snapshot of each entry's live
    #: version, read again after this long. Publishing or rolling back on this node clears it at once;
    #: on another node, its `ivr.flow.live` event (Redis bus) does, or at the latest this long after.
    SNAPSHOT_S = 10.0

    def __init__(self, db: Any, clock: Any, catalog: PromptCatalog, bus: Any | None = None) -> None:
        self.db = db
        self.clock = clock
        self.catalog = catalog
        self.bus = bus
        self._parsed: dict[int, Flow] = {}
        self._live: dict[str, tuple[VersionInfo | None, float]] = {}
        self._lock = threading.Lock()
        if bus is not None:
            bus.subscribe(lambda event: self.forget(), ("ivr.flow.",))

    def forget(self) -> None:
        """Drop the live-version snapshot: the next call start reads the live versions again."""
        with self._lock:
            self._live = {}

    def _changed(self, info: VersionInfo, how: str) -> None:
        self.forget()
        if self.bus is not None:
            self.bus.emit(FlowLive(entry=info.entry, version=info.version, how=how))

    def publish(self, text: str, entry: str, *, by: str = "cli", note: str = "") -> VersionInfo:
        """Validate and store a new version and make it live; FlowError when it has errors."""
        problems = errors(validate_text(text, self.catalog))
        if problems:
            raise FlowError(problems)
        flow = load_flow(text)
        entry = normalise_entry(entry)
        with self.db.session() as s:
            last = s.execute(select(func.max(FlowVersion.version)).where(FlowVersion.entry == entry)).scalar()
            s.execute(update(FlowVersion).where(FlowVersion.entry == entry, FlowVersion.live.is_(True))
                      .values(live=False))
            row = FlowVersion(entry=entry, version=int(last or 0) + 1, name=flow.name, source=text,
                              sha256=flow.sha256, live=True, published_at=self.clock.now(), published_by=by,
                              note=note[:200])
            s.add(row)
            s.flush()
            info = _info(row)
        self._changed(info, "published")
        return info

    def rollback(self, entry: str, to: int | None = None, *, by: str = "cli") -> VersionInfo:
        """Make `to` (default: the version published before the live one) live again."""
        entry = normalise_entry(entry)
        with self.db.session() as s:
            rows = list(s.execute(select(FlowVersion).where(FlowVersion.entry == entry)
                                  .order_by(FlowVersion.version)).scalars())
            if not rows:
                raise LookupError(f"no flow has been published for entry {entry}")
            live = next((r for r in rows if r.live), None)
            if to is None:
                older = [r for r in rows if live is not None and r.version < live.version]
                if not older:
                    raise LookupError(f"entry {entry}: no version before the live version "
                                      f"{live.version if live else '-'} to roll back to")
                target = older[-1]
            else:
                target = next((r for r in rows if r.version == to), None)
                if target is None:
                    raise LookupError(f"entry {entry} has no version {to}; versions: "
                                      f"{', '.join(str(r.version) for r in rows)}")
            for r in rows:
                r.live = r.id == target.id
            target.note = (f"rolled back by {by}" if not target.note else target.note)[:200]
            s.flush()
            info = _info(target)
        self._changed(info, "rolled_back")
        return info

    def versions(self, entry: str | None = None) -> list[VersionInfo]:
        with self.db.session() as s:
            q = select(FlowVersion).order_by(FlowVersion.entry, FlowVersion.version)
            if entry:
                q = q.where(FlowVersion.entry == normalise_entry(entry))
            return [_info(r) for r in s.execute(q).scalars()]

    def live(self, entry: str) -> tuple[VersionInfo, Flow] | None:
        """The live version of an entry number and its parsed flow (from the node's snapshot)."""
        entry = normalise_entry(entry)
        now = self.clock.time()
        cached = self._live.get(entry)
        if cached is not None and now < cached[1]:
            info = cached[0]
        else:
            info = self._read_live(entry)
            with self._lock:
                self._live = {**self._live, entry: (info, now + self.SNAPSHOT_S)}
        return (info, self.flow(info.id)) if info is not None else None

    def _read_live(self, entry: str) -> VersionInfo | None:
        columns = (FlowVersion.id, FlowVersion.entry, FlowVersion.version, FlowVersion.name, FlowVersion.sha256,
                   FlowVersion.live, FlowVersion.published_at, FlowVersion.published_by, FlowVersion.note)
        with self.db.session() as s:
            row = s.execute(select(*columns).where(FlowVersion.entry == entry, FlowVersion.live.is_(True))).first()
        return VersionInfo(*row) if row is not None else None

    def flow(self, version_id: int) -> Flow:
        """The parsed flow of a version row (cached; rows never change)."""
        flow = self._parsed.get(version_id)
        if flow is None:
            with self.db.session() as s:
                row = s.get(FlowVersion, version_id)
                if row is None:
                    raise LookupError(f"no flow version row {version_id}")
                flow = load_flow(row.source)
            with self._lock:
                self._parsed[version_id] = flow
        return flow

    def source(self, entry: str, version: int | None = None) -> str | None:
        with self.db.session() as s:
            q = select(FlowVersion.source).where(FlowVersion.entry == normalise_entry(entry))
            q = q.where(FlowVersion.version == version) if version else q.where(FlowVersion.live.is_(True))
            return s.execute(q).scalar_one_or_none()
