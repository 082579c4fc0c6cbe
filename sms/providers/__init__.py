"""Provider adapters behind one interface. Each takes an `Outgoing` message and returns its own
message id, or raises `ProviderError` (transient: retry, maybe on another provider; permanent:
the message fails). `dedup_id` is ours and stable across resends: providers that can de-duplicate
(or carry it back in receipts) use it."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Protocol

from sms import encoding
from sms.api import SmsHost
from sms.encoding import Part


@dataclass(frozen=True)
class Outgoing:
    id: int
    to: str  # E.164
    text: str  # signed
    encoding: str
    dedup_id: str

    def segments(self) -> list[Part]:
        """Byte-identical on every resend: the UDH reference is derived from our id."""
        return encoding.segments(self.text, ref=self.id % 256)[1]


class ProviderError(Exception):
    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class Provider(Protocol):
    name: str

    def send(self, msg: Outgoing) -> str:
        """Hand the message to the provider; returns the provider's message id."""
        ...

    def close(self) -> None: ...


KINDS = {
    "log": "sms.providers.log:LogProvider",
    "kannel": "sms.providers.kannel:KannelProvider",
    "smpp": "sms.providers.smpp:SmppProvider",
    "twilio": "sms.providers.twilio:TwilioProvider",
}


def build(name: str, platform: SmsHost, config: Any) -> Provider:
    kind = name.split(":", 1)[0]
    if kind not in KINDS:
        raise ValueError(f"unknown SMS provider {name!r} (known: {', '.join(KINDS)})")
    module, attr = KINDS[kind].split(":")
    cls = getattr(importlib.import_module(module), attr)
    return cls(platform=platform, config=config, name=name)
