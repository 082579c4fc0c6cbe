"""`platform.recordings`: capture hooks for the channels, listing and access, pause/resume, holds,
retention and transcripts. See docs/recording.md."""

from __future__ import annotations

import builtins
import logging
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from core.masking import mask_phone, scrub
from recordings import access, audio, capture, links, retention
from recordings.api import RecordingsHost
from recordings.config import RecordingConfig
from recordings.events import RecordingPaused, RecordingResumed, RecordingStarted
from recordings.models import Recording, RecordingHold
from recordings.storage import Storage
from recordings.transcription import Transcriber
from recordings.views import RecordingView, view_of

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LegStart:
    recording_id: int
    leg: int
    mixmonitor_file: str  # the path Asterisk writes to ("" for channels that record themselves)


STALE_LEG_S = 8 * 3600  # longer than any call


class RecordingError(Exception):
    pass


class RecordingService:
    def __init__(self, platform: RecordingsHost, config: RecordingConfig, storage: Storage,
                 transcriber: Transcriber | None = None) -> None:
        self.platform, self.config, self.storage, self.transcriber = platform, config, storage, transcriber
        self.db, self.clock, self.audit = platform.db, platform.clock, platform.audit
        config.spool_dir.mkdir(parents=True, exist_ok=True)
        self.ticket_holds: Any = None  # recordings.ticket_holds.TicketHolds, set by the wiring

    def shutdown(self) -> None:
        if self.ticket_holds is not None:
            self.ticket_holds.close()

    # ------------------------------------------------------------------ policy (IVR, channels)
    def consent_required(self, entry: str) -> bool:
        """Whether the flow of `entry` announces recording before the agent leg."""
        return self.config.enabled and self.config.consent_for(str(entry))

    def whole_call(self, entry: str) -> bool:
        return self.config.enabled and self.config.whole_call_for(str(entry))

    # ------------------------------------------------------------------ capture
    def _call_facts(self, call_id: str, agent_id: int | None) -> dict[str, Any]:
        facts: dict[str, Any] = {"agent_id": agent_id, "queue_id": None, "province": None, "agent_user_id": None}
        try:
            agents = self.platform.agents
            status = agents.call_status(call_id)
            if status is not None:
                facts["agent_id"] = agent_id or status.agent_id
                facts["queue_id"] = status.queue_id
            if facts["agent_id"]:
                profile = agents.profile(int(facts["agent_id"]))
                if profile is not None:
                    facts["agent_user_id"] = profile.user_id
                    facts["province"] = profile.center_code
        except Exception:  # a node without the ACD still records
            log.exception("recording: no ACD facts for call %s", call_id)
        if facts["queue_id"] and not facts["province"]:
            facts["province"] = str(facts["queue_id"]).split("-")[0][:2]
        facts["province"] = facts["province"] or str(self.platform.settings.center_code or "00")[:2]
        return facts

    def start_leg(self, call_id: str, *, channel: str, agent_id: int | None = None, caller: str | None = None,
                  kind: str = "agent_leg", source_ref: str | None = None,
                  province: str | None = None) -> LegStart | None:
        """The agent answered (or a whole-call recording starts): open a recording row.

        `province` (the entry number's center) stands in until an agent leg of the call names one.
        For Asterisk the result names the file MixMonitor must write (`.raw`, stereo)."""
        if not self.config.enabled:
            return None
        facts = self._call_facts(call_id, agent_id)
        if province and not facts["agent_id"] and not facts["queue_id"]:
            facts["province"] = str(province)[:2]
        with self.db.session() as s:
            leg = capture.next_leg(s, call_id)
            name = f"{uuid.uuid4().hex}.raw" if channel == "asterisk" else ""
            rec = Recording(call_id=call_id, leg=leg, kind=kind, channel=channel, agent_id=facts["agent_id"],
                            agent_user_id=facts["agent_user_id"], province=facts["province"],
                            queue_id=facts["queue_id"], caller_masked=mask_phone(caller),
                            started_at=self.clock.now(), status="recording", source=name or None,
                            source_ref=source_ref, gaps=[])
            s.add(rec)
            s.flush()
            rec_id = rec.id
        self.platform.bus.emit(RecordingStarted(recording_id=rec_id, call_id=call_id, leg=leg, kind=kind,
                                                channel=channel, province=facts["province"]))
        path = f"{self.config.asterisk_dir.rstrip('/')}/{name}" if name else ""
        return LegStart(recording_id=rec_id, leg=leg, mixmonitor_file=path)

    def end_leg(self, recording_id: int, reason: str = "hangup", *, ingest: bool = True) -> None:
        """The agent leg ended (hang-up or transfer): close the row and ingest the file when it is ready."""
        with self.db.session() as s:
            rec = s.get(Recording, recording_id)
            if rec is None or rec.status != "recording":
                return
            now = self.clock.now()
            self._close_gap(rec, now, "system:" + reason)
            rec.ended_at, rec.status = now, "closing"
            capture.adopt_agent_leg(s, rec)
            channel = rec.channel
        if ingest and channel == "asterisk":
            capture.ingest_spooled(self, recording_id, force=True)

    def discard_leg(self, recording_id: int, reason: str = "not_answered") -> None:
        """The agent never answered (or recording could not start): drop the row and any file."""
        with self.db.session() as s:
            rec = s.get(Recording, recording_id)
            if rec is None or rec.status not in ("recording", "closing"):
                return
            name = Path(rec.source).name if rec.source else None
            s.delete(rec)
        if name:
            (self.config.spool_dir / name).unlink(missing_ok=True)
        log.info("recording %s discarded (%s)", recording_id, reason)

    def ingest_now(self, recording_id: int, wait_s: float = 15.0) -> bool:
        """Ingest a closed Asterisk leg as soon as its file has settled (else the timer will)."""
        deadline = time.monotonic() + wait_s
        while True:
            if capture.ingest_spooled(self, recording_id):
                return True
            rec = self.get(recording_id)
            if rec is None or rec.status != "closing" or time.monotonic() > deadline:
                return False
            time.sleep(0.5)

    def end_call(self, call_id: str, reason: str = "hangup") -> None:
        """Close every open leg of a call (the call ended)."""
        with self.db.session() as s:
            ids = list(s.execute(select(Recording.id).where(Recording.call_id == call_id,
                                                            Recording.status == "recording")).scalars())
        for rec_id in ids:
            self.end_leg(rec_id, reason)

    def store_file(self, call_id: str, source: Path, *, channel: str, agent_id: int | None = None,
                   source_ref: str | None = None, started_at: datetime | None = None,
                   caller: str | None = None, channels: int | None = None,
                   recording_id: int | None = None, kind: str = "agent_leg") -> int:
        """A finished recording handed over as a file (Twilio's download, an import); idempotent on
        `source_ref`. `recording_id` names the leg opened at the answer (its pause gaps are kept);
        `kind` is used only when that row is gone. Returns the recording id."""
        if recording_id is not None:
            with self.db.session() as s:
                rec = s.get(Recording, recording_id)
                if rec is not None and rec.call_id == call_id and rec.status in ("recording", "closing"):
                    now = self.clock.now()
                    self._close_gap(rec, now, "system:leg_end")
                    rec.status, rec.source_ref, rec.ended_at = "ingesting", source_ref, rec.ended_at or now
                    capture.adopt_agent_leg(s, rec)
                    if started_at is not None:  # the provider's file starts at the answer: shift the gaps
                        shift = (started_at - rec.started_at).total_seconds()
                        rec.gaps = [{**g, "start": max(0.0, round(g["start"] - shift, 1)),
                                     "end": max(0.0, round(g["end"] - shift, 1))} for g in rec.gaps or []]
                        rec.started_at = started_at
                    rec_id = rec.id
                else:
                    rec_id = None
            if rec_id is not None:
                if not capture.ingest_file(self, rec_id, source, channels=channels, keep_source=True):
                    raise RecordingError(f"recording {rec_id} could not be stored (see its error)")
                return rec_id
        if source_ref:
            existing = self.by_source_ref(source_ref, channel)
            if existing is not None:
                return existing
        facts = self._call_facts(call_id, agent_id)
        now = self.clock.now()
        with self.db.session() as s:
            rec = Recording(call_id=call_id, leg=capture.next_leg(s, call_id), kind=kind, channel=channel,
                            agent_id=facts["agent_id"], agent_user_id=facts["agent_user_id"],
                            province=facts["province"], queue_id=facts["queue_id"], caller_masked=mask_phone(caller),
                            started_at=started_at or now, ended_at=now, status="ingesting", source_ref=source_ref,
                            gaps=[])
            s.add(rec)
            s.flush()
            rec_id = rec.id
        if not capture.ingest_file(self, rec_id, source, channels=channels, keep_source=True):
            raise RecordingError(f"recording {rec_id} could not be stored (see its error)")
        return rec_id

    def by_source_ref(self, source_ref: str, channel: str) -> int | None:
        """The recording already made (or being stored) from the provider's recording `source_ref` (e.g. a
        RecordingSid); an open one that only knows its provider id does not count."""
        with self.db.session() as s:
            existing = s.execute(select(Recording.id).where(Recording.source_ref == source_ref,
                                                            Recording.channel == channel,
                                                            Recording.status.not_in(("recording", "closing")))
                                 ).scalar()
        return int(existing) if existing is not None else None

    def note_source_ref(self, recording_id: int, call_id: str, source_ref: str) -> bool:
        """The provider started the recording of an open row and named it (Twilio's in-progress
        callback): keep the name, so a pause can address this very recording."""
        with self.db.session() as s:
            rec = s.get(Recording, recording_id)
            if rec is None or rec.call_id != call_id or rec.status != "recording":
                return False
            rec.source_ref = source_ref
            return True

    def open_source_refs(self, call_id: str) -> list[str | None]:
        """The provider ids of the call's open recordings (None where the provider has not named it yet)."""
        with self.db.session() as s:
            return list(s.execute(select(Recording.source_ref).where(Recording.call_id == call_id,
                                                                     Recording.status == "recording")
                                  .order_by(Recording.leg.desc())).scalars())

    def ingest_pending(self) -> int:
        """The timer's pass: ingest legs left `closing`; close legs left open longer than any call
        (a node that died mid-call): Asterisk's file is ingested, a Twilio leg whose recording never
        arrived is dropped. Returns how many were stored."""
        stale = self.clock.now() - timedelta(seconds=STALE_LEG_S)
        with self.db.session() as s:
            for rec in s.execute(select(Recording).where(Recording.status == "recording",
                                                         Recording.started_at < stale)).scalars():
                rec.status, rec.ended_at = "closing", rec.ended_at or self.clock.now()
                rec.error = "closed by the timer: the leg was never ended"
        with self.db.session() as s:
            gone = list(s.execute(select(Recording.id).where(Recording.status == "closing",
                                                             Recording.channel != "asterisk",
                                                             Recording.started_at < stale)).scalars())
        for rec_id in gone:
            self.discard_leg(rec_id, "no_recording_arrived")
        with self.db.session() as s:
            ids = list(s.execute(select(Recording.id).where(Recording.status == "closing",
                                                            Recording.channel == "asterisk")).scalars())
        return sum(1 for rec_id in ids if capture.ingest_spooled(self, rec_id))

    def after_store(self, recording_id: int) -> None:
        if self.transcriber is not None:
            try:
                self.transcribe(recording_id)
            except Exception:
                log.exception("transcription of recording %s failed", recording_id)

    # ------------------------------------------------------------------ pause / resume (PCI)
    def active_leg(self, call_id: str) -> RecordingView | None:
        with self.db.session() as s:
            rec = s.execute(select(Recording).where(Recording.call_id == call_id, Recording.status == "recording")
                            .order_by(Recording.leg.desc())).scalars().first()
            return view_of(rec, False) if rec else None

    def pause(self, call_id: str, *, actor: str) -> RecordingView:
        return self._pause_resume(call_id, actor=actor, pause=True)

    def resume(self, call_id: str, *, actor: str) -> RecordingView:
        return self._pause_resume(call_id, actor=actor, pause=False)

    def _pause_resume(self, call_id: str, *, actor: str, pause: bool) -> RecordingView:
        """Pause (or resume) every open recording of the call: the agent leg and, on an entry recorded
        whole, the whole-call recording, so a card number reaches neither. One audit entry, on the
        agent's current leg; the returned view is that leg's."""
        now = self.clock.now()
        with self.db.session() as s:
            open_recs = list(s.execute(select(Recording).where(Recording.call_id == call_id,
                                                               Recording.status == "recording")
                                       .order_by(Recording.leg.desc())).scalars())
            if not open_recs:
                raise RecordingError("this call is not being recorded")
            rec = open_recs[0]
            changed = (rec.paused_at is None) if pause else (rec.paused_at is not None)
            for each in open_recs:
                if pause and each.paused_at is None:
                    each.paused_at = now
                elif not pause:
                    self._close_gap(each, now, actor)
            action = "recording.pause" if pause else "recording.resume"
            detail: dict[str, Any] = {"leg": rec.leg, "offset_s": round((now - rec.started_at).total_seconds(), 1)}
            if len(open_recs) > 1:
                detail["recordings"] = [r.id for r in open_recs]
            self.audit.record(actor=actor, channel="console", action=action, subject=f"recording:{rec.id}",
                              session_id=call_id, outcome="ok" if changed else "unchanged", detail=detail,
                              session=s)
            view = view_of(rec, False)
            ids = [r.id for r in open_recs]
        if changed:
            event = RecordingPaused if pause else RecordingResumed
            self.platform.bus.emit(event(recording_id=view.id, recording_ids=ids, call_id=call_id,
                                         channel=view.channel, leg=view.leg))
        return view

    @staticmethod
    def _close_gap(rec: Recording, now: datetime, actor: str) -> None:
        if rec.paused_at is None:
            return
        start = (rec.paused_at - rec.started_at).total_seconds()
        end = (now - rec.started_at).total_seconds()
        rec.gaps = [*list(rec.gaps or []), {"start": round(start, 1), "end": round(end, 1), "by": actor}]
        rec.paused_at = None

    # ------------------------------------------------------------------ reading
    def get(self, recording_id: int) -> RecordingView | None:
        with self.db.session() as s:
            rec = s.get(Recording, recording_id)
            return view_of(rec, retention.is_held(s, rec.id)) if rec else None

    def list(self, *, province: str | None = None, agent_id: int | None = None, call_id: str | None = None,
             since: datetime | None = None, until: datetime | None = None, status: str | None = None,
             limit: int = 200) -> list[RecordingView]:
        with self.db.session() as s:
            q = select(Recording).order_by(Recording.started_at.desc()).limit(limit)
            if province and province != "00":
                q = q.where(Recording.province == province)
            if agent_id is not None:
                q = q.where(Recording.agent_id == agent_id)
            if call_id:
                q = q.where(Recording.call_id == call_id)
            if since:
                q = q.where(Recording.started_at >= since)
            if until:
                q = q.where(Recording.started_at < until)
            if status:
                q = q.where(Recording.status == status)
            rows = list(s.execute(q).scalars())
            held = retention.held_ids(s, [r.id for r in rows])
            return [view_of(r, r.id in held) for r in rows]

    def own_agent_id(self, user: Any) -> int | None:
        try:
            profile = self.platform.agents.agent_for_user(int(user.id))
        except ModuleNotFoundError:  # a node without the ACD
            return None
        return profile.id if profile is not None else None

    def visible_to(self, user: Any, **filters: Any) -> builtins.list[RecordingView]:
        """The recordings a console user may see (see recordings.access)."""
        scope = access.reviewer_scope(user)
        if scope is not None:
            return self.list(province=None if scope == "00" else scope, **filters)
        own = self.own_agent_id(user)
        if own is None:
            return []
        filters["agent_id"] = own  # an agent sees their own calls only, whatever they asked for
        return [r for r in self.list(**filters) if self.may_listen(user, r)]

    def may_listen(self, user: Any, rec: RecordingView) -> bool:
        return access.can_listen(user, rec, own_agent_id=self.own_agent_id(user),
                                 agent_listen_allowed=self.config.agent_may_listen(rec.province))

    def may_export(self, user: Any, rec: RecordingView) -> bool:
        return access.can_export(user, rec)

    def link(self, user: Any, recording_id: int, purpose: str = "listen") -> str:
        expires = int(self.clock.time()) + self.config.link_ttl_s
        return links.sign(self.platform.settings.secret_key, recording_id, int(user.id), purpose, expires)

    def check_link(self, token: str) -> links.Link | None:
        return links.verify(self.platform.settings.secret_key, token, self.clock.time())

    def audit_access(self, user: Any, rec: RecordingView, purpose: str, outcome: str = "ok",
                     detail: dict | None = None) -> None:
        self.audit.record(actor=f"user:{user.id}", channel="console", action=f"recording.{purpose}",
                          subject=f"recording:{rec.id}", session_id=rec.call_id, outcome=outcome,
                          detail={"province": rec.province, "agent_id": rec.agent_id, **(detail or {})})

    def open(self, rec: RecordingView, start: int = 0, length: int | None = None) -> Iterator[bytes]:
        key = self._key(rec.id)
        return self.storage.read(key, start, length)

    def _key(self, recording_id: int) -> str:
        with self.db.session() as s:
            rec = s.get(Recording, recording_id)
            if rec is None or rec.status != "stored" or not rec.storage_key:
                raise RecordingError("the recording is not stored (recording, purged or failed)")
            return rec.storage_key

    def mime(self, rec: RecordingView) -> str:
        return audio.MIME.get(rec.codec or "", "application/octet-stream")

    # ------------------------------------------------------------------ holds and retention
    def hold(self, recording_id: int, *, reason: str, reference: str = "", actor: str) -> int:
        return retention.hold(self, recording_id, reason=reason, reference=reference, actor=actor)

    def hold_call(self, call_id: str, *, reason: str, reference: str = "", actor: str) -> builtins.list[int]:
        return [self.hold(r.id, reason=reason, reference=reference, actor=actor) for r in self.list(call_id=call_id)]

    def release(self, recording_id: int, *, actor: str, hold_id: int | None = None) -> int:
        return retention.release(self, recording_id, actor=actor, hold_id=hold_id)

    def holds(self, recording_id: int) -> builtins.list[dict[str, Any]]:
        with self.db.session() as s:
            rows = s.execute(select(RecordingHold).where(RecordingHold.recording_id == recording_id)
                             .order_by(RecordingHold.id)).scalars()
            return [{"id": h.id, "reason": h.reason, "reference": h.reference, "placed_by": h.placed_by,
                     "placed_at": h.placed_at.isoformat(timespec="seconds"), "released_by": h.released_by,
                     "released_at": h.released_at.isoformat(timespec="seconds") if h.released_at else None}
                    for h in rows]

    def purge(self, *, dry_run: bool = False, actor: str = "system:recording-retention") -> retention.PurgeReport:
        return retention.purge(self, dry_run=dry_run, actor=actor)

    # ------------------------------------------------------------------ transcripts
    def transcribe(self, recording_id: int) -> str | None:
        if self.transcriber is None:
            return None
        rec = self.get(recording_id)
        if rec is None or rec.status != "stored":
            return None
        with tempfile.TemporaryDirectory(prefix="asr-") as tmp:
            encoded = Path(tmp) / ("in" + audio.SUFFIX[rec.codec or "wav"])
            with open(encoded, "wb") as out:
                for chunk in self.open(rec):
                    out.write(chunk)
            wav = audio.decode(encoded, Path(tmp) / "in.wav")
            text = scrub(self.transcriber.transcribe(wav, "zh") or "")
        with self.db.session() as s:
            row = s.get(Recording, recording_id)
            if row is None:  # deleted (expiry or erasure) while it was being transcribed
                return text
            row.transcript, row.transcript_engine = text, self.transcriber.name
        return text

    def transcript(self, recording_id: int) -> str | None:
        with self.db.session() as s:
            rec = s.get(Recording, recording_id)
            return rec.transcript if rec else None

    def search_transcripts(self, user: Any, text: str, limit: int = 50) -> builtins.list[RecordingView]:
        """Reviewers search masked transcripts (their provinces only)."""
        scope = access.reviewer_scope(user)
        needle = (text or "").strip()
        if scope is None or not needle:
            return []
        with self.db.session() as s:
            q = (select(Recording).where(Recording.transcript.is_not(None), Recording.transcript.contains(needle))
                 .order_by(Recording.started_at.desc()).limit(limit))
            if scope != "00":
                q = q.where(Recording.province == scope)
            rows = list(s.execute(q).scalars())
            held = retention.held_ids(s, [r.id for r in rows])
            return [view_of(r, r.id in held) for r in rows]
