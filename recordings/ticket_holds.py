"""A ticket opened for a recorded call holds that call's recordings (reference `ticket:<id>`) until
the ticket is closed: what the citizen complained about stays audible while the case is open."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select, text

from recordings.models import Recording, RecordingHold

log = logging.getLogger(__name__)


class TicketHolds:
    EVENTS = ("ticket.opened", "ticket.reopened", "ticket.closed")

    def __init__(self, svc: Any) -> None:
        self.svc = svc
        self._sub = svc.platform.bus.subscribe(self.on_event, self.EVENTS)

    def close(self) -> None:
        self._sub.close()

    def on_event(self, event: Any) -> None:
        ticket_id = event.data.get("ticket_id")
        if ticket_id is None:
            return
        reference = f"ticket:{ticket_id}"
        try:
            if event.type == "ticket.closed":
                self._release(reference)
            else:
                self._hold(int(ticket_id), reference)
        except Exception:
            log.exception("recording holds for %s failed", reference)

    def _hold(self, ticket_id: int, reference: str) -> None:
        db = self.svc.db
        with db.session() as s:
            call_id = s.execute(text("SELECT call_id FROM tickets WHERE id = :id"), {"id": ticket_id}).scalar()
            if not call_id:
                return
            ids = list(s.execute(select(Recording.id).where(Recording.call_id == call_id,
                                                            Recording.status != "purged")).scalars())
            held = set(s.execute(select(RecordingHold.recording_id).where(
                RecordingHold.reference == reference, RecordingHold.released_at.is_(None))).scalars())
        for rec_id in ids:
            if rec_id not in held:  # every node sees the event: hold once
                self.svc.hold(rec_id, reason="ticket", reference=reference, actor="system:tickets")

    def _release(self, reference: str) -> None:
        with self.svc.db.session() as s:
            rows = list(s.execute(select(RecordingHold.recording_id, RecordingHold.id).where(
                RecordingHold.reference == reference, RecordingHold.released_at.is_(None))).all())
        for rec_id, hold_id in rows:
            self.svc.release(rec_id, actor="system:tickets", hold_id=hold_id)
