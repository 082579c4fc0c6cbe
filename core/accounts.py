"""Console users: password hashing (argon2), authentication, roles, integration tokens."""

from __future__ import annotations

import hashlib
import logging
import secrets
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
    def __init__(self, db: Database, demo_mode: bool, clock: Clock | None = None) -> None:
        self.db = db
        self.demo_mode = demo_mode
        self.clock = clock or SystemClock()

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

    def issue_token(self, user_id: int, name: str) -> str:
        token = "hlt_" + secrets.token_urlsafe(32)
        with self.db.session() as s:
            s.add(ApiToken(user_id=user_id, name=name, created_at=self.clock.now(),
                           token_sha256=hashlib.sha256(token.encode()).hexdigest()))
        return token

    def user_for_token(self, token: str) -> User | None:
        digest = hashlib.sha256(token.encode()).hexdigest()
        with self.db.session() as s:
            row = s.execute(select(ApiToken).where(ApiToken.token_sha256 == digest,
                                                   ApiToken.revoked.is_(False))).scalar_one_or_none()
            if row is None:
                return None
            user = s.get(User, row.user_id)
            return user if self.usable(user) else None


_DUMMY_HASH = hash_password("not-a-real-password")
