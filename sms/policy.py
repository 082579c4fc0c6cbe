"""When a message may go: opt-out (suppression list), quiet hours, per-recipient daily caps.

| category  | opt-out honoured | quiet hours | daily cap         |
| otp       | no               | no          | daily_cap_otp     |
| reply     | no               | no          | daily_cap_reply   |
| essential | no               | yes         | daily_cap_notice  |
| notice    | yes              | yes         | daily_cap_notice  |
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from core.clock import Clock, china_now
from core.masking import keyed_hash
from core.state import StateStore
from sms.config import SmsConfig
from sms.models import CATEGORIES, Suppression

OPT_OUT_HONOURED = frozenset({"notice"})
QUIET_HOURS_APPLY = frozenset({"notice", "essential"})


def check_category(category: str) -> None:
    if category not in CATEGORIES:
        raise ValueError(f"未知短信类别 {category!r}（可选: {', '.join(CATEGORIES)}）")


def in_quiet_hours(when_china: datetime, cfg: SmsConfig) -> bool:
    hour = when_china.hour
    if cfg.quiet_start == cfg.quiet_end:
        return False
    if cfg.quiet_start > cfg.quiet_end:  # spans midnight, e.g. 21:00-08:00
        return hour >= cfg.quiet_start or hour < cfg.quiet_end
    return cfg.quiet_start <= hour < cfg.quiet_end


def quiet_until(clock: Clock, cfg: SmsConfig, category: str) -> datetime | None:
    """The end of the quiet period (UTC) if a message of this category must wait, else None."""
    if category not in QUIET_HOURS_APPLY:
        return None
    now = china_now(clock)
    if not in_quiet_hours(now, cfg):
        return None
    end = now.replace(hour=cfg.quiet_end, minute=0, second=0, microsecond=0)
    if end <= now:
        end += timedelta(days=1)
    return end.astimezone(UTC)


def cap_for(category: str, cfg: SmsConfig) -> int:
    return {"otp": cfg.daily_cap_otp, "reply": cfg.daily_cap_reply}.get(category, cfg.daily_cap_notice)


def take_daily_quota(store: StateStore, clock: Clock, cfg: SmsConfig, number: str, category: str,
                     secret: str) -> bool:
    """Count one message against the recipient's cap for today (Beijing date); False when over.
    The counter's key names the number by a keyed hash, never in clear."""
    group = category if category in ("otp", "reply") else "notice"
    day = china_now(clock).strftime("%Y%m%d")
    count = store.incr(f"sms:cap:{group}:{keyed_hash(secret, 'sms-cap', number)}:{day}", 1, ttl=2 * 86400)
    return count <= cap_for(category, cfg)


class SuppressionList:
    def __init__(self, db: object, clock: Clock) -> None:
        self.db, self.clock = db, clock

    def add(self, number: str, keyword: str) -> bool:
        with self.db.session() as s:  # type: ignore[attr-defined]
            if s.get(Suppression, number) is not None:
                return False
            s.add(Suppression(number=number, keyword=keyword[:16], created_at=self.clock.now()))
            return True

    def remove(self, number: str) -> bool:
        with self.db.session() as s:  # type: ignore[attr-defined]
            row = s.get(Suppression, number)
            if row is None:
                return False
            s.delete(row)
            return True

    def contains(self, number: str) -> bool:
        with self.db.session() as s:  # type: ignore[attr-defined]
            return s.get(Suppression, number) is not None

    def among(self, numbers: list[str]) -> set[str]:
        if not numbers:
            return set()
        with self.db.session() as s:  # type: ignore[attr-defined]
            return set(s.execute(select(Suppression.number).where(Suppression.number.in_(numbers))).scalars())
