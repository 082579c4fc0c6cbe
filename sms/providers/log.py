"""The demo provider: appends each message as a JSON line to <data_dir>/sms-outbox.log, sends nothing."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from sms.providers import Outgoing


class LogProvider:
    def __init__(self, *, platform: Any, config: Any, name: str = "log") -> None:
        self.name = name
        self.path = Path(config.log_path or Path(platform.settings.data_dir) / "sms-outbox.log")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self.clock = platform.clock

    def send(self, msg: Outgoing) -> str:
        line = json.dumps({"id": msg.dedup_id, "to": msg.to, "text": msg.text, "encoding": msg.encoding,
                           "parts": len(msg.segments()), "ts": self.clock.now().isoformat()},
                          ensure_ascii=False)
        with self._lock, self.path.open("a", encoding="utf-8") as fh:
            fh.write(line + "\n")
        return msg.dedup_id

    def close(self) -> None:
        pass
