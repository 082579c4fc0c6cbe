"""The caller blocklist: numbers blocked (harassment, abuse) nationally or for one province, each with
a reason and an expiry, every change audited. A blocked caller hears a neutral message and the call
ends before any menu; nothing tells them why."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select

from core import phone, provinces
from core.errors import Refusal
from core.masking import mask_phone
from switch.api import SwitchHost
from switch.events import BlockAdded, BlockLifted
from switch.models import BlockRow

MAX_DAYS = 365


class BlockError(Refusal, ValueError):
    """A block refused: `code` is stable (invalid_number, invalid_scope, no_reason, bad_expiry, unknown)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code=code)


@dataclass(frozen=True)
class Block:
    id: int
    number_masked: str
    scope: str  # "*" national, or a province code
    reason: str
    created_by: str
    created_at: datetime
    expires_at: datetime
    lifted_at: datetime | None = None

    def to_dict(self) -> dict:
        return {"id": self.id, "number": self.number_masked, "scope": self.scope,
                "scope_name": "全国" if self.scope == "*" else provinces.name_of(self.scope), "reason": self.reason,
                "created_by": self.created_by, "created_at": self.created_at.isoformat(),
                "expires_at": self.expires_at.isoformat(),
                "lifted_at": self.lifted_at.isoformat() if self.lifted_at else None}


def normalise(raw: str | None) -> str | None:
    """One form per number (E.164 for Chinese numbers, else the digits), or None when unusable."""
    info = phone.try_parse(raw)
    if info is not None:
        return info.e164
    digits = "".join(ch for ch in (raw or "") if ch.isdigit())
    return digits if len(digits) >= 5 else None


def _to_block(row: BlockRow) -> Block:
    return Block(row.id, mask_phone(row.number), row.scope, row.reason, row.created_by, row.created_at,
                 row.expires_at, row.lifted_at)


class Blocklist:
    #: `blocked()` runs on every call: it answers from a snapshot of the blocks in force, read again
    #: after this long. A change on this node clears the snapshot at once; one on another node does by
    #: its `switch.block.*` event (Redis bus), or at the latest after this long.
    SNAPSHOT_S = 10.0

    def __init__(self, platform: SwitchHost) -> None:
        self.platform = platform
        self._snapshot: dict[str, list[Block]] | None = None
        self._snapshot_until = 0.0
        self._lock = threading.Lock()
        platform.bus.subscribe(lambda event: self.forget(), ("switch.block.",))

    def forget(self) -> None:
        """Drop the snapshot: the next `blocked()` reads the blocks in force again."""
        with self._lock:
            self._snapshot = None

    def _in_force(self) -> dict[str, list[Block]]:
        now = self.platform.clock.time()
        with self._lock:
            if self._snapshot is not None and now < self._snapshot_until:
                return self._snapshot
        by_number: dict[str, list[Block]] = {}
        with self.platform.db.session() as s:
            rows = s.execute(select(BlockRow).where(BlockRow.lifted_at.is_(None),
                                                    BlockRow.expires_at > self.platform.clock.now())
                             .order_by(BlockRow.id)).scalars()
            for row in rows:
                by_number.setdefault(row.number, []).append(_to_block(row))
        with self._lock:
            self._snapshot, self._snapshot_until = by_number, now + self.SNAPSHOT_S
        return by_number

    def _audit(self, action: str, actor: str, row: BlockRow, session: Any, **detail: Any) -> None:
        self.platform.audit.record(actor=actor, channel="console", action=action, outcome="ok",
                                   subject=mask_phone(row.number), session=session,
                                   detail={"block_id": row.id, "scope": row.scope, **detail})

    def block(self, number: str, *, reason: str, actor: str, scope: str = "*", days: float | None = None,
              until: datetime | None = None) -> Block:
        """Block `number` nationally (`scope="*"`) or for one province, for `days` or `until`."""
        normal = normalise(number)
        if normal is None:
            raise BlockError("invalid_number", "无法识别的电话号码")
        if scope != "*" and (provinces.lookup(scope) is None):
            raise BlockError("invalid_scope", f"没有省份代码{scope}")
        reason = (reason or "").strip()
        if not reason:
            raise BlockError("no_reason", "请填写屏蔽原因")
        now = self.platform.clock.now()
        expires = until if until is not None else now + timedelta(days=float(days or 0))
        if expires <= now or expires > now + timedelta(days=MAX_DAYS):
            raise BlockError("bad_expiry", f"屏蔽期限须在现在之后、{MAX_DAYS}天之内")
        with self.platform.db.session() as s:
            row = BlockRow(number=normal, scope=scope, reason=reason[:500], created_by=actor, created_at=now,
                           expires_at=expires)
            s.add(row)
            s.flush()
            self._audit("switch.block", actor, row, s, reason=row.reason, expires_at=expires.isoformat())
            block = _to_block(row)
        self.forget()
        self.platform.bus.emit(BlockAdded.of(block))
        return block

    def lift(self, block_id: int, *, actor: str) -> Block:
        with self.platform.db.session() as s:
            row = s.get(BlockRow, block_id)
            if row is None or row.lifted_at is not None:
                raise BlockError("unknown", f"没有生效中的屏蔽记录{block_id}")
            row.lifted_at, row.lifted_by = self.platform.clock.now(), actor
            self._audit("switch.unblock", actor, row, s)
            block = _to_block(row)
        self.forget()
        self.platform.bus.emit(BlockLifted.of(block))
        return block

    def active(self, scope: str | None = None) -> list[Block]:
        """Blocks in force now (for one scope, national ones included, or all)."""
        now = self.platform.clock.now()
        with self.platform.db.session() as s:
            q = select(BlockRow).where(BlockRow.lifted_at.is_(None), BlockRow.expires_at > now)
            if scope is not None:
                q = q.where(or_(BlockRow.scope == "*", BlockRow.scope == scope))
            return [_to_block(r) for r in s.execute(q.order_by(BlockRow.id)).scalars()]

    def blocked(self, caller: str | None, provinces_of_call: tuple[str | None, ...] = ()) -> Block | None:
        """The block that stops this caller now: a national one, or one for any province the call
        belongs to (the entry center, the number's location). None when free to call."""
        normal = normalise(caller)
        if normal is None:
            return None
        scopes = {"*", *(p for p in provinces_of_call if p)}
        now = self.platform.clock.now()
        return next((b for b in self._in_force().get(normal, ()) if b.scope in scopes and b.expires_at > now), None)
