"""Test helpers: a recording provider and a dispatcher wired to it."""

from __future__ import annotations

import threading
from typing import Any

from hotline.platform import Platform
from sms.dispatcher import Dispatcher
from sms.providers import Outgoing, ProviderError


class RecordingProvider:
    def __init__(self, name: str, fail: int = 0, permanent: bool = False) -> None:
        self.name = name
        self.fail = fail  # fail this many sends first
        self.permanent = permanent
        self.sent: list[Outgoing] = []
        self.calls = 0
        self.lock = threading.Lock()

    def send(self, msg: Outgoing) -> str:
        with self.lock:
            self.calls += 1
            if self.fail > 0:
                self.fail -= 1
                raise ProviderError(f"{self.name} down", permanent=self.permanent)
            self.sent.append(msg)
            return f"{self.name}-{msg.id}"

    def close(self) -> None:
        pass


def dispatcher(platform: Platform, *providers: RecordingProvider, **config: Any) -> Dispatcher:
    cfg = platform.sms.config.with_(providers=tuple(p.name for p in providers), **config)
    platform.sms.config = cfg
    d = Dispatcher(platform, cfg, {p.name: p for p in providers})
    platform.sms._dispatcher = d
    return d
