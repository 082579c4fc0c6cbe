"""The console user as Flask-Login sees it."""

from __future__ import annotations

from core.models import User


class SessionUser:
    """The Flask-Login view of a console user (a detached copy, safe across threads)."""

    def __init__(self, user: User, roles: frozenset[str] | None = None) -> None:
        self.id = user.id
        self.username = user.username
        self.display_name = user.display_name
        self.roles = user.role_set if roles is None else roles  # a scoped token carries fewer
        self.province_scope = user.province_scope
        self.language = user.language
        self.is_authenticated = True
        self.is_active = user.active
        self.is_anonymous = False

    def get_id(self) -> str:
        return str(self.id)

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def is_national(self) -> bool:
        return self.province_scope == "00"

    def can_see_province(self, code: str | None) -> bool:
        return self.is_national or (code is not None and code == self.province_scope)
