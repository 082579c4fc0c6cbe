"""The outbox in the database: atomic claims with a lease, recovery of lost leases, outcomes, receipts.

A claim is one UPDATE ... WHERE id IN (SELECT ... LIMIT n) statement, so two dispatchers never take
the same row: SQLite serialises writers, and on PostgreSQL the sub-select takes `FOR UPDATE SKIP
LOCKED` so concurrent dispatchers skip each other's rows instead of waiting.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, case, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from core.db import Database, table_of
from sms.models import OutboxMessage

T = table_of(OutboxMessage)

# Texts that must not stay in the outbox once the message is out of our hands (sent, failed for
# good, expired): one-time codes and record summaries. The text and variables are blanked and a
# SHA-256 of the text is kept in `variables` (`text_sha256`) so a complaint can still be matched.
SENSITIVE_CATEGORIES = ("otp",)
SENSITIVE_TEMPLATES = ("verification_code", "record_summary")


def text_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def blank_sensitive(conn: Connection, ids: Iterable[int]) -> int:
    """Blank the text of the given rows that carry a code or a record summary; returns rows blanked."""
    ids = list(ids)
    if not ids:
        return 0
    rows = conn.execute(select(T.c.id, T.c.text).where(
        T.c.id.in_(ids), T.c.text != "",
        or_(T.c.category.in_(SENSITIVE_CATEGORIES), T.c.template.in_(SENSITIVE_TEMPLATES)))).all()
    if rows:
        conn.execute(update(T).where(T.c.id == bindparam("_id")).values(text="", variables=bindparam("_vars")),
                     [{"_id": r.id, "_vars": {"text_sha256": text_digest(r.text)}} for r in rows])
    return len(rows)


@dataclass(frozen=True)
class Claimed:
    """A row taken for sending (a detached copy: safe to hand to worker threads)."""

    id: int
    recipient: str
    text: str
    category: str
    encoding: str
    parts: int
    attempts: int
    expires_at: datetime
    preferred_provider: str | None = None

    @property
    def dedup_id(self) -> str:
        """Our stable message id, sent to providers that de-duplicate (same id on every resend)."""
        return f"hl-{self.id}"


def insert_many(db: Database, rows: list[dict]) -> int:
    """Insert outbox rows, skipping idempotency keys already present; returns rows inserted."""
    if not rows:
        return 0
    maker = sqlite_insert if db.is_sqlite else pg_insert
    stmt = maker(T).on_conflict_do_nothing(index_elements=["idempotency_key"]).returning(T.c.id)
    with db.engine.begin() as conn:
        return len(conn.execute(stmt, rows).all())  # rowcount is unreliable for executemany


def id_for_key(db: Database, key: str) -> int | None:
    with db.engine.connect() as conn:
        return conn.execute(select(T.c.id).where(T.c.idempotency_key == key)).scalar()


def expire(db: Database, now: datetime) -> int:
    with db.engine.begin() as conn:
        ids = list(conn.execute(select(T.c.id).where(T.c.status == "queued", T.c.expires_at < now)).scalars())
        if not ids:
            return 0
        result = conn.execute(update(T).where(T.c.id.in_(ids), T.c.status == "queued")
                              .values(status="expired", failed_at=now, error="expired before sending"))
        blank_sensitive(conn, ids)
    return result.rowcount or 0


def recover(db: Database, now: datetime) -> int:
    """Put rows whose dispatcher died (lease ran out while `sending`) back in the queue; the attempt
    is undone, so the next claim picks the same provider and resends with the same id."""
    with db.engine.begin() as conn:
        result = conn.execute(
            update(T).where(T.c.status == "sending", T.c.lease_until < now)
            .values(status="queued", claim_token=None, lease_until=None, attempts=T.c.attempts - 1,
                    next_attempt_at=now, deferred_reason="recovered"))
    return result.rowcount or 0


def claim(db: Database, now: datetime, limit: int, lease_seconds: float) -> tuple[str, list[Claimed]]:
    token = uuid.uuid4().hex
    due = select(T.c.id).where(T.c.status == "queued", T.c.next_attempt_at <= now) \
        .order_by(T.c.priority, T.c.next_attempt_at, T.c.id).limit(limit)
    target: ColumnElement[bool]
    if db.is_sqlite:
        target = T.c.id.in_(due.scalar_subquery())
    else:
        # A materialised CTE runs exactly once; an IN (sub-select) may be re-evaluated by the planner
        # and then lock (and claim) more rows than LIMIT.
        picked = due.with_for_update(skip_locked=True).cte("due").prefix_with("MATERIALIZED")
        target = T.c.id == picked.c.id
    stmt = (update(T).where(target, T.c.status == "queued")
            .values(status="sending", claim_token=token, attempts=T.c.attempts + 1, sending_at=now,
                    lease_until=now + timedelta(seconds=lease_seconds))
            .returning(T.c.id, T.c.recipient, T.c.text, T.c.category, T.c.encoding, T.c.parts,
                       T.c.attempts, T.c.expires_at, T.c.preferred_provider))
    with db.engine.begin() as conn:
        rows = conn.execute(stmt).all()
    claimed = sorted((Claimed(*r) for r in rows), key=lambda c: c.id)
    return token, claimed


def mark_sent(db: Database, token: str, now: datetime, results: list[tuple[int, str, str | None]]) -> None:
    """results: (id, provider, provider_message_id). A receipt that arrived first is kept."""
    if not results:
        return
    stmt = (update(T).where(T.c.id == bindparam("_id"), T.c.claim_token == token)
            .values(status=case((T.c.status == "sending", "sent"), else_=T.c.status),
                    provider=bindparam("_provider"), provider_message_id=bindparam("_pmid"),
                    sent_at=now, claim_token=None, lease_until=None, error=None, deferred_reason=None))
    with db.engine.begin() as conn:
        conn.execute(stmt, [{"_id": i, "_provider": p, "_pmid": m} for i, p, m in results])
        blank_sensitive(conn, [i for i, _, _ in results])


def mark_retry(db: Database, token: str, items: list[tuple[int, str, str | None, datetime]]) -> None:
    """items: (id, error, provider, next_attempt_at)."""
    if not items:
        return
    stmt = (update(T).where(T.c.id == bindparam("_id"), T.c.claim_token == token)
            .values(status="queued", error=bindparam("_error"), provider=bindparam("_provider"),
                    next_attempt_at=bindparam("_next"), claim_token=None, lease_until=None))
    with db.engine.begin() as conn:
        conn.execute(stmt, [{"_id": i, "_error": e, "_provider": p, "_next": n} for i, e, p, n in items])


def mark_failed(db: Database, token: str, now: datetime, items: list[tuple[int, str, str | None]]) -> None:
    """items: (id, error, provider)."""
    if not items:
        return
    stmt = (update(T).where(T.c.id == bindparam("_id"), T.c.claim_token == token)
            .values(status="failed", error=bindparam("_error"), provider=bindparam("_provider"),
                    failed_at=now, claim_token=None, lease_until=None))
    with db.engine.begin() as conn:
        conn.execute(stmt, [{"_id": i, "_error": e, "_provider": p} for i, e, p in items])
        blank_sensitive(conn, [i for i, _, _ in items])


def release(db: Database, token: str, items: list[tuple[int, datetime, str]]) -> None:
    """Give rows back unsent (rate limit, quiet hours): the attempt does not count."""
    if not items:
        return
    stmt = (update(T).where(T.c.id == bindparam("_id"), T.c.claim_token == token)
            .values(status="queued", attempts=T.c.attempts - 1, next_attempt_at=bindparam("_next"),
                    deferred_reason=bindparam("_why"), claim_token=None, lease_until=None))
    with db.engine.begin() as conn:
        conn.execute(stmt, [{"_id": i, "_next": n, "_why": w} for i, n, w in items])


# Kannel DLR type bits and what they mean for the outbox.
DLR_STATUS = {1: "delivered", 2: "failed", 4: "buffered", 8: "smsc_accepted", 16: "smsc_rejected"}


def apply_receipt(db: Database, now: datetime, *, message_id: int | None = None,
                  provider_message_id: str | None = None, state: str, detail: str = "",
                  provider: str | None = None) -> int | None:
    """Record a delivery receipt. `state`: delivered | failed | buffered | smsc_accepted | smsc_rejected.
    Returns the outbox id it applied to, or None when no message matches. With `provider`, a message
    that was not handed to that provider (still queued, or sent through another) does not match, so
    a forged receipt cannot mark an unsent message delivered."""
    cond = T.c.id == message_id if message_id is not None else T.c.provider_message_id == provider_message_id
    values: dict = {"dlr_status": state, "dlr_at": now}
    if state == "delivered":
        values.update(status="delivered", delivered_at=now)
    elif state in ("failed", "smsc_rejected"):
        values.update(status="failed", failed_at=now, error=f"receipt: {state} {detail}".strip())
    with db.engine.begin() as conn:
        row = conn.execute(select(T.c.id, T.c.status, T.c.provider).where(cond)).first()
        if row is None:
            return None
        if provider is not None and (row.status in ("queued", "expired")
                                     or (row.provider is not None and row.provider != provider)):
            return None
        if row.status in ("delivered", "expired") or (row.status == "failed" and state != "delivered"):
            values = {"dlr_status": state, "dlr_at": now}
        conn.execute(update(T).where(T.c.id == row.id).values(**values))
        return int(row.id)


def counts(db: Database) -> dict[str, int]:
    with db.engine.connect() as conn:
        return {s: int(n) for s, n in conn.execute(select(T.c.status, func.count()).group_by(T.c.status))}


def next_due(db: Database) -> datetime | None:
    """When the earliest queued message becomes due, or the earliest lease runs out."""
    with db.engine.connect() as conn:
        queued = conn.execute(select(func.min(T.c.next_attempt_at)).where(T.c.status == "queued")).scalar()
        leased = conn.execute(select(func.min(T.c.lease_until)).where(T.c.status == "sending")).scalar()
    times = [t for t in (queued, leased) if t is not None]
    return min(times) if times else None
