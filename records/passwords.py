"""Citizens' 6-digit service passwords: the weak-password policy and the hashed store.

Only argon2 hashes are kept (`records_service_passwords` in the platform database). Initial
passwords are never invented by the platform for a real citizen: they are issued at a service
counter (`hotline records issue-password`), shown once, and flagged `must_change`.
"""

from __future__ import annotations

import itertools
import secrets
from datetime import date

from sqlalchemy import select

from core.accounts import check_password, hash_password
from core.clock import Clock
from core.db import Database
from records.models import ServicePassword

COMMON = frozenset({"123456", "654321", "111111", "000000", "123123", "112233", "121212", "520520", "520131",
                    "147258", "147369", "159357", "666666", "888888", "123321", "abcdef"})


def weakness(password: str, *, birth: date | None = None, id_number: str | None = None,
             mobile: str | None = None) -> str | None:
    """Why a new password is refused (a speakable reason), or None when it is acceptable."""
    if len(password) != 6 or not password.isdigit():
        return "查询密码必须是6位数字"
    digits = [int(c) for c in password]
    steps = {b - a for a, b in itertools.pairwise(digits)}
    if len(set(password)) == 1:
        return "密码不能是重复的数字"
    if steps in ({1}, {-1}, {1, -9}, {-1, 9}):
        return "密码不能是连续的数字"
    if password in COMMON or password[:2] * 3 == password or password[:3] * 2 == password or len(set(password)) <= 2:
        return "密码过于简单"
    if birth is not None:
        forms = {birth.strftime("%y%m%d"), birth.strftime("%m%d%y"), birth.strftime("%d%m%y"),
                 birth.strftime("%Y%m%d")[2:], birth.strftime("%Y")[0:2] + birth.strftime("%m%d")}
        mmdd = birth.strftime("%m%d")
        if password in forms or password.startswith(mmdd) or password.endswith(mmdd):
            return "密码不能使用出生日期"
    if id_number and password in (id_number[-7:-1], id_number[-6:]):
        return "密码不能使用身份证号码的一部分"
    if mobile and mobile[-6:] == password:
        return "密码不能使用手机号码的一部分"
    return None


def generate_initial(birth: date | None = None, id_number: str | None = None) -> str:
    """A random initial password that passes the policy (issued at a counter, shown once)."""
    while True:
        candidate = f"{secrets.randbelow(10**6):06d}"
        if weakness(candidate, birth=birth, id_number=id_number) is None:
            return candidate


class PasswordBook:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def get(self, id_number: str) -> ServicePassword | None:
        with self.db.session() as s:
            return s.get(ServicePassword, id_number)

    def check(self, id_number: str, password: str) -> bool | None:
        """True/False, or None when this person has no service password yet."""
        row = self.get(id_number)
        if row is None:
            return None
        return check_password(row.password_hash, password)

    def set(self, id_number: str, password: str, *, source: str, must_change: bool = False) -> None:
        digest = hash_password(password)
        with self.db.session() as s:
            row = s.get(ServicePassword, id_number)
            if row is None:
                s.add(ServicePassword(id_number=id_number, password_hash=digest, must_change=must_change,
                                      source=source, set_at=self.clock.now()))
            else:
                row.password_hash, row.must_change, row.source = digest, must_change, source
                row.set_at = self.clock.now()

    def has(self, id_number: str) -> bool:
        with self.db.session() as s:
            return s.execute(select(ServicePassword.id_number).where(
                ServicePassword.id_number == id_number)).first() is not None
