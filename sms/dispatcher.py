"""The dispatcher: takes due messages from the outbox and hands them to providers.

One pass (`run_once`): expire stale messages, recover lost leases, claim a batch, apply the
per-message checks that may have changed since queueing (opt-out, quiet hours), take a rate-limit
token for the chosen provider, send in a small thread pool, and write the outcomes. The provider of
attempt n is `providers[(n - 1) % len(providers)]`: a transient failure fails over to the next one,
and a resumed (recovered) message goes to the same provider with the same id.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, update

from core.db import table_of
from core.events import DomainEvent
from core.masking import mask_phone
from sms import outbox, policy
from sms.api import SmsHost
from sms.config import SmsConfig
from sms.events import SmsFailed, SmsSent
from sms.models import InboundMessage
from sms.providers import Outgoing, Provider, ProviderError

log = logging.getLogger(__name__)


@dataclass
class PassReport:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    deferred: int = 0
    expired: int = 0
    recovered: int = 0
    rate_limited: bool = False
    sent_ids: list[int] = field(default_factory=list)

    def add(self, other: PassReport) -> None:
        for name in ("claimed", "sent", "retried", "failed", "deferred", "expired", "recovered"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.rate_limited = self.rate_limited or other.rate_limited


class RateLimiter:
    """Messages per second per provider, counted in the shared state store (so several nodes
    together stay under a provider's limit)."""

    def __init__(self, store: Any, clock: Any, config: SmsConfig) -> None:
        self.store, self.clock, self.config = store, clock, config

    def try_take(self, provider: str) -> bool:
        second = int(self.clock.time())
        used = self.store.incr(f"sms:rate:{provider}:{second}", 1, ttl=5)
        return used <= self.config.rate_for(provider)


class Dispatcher:
    def __init__(self, platform: SmsHost, config: SmsConfig, providers: dict[str, Provider],
                 on_event: Callable[[str, dict], None] | None = None) -> None:
        self.platform = platform
        self.db = platform.db
        self.clock = platform.clock
        self.config = config
        self.providers = providers
        self.order = [p for p in config.providers if p in providers]
        self.limiter = RateLimiter(platform.store, platform.clock, config)
        self.suppressions = policy.SuppressionList(platform.db, platform.clock)
        self._pool = ThreadPoolExecutor(max_workers=max(config.workers, 1), thread_name_prefix="sms-send")
        self.on_event = on_event

    def provider_for(self, attempts: int, preferred: str | None = None) -> str:
        """Attempt n goes to the n-th provider, counting from the preferred one (a reply goes back
        through the gateway its question came from) or from the first."""
        if not self.order:
            raise RuntimeError("no SMS provider configured")
        start = self.order.index(preferred) if preferred in self.order else 0
        return self.order[(start + max(attempts, 1) - 1) % len(self.order)]

    def backoff(self, attempts: int) -> float:
        return min(self.config.backoff_base * 2 ** max(attempts - 1, 0), self.config.backoff_max)

    def run_once(self, limit: int | None = None) -> PassReport:
        now = self.clock.now()
        report = PassReport(expired=outbox.expire(self.db, now), recovered=outbox.recover(self.db, now))
        token, rows = outbox.claim(self.db, now, limit or self.config.batch_size, self.config.lease_seconds)
        report.claimed = len(rows)
        if not rows:
            return report
        opted_out = self.suppressions.among([r.recipient for r in rows if r.category in policy.OPT_OUT_HONOURED])
        to_send: list[tuple[outbox.Claimed, str]] = []
        release: list[tuple[int, datetime, str]] = []
        failed: list[tuple[int, str, str | None]] = []
        next_second = datetime.fromtimestamp(math.floor(self.clock.time()) + 1, now.tzinfo)
        for row in rows:
            if row.expires_at < now:
                failed.append((row.id, "expired before sending", None))
                continue
            if row.recipient in opted_out:
                failed.append((row.id, "opted_out", None))
                continue
            quiet = policy.quiet_until(self.clock, self.config, row.category)
            if quiet is not None:
                release.append((row.id, quiet, "quiet_hours"))
                continue
            name = self.provider_for(row.attempts, row.preferred_provider)
            if not self.limiter.try_take(name):
                release.append((row.id, next_second, "rate_limit"))
                report.rate_limited = True
                continue
            to_send.append((row, name))
        outbox.release(self.db, token, release)
        outbox.mark_failed(self.db, token, now, failed)
        report.deferred, report.failed = len(release), len(failed)

        results = list(self._pool.map(lambda item: self._send_one(item, token), to_send))
        done = self.clock.now()
        sent: list[tuple[int, str, str | None]] = []
        retry: list[tuple[int, str, str | None, datetime]] = []
        given_up: list[tuple[int, str, str | None]] = []
        unrecorded: list[tuple[int, str, str | None]] = []
        for (row, name), (ok, value, permanent, recorded) in zip(to_send, results, strict=True):
            if ok:
                sent.append((row.id, name, value))
                if not recorded:
                    unrecorded.append((row.id, name, value))
            elif permanent or row.attempts >= self.config.max_attempts:
                given_up.append((row.id, value or "failed", name))
                self._emit(SmsFailed(id=row.id, provider=name, error=value))
            else:
                retry.append((row.id, value or "error", name, done + timedelta(seconds=self.backoff(row.attempts))))
        outbox.mark_sent(self.db, token, done, unrecorded)
        outbox.mark_retry(self.db, token, retry)
        outbox.mark_failed(self.db, token, done, given_up)
        report.sent, report.retried, report.failed = len(sent), len(retry), report.failed + len(given_up)
        report.sent_ids = [i for i, _, _ in sent]
        sent_ids = set(report.sent_ids)
        self._mark_replied([row.id for row, _ in to_send if row.id in sent_ids and row.category == "reply"], done)
        for i, name, pmid in sent:
            self._emit(SmsSent(id=i, provider=name, provider_message_id=pmid))
        early = [pmid for _, name, pmid in sent
                 if pmid and getattr(self.providers[name], "receipts_by_provider_id", False)]
        if early:
            self.platform.sms.apply_early_receipts(early)
        return report

    def _send_one(self, item: tuple[outbox.Claimed, str], token: str) -> tuple[bool, str | None, bool, bool]:
        """Send one message: (ok, provider id or error, permanent, acceptance recorded). A provider's
        acceptance is written at once, so a crash later in the pass re-sends at most the messages
        that were at the provider at that moment (one per sender worker), not the whole claim."""
        row, name = item
        msg = Outgoing(id=row.id, to=row.recipient, text=row.text, encoding=row.encoding, dedup_id=row.dedup_id)
        try:
            pmid = self.providers[name].send(msg)
        except ProviderError as exc:
            log.warning("sms %s to %s via %s: %s", row.id, mask_phone(row.recipient), name, exc)
            return False, str(exc)[:500], exc.permanent, False
        except Exception as exc:  # noqa: BLE001 - any provider fault is a transient failure
            log.warning("sms %s to %s via %s failed: %r", row.id, mask_phone(row.recipient), name, exc)
            return False, repr(exc)[:500], False, False
        try:
            outbox.mark_sent(self.db, token, self.clock.now(), [(row.id, name, pmid)])
        except Exception:
            log.exception("recording sms %s as sent failed", row.id)
            return True, pmid, False, False
        return True, pmid, False, True

    def _mark_replied(self, outbox_ids: list[int], when: datetime) -> None:
        if not outbox_ids:
            return
        t = table_of(InboundMessage)
        stmt = (update(t).where(t.c.reply_outbox_id == bindparam("_oid"), t.c.replied_at.is_(None))
                .values(replied_at=when))
        with self.db.engine.begin() as conn:
            conn.execute(stmt, [{"_oid": i} for i in outbox_ids])

    def _emit(self, event: DomainEvent) -> None:
        try:
            self.platform.bus.emit(event)
        except Exception:
            log.exception("publishing %s failed", event.type)

    def drain(self, *, max_seconds: float | None = None, sleep: Callable[[float], None] = time.sleep,
              progress: Callable[[PassReport], None] | None = None) -> PassReport:
        """Run passes until nothing is due (waiting out rate limits); for the CLI and tests."""
        total = PassReport()
        start = time.monotonic()
        while True:
            report = self.run_once()
            total.add(report)
            if progress:
                progress(report)
            if max_seconds is not None and time.monotonic() - start > max_seconds:
                return total
            if report.rate_limited:
                sleep(max(0.01, math.floor(self.clock.time()) + 1 - self.clock.time()))
                continue
            if report.claimed == 0:
                due = outbox.next_due(self.db)
                if due is None:
                    return total
                wait = (due - self.clock.now()).total_seconds()
                if wait > 2.0:  # only later work (back-off, quiet hours) is left
                    return total
                sleep(max(wait, 0.01))

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        for provider in self.providers.values():
            try:
                provider.close()
            except Exception:
                log.exception("closing provider %s failed", provider.name)
