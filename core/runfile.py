"""`$HOTLINE_DATA_DIR/node.json` while a node runs: how `hotline call` on the same data dir finds it."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

RUN_FILE = "node.json"


def _local_url(settings: Any) -> str:
    host = settings.web_host if settings.web_host not in ("0.0.0.0", "::", "") else "127.0.0.1"
    return f"http://{host}:{settings.web_port}"


def write_run_file(settings: Any) -> None:
    """`$HOTLINE_DATA_DIR/node.json` while the node runs: how `hotline call` on this data dir finds it."""
    path = settings.data_dir / RUN_FILE
    path.write_text(json.dumps({"url": _local_url(settings), "pid": os.getpid(), "node": settings.node_id}),
                    encoding="utf-8")


def remove_run_file(settings: Any) -> None:
    path = settings.data_dir / RUN_FILE
    with contextlib.suppress(OSError):
        if path.exists() and str(os.getpid()) in path.read_text(encoding="utf-8"):
            path.unlink()


def running_node_url(data_dir: Any) -> str | None:
    """The URL of the node running on this data dir, if its run file names a live process."""
    try:
        info = json.loads((Path(data_dir) / RUN_FILE).read_text(encoding="utf-8"))
        os.kill(int(info["pid"]), 0)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return str(info.get("url") or "") or None
