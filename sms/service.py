"""`platform.sms`: send (through the outbox), preview, status and receipts, bulk notices, opt-out, the
inbound log. What an inbound message asks for is the SMS conversation channel's business
(`smschat/`): the gateway only logs what it received and when the reply left."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from core import phone
from core.masking import mask_phone, scrub
from sms import encoding, outbox, policy
from sms.api import SmsHost
from sms.config import SmsConfig
from sms.events import SmsDelivered, SmsFailed, SmsInbound, SmsPurged, SmsQueued
from sms.models import PRIORITY, InboundMessage, OutboxMessage
from sms.templates import TemplateError, TemplateStore, render


class SmsError(ValueError):
    """Bad input to send(): unknown number, template or variables. Nothing was queued."""


@dataclass
class BulkReport:
    queued: int = 0
    duplicates: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)
    parts: int = 0


def normalize(number: str) -> str:
    """E.164 form of a recipient; raises SmsError for anything that is not a valid number."""
    try:
        return phone.parse(number).e164
    except phone.InvalidPhoneNumber as exc:
        raise SmsError(f"无效的手机号码 {mask_phone(number)}: {exc}") from None


def normalize_sender(number: str) -> str:
    """Inbound senders: E.164 when parseable, else the digits as given (short codes, test SMSCs)."""
    info = phone.try_parse(number)
    return info.e164 if info else "".join(ch for ch in number if ch.isdigit() or ch == "+")


class SmsService:
    def __init__(self, platform: SmsHost, config: SmsConfig) -> None:
        self.platform = platform
        self.config = config
        self.db, self.clock, self.store = platform.db, platform.clock, platform.store
        self.templates = TemplateStore(platform.db, platform.clock)
        self.suppressions = policy.SuppressionList(platform.db, platform.clock)
        self._dispatcher: Any = None
        self._lock = threading.Lock()

    # -- outbound -------------------------------------------------------------------------------

    def preview(self, text: str) -> encoding.Preview:
        """Parts and encoding of a text as it will be sent (the signature counted)."""
        return encoding.preview(text, self.config.signature)

    def render(self, template: str, variables: dict[str, Any]) -> str:
        try:
            return render(self.templates.require(template), variables)
        except TemplateError as exc:
            raise SmsError(str(exc)) from None

    def send(self, to: str, template: str, variables: dict[str, Any], *, category: str = "reply",
             idempotency_key: str | None = None, session_id: str | None = None,
             provider: str | None = None) -> int:
        """Queue one message; returns its outbox id (the same id again for a repeated key).
        `provider` is a preference (tried first when configured), e.g. the gateway a question came in on."""
        number = normalize(to)
        try:
            policy.check_category(category)
        except ValueError as exc:
            raise SmsError(str(exc)) from None
        body = self.render(template, variables)
        key = idempotency_key or f"auto:{uuid.uuid4().hex}"
        existing = outbox.id_for_key(self.db, key)
        if existing is not None:
            return existing
        row = self._row(number, body, template, variables, category, key, session_id)
        row["preferred_provider"] = provider
        outbox.insert_many(self.db, [row])
        msg_id = outbox.id_for_key(self.db, key)
        assert msg_id is not None
        if row["status"] == "queued":
            self.platform.bus.emit(SmsQueued(id=msg_id, template=template, category=category,
                                             to=mask_phone(number), parts=row["parts"]))
        else:
            self.platform.bus.emit(SmsFailed(id=msg_id, template=template, error=row["error"]))
        return msg_id

    def _row(self, number: str, body: str, template: str | None, variables: dict[str, Any], category: str,
             key: str, session_id: str | None) -> dict[str, Any]:
        now = self.clock.now()
        pv = self.preview(body)
        if pv.parts > encoding.MAX_PARTS:
            raise SmsError(f"短信过长：需要 {pv.parts} 条，最多 {encoding.MAX_PARTS} 条")
        status, error, deferred, next_at = "queued", None, None, now
        if category in policy.OPT_OUT_HONOURED and self.suppressions.contains(number):
            status, error = "failed", "opted_out"
        elif not policy.take_daily_quota(self.store, self.clock, self.config, number, category,
                                         self.platform.settings.secret_key):
            status, error = "failed", "daily_cap"
        else:
            quiet = policy.quiet_until(self.clock, self.config, category)
            if quiet is not None:
                deferred, next_at = "quiet_hours", quiet
        return {
            "idempotency_key": key, "template": template, "recipient": number, "text": pv.text,
            "variables": {k: str(v) for k, v in variables.items()}, "category": category,
            "priority": PRIORITY[category], "encoding": pv.encoding, "parts": pv.parts, "status": status,
            "attempts": 0, "next_attempt_at": next_at, "expires_at": now + self._lifetime(category, variables),
            "error": error, "deferred_reason": deferred, "session_id": session_id, "created_at": now,
            "failed_at": now if status == "failed" else None, "preferred_provider": None,
        }

    def _lifetime(self, category: str, variables: dict[str, Any]) -> timedelta:
        if category == "otp":
            try:
                return timedelta(minutes=int(variables.get("minutes", 10)))
            except (TypeError, ValueError):
                return timedelta(minutes=10)
        if category == "reply":
            return timedelta(hours=6)
        return timedelta(hours=self.config.expiry_hours)

    def send_text(self, to: str, text: str, *, category: str = "reply", idempotency_key: str | None = None,
                  session_id: str | None = None, provider: str | None = None) -> int:
        """A free-text message (replies, agent messages) through the `free_text` template."""
        return self.send(to, "free_text", {"text": text}, category=category, idempotency_key=idempotency_key,
                         session_id=session_id, provider=provider)

    def bulk(self, template: str, recipients: Iterable[tuple[str, dict[str, Any]]], *, category: str = "notice",
             batch_id: str, common: dict[str, Any] | None = None, chunk: int = 1000,
             progress: Callable[[int], None] | None = None) -> BulkReport:
        """Queue one message per (number, variables); the key `bulk:<batch_id>:<number>` makes a
        re-run of the same batch add nothing. Bad lines are reported, the rest still go."""
        policy.check_category(category)
        view = self.templates.require(template)
        report = BulkReport()
        rows: list[dict[str, Any]] = []

        def flush() -> None:
            inserted = outbox.insert_many(self.db, rows)
            report.queued += inserted
            report.duplicates += len(rows) - inserted
            if progress:
                progress(len(rows))
            rows.clear()

        for line, (raw, own) in enumerate(recipients, start=1):
            try:
                number = normalize(raw)
                values = {**(common or {}), **own}
                body = render(view, values)
                rows.append(self._row(number, body, template, values, category, f"bulk:{batch_id}:{number}", None))
                report.parts += rows[-1]["parts"]
            except (SmsError, TemplateError) as exc:
                report.rejected.append((line, str(exc)))
                if progress:
                    progress(1)
            if len(rows) >= chunk:
                flush()
        flush()
        self.platform.bus.emit(SmsQueued(batch=batch_id, template=template, count=report.queued))
        return report

    # -- status and receipts ----------------------------------------------------------------------

    def status(self, message_id: int) -> dict[str, Any] | None:
        with self.db.session() as s:
            m = s.get(OutboxMessage, message_id)
            if m is None:
                return None
            return {
                "id": m.id, "to": mask_phone(m.recipient), "template": m.template, "category": m.category,
                "status": m.status, "encoding": m.encoding, "parts": m.parts, "attempts": m.attempts,
                "provider": m.provider, "provider_message_id": m.provider_message_id, "error": m.error,
                "deferred_reason": m.deferred_reason, "dlr_status": m.dlr_status, "text": m.text,
                **{k: (getattr(m, k).isoformat() if getattr(m, k) else None)
                   for k in ("created_at", "next_attempt_at", "sent_at", "delivered_at", "failed_at", "dlr_at")},
            }

    def receipt(self, *, state: str, message_id: int | None = None, provider_message_id: str | None = None,
                detail: str = "", provider: str | None = None) -> int | None:
        """Apply a delivery receipt. With `provider` (webhooks), only to a message handed to it."""
        applied = outbox.apply_receipt(self.db, self.clock.now(), message_id=message_id,
                                       provider_message_id=provider_message_id, state=state, detail=detail,
                                       provider=provider)
        if applied is None and provider_message_id:
            # The receipt beat our own record of the provider's id (SMPP answers in microseconds):
            # keep it for the dispatcher to apply right after it marks the message sent.
            self.store.set(f"sms:early-receipt:{provider_message_id}", json.dumps([state, detail]), ttl=3600)
            return None
        if applied is not None and state in ("delivered", "failed", "smsc_rejected"):
            self.platform.bus.emit(SmsDelivered(id=applied, receipt=state) if state == "delivered"
                                   else SmsFailed(id=applied, receipt=state))
        return applied

    def apply_early_receipts(self, provider_message_ids: list[str]) -> int:
        applied = 0
        for pmid in provider_message_ids:
            raw = self.store.get(f"sms:early-receipt:{pmid}")
            if raw:
                state, detail = json.loads(raw)
                self.store.delete(f"sms:early-receipt:{pmid}")
                applied += self.receipt(state=state, provider_message_id=pmid, detail=detail) is not None
        return applied

    def recent(self, limit: int = 50) -> list[dict[str, Any]]:
        with self.db.session() as s:
            rows = s.execute(select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)).scalars()
            return [{"id": m.id, "to": mask_phone(m.recipient), "template": m.template, "status": m.status,
                     "parts": m.parts, "created_at": m.created_at.isoformat()} for m in rows]

    # -- privacy retention ------------------------------------------------------------------------

    def purge(self, days: float | None = None, *, dry_run: bool = False,
              actor: str = "system:sms-retention") -> Any:
        """Blank the texts of finished messages older than `days` (default: the configured retention);
        metadata stays for statistics. Audited unless `dry_run`. Returns a `retention.PurgeReport`."""
        from sms.retention import purge

        report = purge(self.db, self.clock.now(), self.config.retention_days if days is None else days,
                       dry_run=dry_run)
        if not dry_run and (report.outbox or report.inbound):
            self.platform.audit.record(actor=actor, channel="system", action="sms.purge", outcome="ok",
                                       detail={"outbox": report.outbox, "inbound": report.inbound,
                                               "cutoff": report.cutoff.isoformat()})
            self.platform.bus.emit(SmsPurged(outbox=report.outbox, inbound=report.inbound,
                                             cutoff=report.cutoff.isoformat()))
        return report

    # -- opt-out ---------------------------------------------------------------------------------

    def opt_out(self, number: str, keyword: str) -> bool:
        """Put a number on the suppression list (notices are no longer sent to it)."""
        return self.suppressions.add(number, keyword)

    def opt_in(self, number: str) -> bool:
        return self.suppressions.remove(number)

    # -- the inbound log ---------------------------------------------------------------------------

    def log_inbound(self, sender: str, text: str, *, provider: str, action: str,
                    received_at: datetime | None = None) -> int:
        """Log one received message (its text scrubbed of personal numbers) with the action the channel
        took for it; returns its id, to which `link_reply` ties the reply (reply times, GB/T 33358)."""
        now = self.clock.now()
        with self.db.session() as s:
            row = InboundMessage(sender=sender, text=scrub(text)[:1000], provider=provider, action=action,
                                 received_at=received_at or now, handled_at=now)
            s.add(row)
            s.flush()
            inbound_id = row.id
        self.platform.bus.emit(SmsInbound(id=inbound_id, sender=mask_phone(sender), action=action,
                                          provider=provider))
        return inbound_id

    def link_reply(self, inbound_id: int, outbox_id: int) -> None:
        """The reply to an inbound message: its `replied_at` is set when this outbox message is sent."""
        with self.db.session() as s:
            row = s.get(InboundMessage, inbound_id)
            if row is not None:
                row.reply_outbox_id = outbox_id

    # -- dispatcher -------------------------------------------------------------------------------

    @property
    def dispatcher(self) -> Any:
        with self._lock:
            if self._dispatcher is None:
                from sms.dispatcher import Dispatcher
                from sms.providers import build

                providers = {name: build(name, self.platform, self.config) for name in self.config.providers}
                self._dispatcher = Dispatcher(self.platform, self.config, providers)
            return self._dispatcher

    def close(self) -> None:
        if self._dispatcher is not None:
            self._dispatcher.close()
