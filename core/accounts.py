"""Console users: password hashing (argon2), authentication, roles, integration tokens."""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select

from core.clock import Clock, SystemClock
from core.db import Database
from core.models import ROLES, ApiToken, Setting, User

DEMO_PASSWORD = "hotline-demo"

log = logging.getLogger(__name__)

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


class AuthError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Accounts:
    def __init__(self, db: Database, demo_mode: bool, clock: Clock | None = None, audit: Any = None) -> None:
        self.db = db
        self.demo_mode = demo_mode
        self.clock = clock or SystemClock()
        self.audit = audit  # core.audit.AuditLog: token issue and revoke are audited

    def create_user(self, username: str, password: str, roles: list[str], *, display_name: str = "",
                    province_scope: str = "00", is_demo: bool = False) -> User:
        unknown = set(roles) - set(ROLES)
        if unknown:
            raise ValueError(f"unknown roles: {sorted(unknown)}")
        with self.db.session() as s:
            user = User(username=username, display_name=display_name or username,
                        password_hash=hash_password(password), roles=",".join(roles),
                        province_scope=province_scope, is_demo=is_demo, created_at=self.clock.now())
            s.add(user)
            s.flush()
            return user

    def get(self, user_id: int) -> User | None:
        with self.db.session() as s:
            return s.get(User, user_id)

    def by_username(self, username: str) -> User | None:
        with self.db.session() as s:
            return s.execute(select(User).where(User.username == username)).scalar_one_or_none()

    def authenticate(self, username: str, password: str) -> User:
        """Check a login; demo users and the demo password are refused outside demo mode."""
        user = self.by_username(username)
        if user is None or not user.active:
            check_password(_DUMMY_HASH, password)  # same cost whether or not the user exists
            raise AuthError("invalid")
        if not self.demo_mode and (user.is_demo or password == DEMO_PASSWORD):
            raise AuthError("demo_disabled")
        if not check_password(user.password_hash, password):
            raise AuthError("invalid")
        return user

    def usable(self, user: User | None) -> bool:
        """Whether a session or token of this user may act now: active, and not a demo user
        outside demo mode (sessions and tokens minted in demo mode die with it)."""
        return bool(user is not None and user.active and (self.demo_mode or not user.is_demo))

    def note_demo_mode(self, audit: Any) -> bool:
        """At start-up: remember the demo mode and, when it was just turned off, log and audit it.
        Returns True when this start turned demo mode off."""
        now = "1" if self.demo_mode else "0"
        with self.db.session() as s:
            row = s.get(Setting, "core.demo_mode")
            before = row.value if row is not None else None
            demo_users = s.execute(select(func.count()).select_from(User).where(User.is_demo.is_(True))).scalar_one()
            if row is None:
                s.add(Setting(key="core.demo_mode", value=now))
            else:
                row.value = now
        turned_off = now == "0" and (before == "1" or (before is None and demo_users > 0))
        if turned_off:
            log.warning("demo mode is off: the %d demo users' logins, sessions and tokens are refused", demo_users)
            audit.record(actor="system", channel="system", action="demo.disabled", outcome="ok",
                         detail={"demo_users": int(demo_users)})
        return turned_off

    # console sessions: a per-user generation that logout and a password change move on, so a
    # signed session cookie stops working at once (the cookie carries the generation it was made in)
    @staticmethod
    def _gen_key(user_id: int) -> str:
        return f"core.session_gen:{int(user_id)}"

    def session_generation(self, user_id: int) -> str:
        with self.db.session() as s:
            row = s.get(Setting, self._gen_key(user_id))
            return row.value if row is not None else "0"

    def end_sessions(self, user_id: int) -> str:
        """Invalidate every console session of the user; returns the new generation."""
        new = secrets.token_hex(8)
        with self.db.session() as s:
            row = s.get(Setting, self._gen_key(user_id))
            if row is None:
                s.add(Setting(key=self._gen_key(user_id), value=new))
            else:
                row.value = new
        return new

    def set_password(self, user_id: int, password: str) -> None:
        with self.db.session() as s:
            user = s.get(User, user_id)
            if user is None:
                raise KeyError(user_id)
            user.password_hash = hash_password(password)
            user.is_demo = False
        self.end_sessions(user_id)
        self.revoke_all_tokens(user_id, actor="system", why="password_changed")

    # integration tokens ---------------------------------------------------------------------
    DEFAULT_TOKEN_DAYS = 90

    def _audit(self, action: str, subject: str, actor: str, detail: dict[str, Any]) -> None:
        if self.audit is not None:
            channel = actor.split(":", 1)[0] if actor.split(":", 1)[0] in ("cli", "api", "console") else "system"
            self.audit.record(actor=actor, channel=channel, action=action, outcome="ok", subject=subject,
                              detail=detail)

    def issue_token(self, user_id: int, name: str, *, days: float | None = None,
                    scopes: list[str] | None = None, actor: str = "system") -> str:
        """A new token (shown once). It expires after `days` (default 90; 0 = never) and, with
        `scopes`, carries only those of the user's roles. Audited as `token.issue`."""
        scopes = sorted({s for s in (scopes or []) if s})
        unknown = set(scopes) - set(ROLES)
        if unknown:
            raise ValueError(f"unknown scopes: {sorted(unknown)}")
        days = self.DEFAULT_TOKEN_DAYS if days is None else float(days)
        now = self.clock.now()
        token = "hlt_" + secrets.token_urlsafe(32)
        with self.db.session() as s:
            if s.get(User, user_id) is None:
                raise KeyError(user_id)
            row = ApiToken(user_id=user_id, name=name[:100], created_at=now, scopes=",".join(scopes),
                           expires_at=now + timedelta(days=days) if days > 0 else None,
                           token_sha256=hashlib.sha256(token.encode()).hexdigest())
            s.add(row)
            s.flush()
            token_id = row.id
        self._audit("token.issue", f"user:{user_id}", actor, {"token_id": token_id, "name": name[:100],
                                                                "days": days, "scopes": scopes})
        return token

    def tokens(self, user_id: int) -> list[dict[str, Any]]:
        now = self.clock.now()
        with self.db.session() as s:
            rows = s.execute(select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id)).scalars()
            return [{"id": r.id, "name": r.name, "created_at": r.created_at, "expires_at": r.expires_at,
                     "scopes": [x for x in r.scopes.split(",") if x], "revoked": r.revoked,
                     "revoked_at": r.revoked_at, "last_used_at": r.last_used_at,
                     "active": not r.revoked and (r.expires_at is None or r.expires_at > now)} for r in rows]

    def revoke_token(self, token_id: int, *, actor: str, user_id: int | None = None) -> bool:
        """Revoke one token (of `user_id`, when given); audited as `token.revoke`."""
        with self.db.session() as s:
            row = s.get(ApiToken, token_id)
            if row is None or (user_id is not None and row.user_id != user_id):
                raise KeyError(token_id)
            if row.revoked:
                return False
            row.revoked, row.revoked_at, row.revoked_by = True, self.clock.now(), actor[:100]
            owner = row.user_id
        self._audit("token.revoke", f"user:{owner}", actor, {"token_id": token_id})
        return True

    def revoke_all_tokens(self, user_id: int, *, actor: str, why: str) -> int:
        with self.db.session() as s:
            rows = list(s.execute(select(ApiToken).where(ApiToken.user_id == user_id,
                                                         ApiToken.revoked.is_(False))).scalars())
            for row in rows:
                row.revoked, row.revoked_at, row.revoked_by = True, self.clock.now(), actor[:100]
        if rows:
            self._audit("token.revoke", f"user:{user_id}", actor, {"tokens": [r.id for r in rows], "why": why})
        return len(rows)

    def token_info(self, token: str) -> tuple[User, frozenset[str]] | None:
        """The user a token acts for and the roles it carries, or None (unknown, revoked, expired,
        or its user may not act now)."""
        digest = hashlib.sha256(token.encode()).hexdigest()
        now = self.clock.now()
        with self.db.session() as s:
            row = s.execute(select(ApiToken).where(ApiToken.token_sha256 == digest,
                                                   ApiToken.revoked.is_(False))).scalar_one_or_none()
            if row is None or (row.expires_at is not None and row.expires_at <= now):
                return None
            user = s.get(User, row.user_id)
            if user is None or not self.usable(user):
                return None
            if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
                row.last_used_at = now
            scopes = frozenset(x for x in row.scopes.split(",") if x)
            roles = user.role_set & scopes if scopes else user.role_set
            return user, frozenset(roles)

    def user_for_token(self, token: str) -> User | None:
        info = self.token_info(token)
        return info[0] if info else None


_DUMMY_HASH = hash_password("not-a-real-password")
