"""The composition root: one `Platform` per node holds the settings, database, clock, event bus,
state store and audit log, and builds each home's service on first use.

Domain homes expose `build(platform)` in their `wiring` module, named in the registry
(`hotline/homes.py`); the core imports no home. Tests build a Platform with a temporary data dir, a
FakeClock and either store.
"""

from __future__ import annotations

import threading
from functools import cached_property
from typing import TYPE_CHECKING, Any

from core.accounts import Accounts
from core.audit import AuditLog
from core.clock import Clock, SystemClock, set_timezone
from core.db import Database
from core.events import EventBus, make_bus
from core.settings import Settings
from core.state import StateStore, make_store
from hotline import homes
from hotline.config import home_settings

if TYPE_CHECKING:
    from agents.api import AcdApi, AcdDirectory
    from ivr.api import IvrApi
    from knowledge.api import KnowledgeApi
    from qa.api import QaApi
    from recordings.api import RecordingsApi
    from records.api import CodeSender, RecordsApi
    from sms.api import InboundReceiver, SmsApi
    from smschat.api import SmsChatApi
    from switch.api import SwitchApi
    from tickets.api import TicketsApi


def audit_key(settings: Settings) -> str:
    """The audit chain's HMAC key: its own secret; built by hand without one (tests), a key derived
    from the session key so the chain is still keyed."""
    if settings.audit_key:
        return settings.audit_key
    import hashlib

    return hashlib.sha256(b"hotline-audit|" + settings.secret_key.encode()).hexdigest()


class Platform:
    def __init__(self, settings: Settings, *, clock: Clock | None = None,
                 store: StateStore | None = None, bus: EventBus | None = None) -> None:
        homes.checked()  # a typo or a missing module in the registry stops the start here
        self.settings = settings
        # every home's settings, read now: a bad value stops the start naming its variable
        self.home_settings = home_settings(settings)
        set_timezone(settings.timezone)
        self.clock = clock or SystemClock()
        self.db = Database(settings.database_url)
        self.store = store or make_store(settings.redis_url, self.clock)
        self.bus = bus or make_bus(settings.redis_url, settings.node_id, self.clock)
        self.audit = AuditLog(self.db, self.clock, key=audit_key(settings),
                              anchors_path=settings.data_dir / "audit-anchors.log")
        self.accounts = Accounts(self.db, settings.demo_mode, self.clock, audit=self.audit)
        self._services: dict[str, Any] = {}
        self._lock = threading.RLock()

    def service(self, home: str) -> Any:
        """The service object of a home (`knowledge`, `records`, `switch`, `agents`, `sms`, `smschat`, `ivr`, ...) or
        a further service a home registers (`ivr.speech`); built on first use by its wiring module."""
        with self._lock:
            if home not in self._services:
                self._services[home] = homes.build_service(home, self)
            return self._services[home]

    @cached_property
    def knowledge(self) -> KnowledgeApi:
        return self.service("knowledge")

    @cached_property
    def records(self) -> RecordsApi:
        return self.service("records")

    @cached_property
    def switch(self) -> SwitchApi:
        return self.service("switch")

    @cached_property
    def agents(self) -> AcdApi:
        return self.service("agents")

    @property
    def acd_directory(self) -> AcdDirectory:
        """What the ACD reads about centers and hours: the switch's directory, handed over here
        so that the ACD never calls the switch (Switch → ACD only)."""
        return self.switch

    @property
    def code_sender(self) -> CodeSender:
        """How records sends a one-time code or a record summary: the SMS gateway, behind records' own
        port (`records.api.CodeSender`), so that records never imports the gateway."""
        from hotline.adapters import SmsCodeSender

        return SmsCodeSender(lambda: self.sms)

    @cached_property
    def sms(self) -> SmsApi:
        return self.service("sms")

    @cached_property
    def smschat(self) -> SmsChatApi:
        return self.service("smschat")

    @property
    def sms_receiver(self) -> InboundReceiver:
        """Where the SMS gateway hands a message a provider delivered on its own connection (SMPP): the
        conversation channel, handed over here so that the gateway never imports it (sms knows core only)."""
        return self.smschat

    @cached_property
    def tickets(self) -> TicketsApi:
        return self.service("tickets")

    @cached_property
    def ivr(self) -> IvrApi:
        return self.service("ivr")

    @cached_property
    def recordings(self) -> RecordingsApi:
        return self.service("recordings")

    @cached_property
    def qa(self) -> QaApi:
        return self.service("qa")

    def migrate(self) -> None:
        homes.import_models()
        self.db.upgrade(homes.migration_dirs())
        self.audit.ensure_keyed()

    def close(self) -> None:
        for svc in self._services.values():
            # `shutdown()` where a service has one (its `close` may mean something else, e.g. a ticket)
            hook = getattr(svc, "shutdown", None) or getattr(svc, "close", None)
            if callable(hook):
                hook()
        self.bus.close()
        self.store.close()
        self.db.dispose()


def from_env(**overrides: Any) -> Platform:
    return Platform(Settings.from_env(**overrides))


def make_platform(settings: Settings | None = None, **kwargs: Any) -> Platform:
    """The platform factory the `hotline` command puts into the click context (core/clictx.py)."""
    return Platform(settings or Settings.from_env(), **kwargs)


def cli_obj() -> dict[str, Any]:
    """A fresh click `obj` with the platform factory, for invoking a home's CLI group on its own (tests)."""
    from core.clictx import FACTORY_KEY

    return {FACTORY_KEY: make_platform}


if TYPE_CHECKING:
    from web.host import WebHost

    def _contracts_hold(platform: Platform) -> None:
        """Read by the type checker only: the Platform is every home's host, and what each home's
        wiring builds meets that home's contract (`<home>/api.py`)."""
        import agents.wiring
        import ivr.wiring
        import knowledge.wiring
        import qa.wiring
        import recordings.wiring
        import records.wiring
        import sms.wiring
        import smschat.wiring
        import switch.wiring
        import tickets.wiring

        _switch: SwitchApi = switch.wiring.build(platform)
        _agents: AcdApi = agents.wiring.build(platform)
        _knowledge: KnowledgeApi = knowledge.wiring.build(platform)
        _records: RecordsApi = records.wiring.build(platform)
        _tickets: TicketsApi = tickets.wiring.build(platform)
        _sms: SmsApi = sms.wiring.build(platform)
        _smschat: SmsChatApi = smschat.wiring.build(platform)
        _recordings: RecordingsApi = recordings.wiring.build(platform)
        _qa: QaApi = qa.wiring.build(platform)
        _ivr: IvrApi = ivr.wiring.build(platform)
        _web: WebHost = platform
