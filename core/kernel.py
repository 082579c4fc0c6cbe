"""What every home may take from the node it runs in: settings, clock, database, state store,
event bus, audit log and accounts. A home's own `<home>/api.py` extends this `Kernel` with the
other homes it calls (`<Home>Host`); the composition root's `Platform` satisfies them all."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from core.accounts import Accounts
    from core.audit import AuditLog
    from core.clock import Clock
    from core.db import Database
    from core.events import EventBus
    from core.settings import Settings
    from core.state import StateStore


class Kernel(Protocol):
    @property
    def settings(self) -> Settings: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def db(self) -> Database: ...

    @property
    def store(self) -> StateStore: ...

    @property
    def bus(self) -> EventBus: ...

    @property
    def audit(self) -> AuditLog: ...

    @property
    def accounts(self) -> Accounts: ...
