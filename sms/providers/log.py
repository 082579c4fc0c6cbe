"""The demo provider: appends each message as a JSON line to <data_dir>/sms-outbox.log, sends nothing."""

from __future__ import annotations

import json
import os
import re
import threading
from pathlib import Path
from typing import Any

from core.masking import scrub
from sms.api import SmsHost
from sms.providers import Outgoing

_CODE_RE = re.compile(r"(?<![0-9A-Za-z])\d{4,8}(?![0-9A-Za-z])")


def mask_codes(text: str) -> str:
    """Mask one-time codes (and any other short digit run) in a logged message, then scrub it."""
    return scrub(_CODE_RE.sub(lambda m: "*" * len(m.group(0)), text))


class LogProvider:
    def __init__(self, *, platform: SmsHost, config: Any, name: str = "log") -> None:
        self.name = name
        self.path = Path(config.log_path or Path(platform.settings.data_dir) / "sms-outbox.log")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self.clock = platform.clock

    def send(self, msg: Outgoing) -> str:
        # the demo log is a file anyone with the data dir can read: codes (4-8 digit runs) are masked
        line = json.dumps({"id": msg.dedup_id, "to": msg.to, "text": mask_codes(msg.text), "encoding": msg.encoding,
                           "parts": len(msg.segments()), "ts": self.clock.now().isoformat()},
                          ensure_ascii=False)
        with self._lock:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            with os.fdopen(fd, "a", encoding="utf-8") as fh:
                fh.write(line + "\n")
        return msg.dedup_id

    def close(self) -> None:
        pass
