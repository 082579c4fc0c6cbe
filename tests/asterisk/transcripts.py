"""Loads the real Asterisk 22.10.1 captures in ../shared/asterisk/ (raw/*.jsonl byte logs and the
annotated *.txt transcripts)."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(os.environ.get("HOTLINE_SHARED", Path(__file__).resolve().parents[3] / "shared")) / "asterisk"
if not ROOT.exists():
    ROOT = Path("/work/shared/asterisk")

AGI_FILES = ("agi-01-basic", "agi-02-args", "agi-03-dtmf", "agi-04-errors", "agi-05-hangup-mid-command",
             "agi-06-exec-dial-queue", "agi-07-asynchronous-hangup-after-agi")
AMI_FILES = ("ami-01-login", "ami-02-originate-async", "ami-03-call-events", "ami-04-queue",
             "ami-05-redirect-hangup", "ami-06-command", "ami-07-events-filter", "ami-08-playdtmf")


@dataclass(frozen=True)
class Chunk:
    t: float
    conn: str
    dir: str  # "<<" from Asterisk, ">>" to Asterisk
    data: bytes

    @property
    def eof(self) -> bool:
        return self.dir == "<<" and self.data == b""


def require() -> None:
    if not (ROOT / "raw").is_dir():
        pytest.skip(f"the Asterisk transcripts are not at {ROOT}")


@cache
def load(name: str) -> tuple[Chunk, ...]:
    out = []
    with open(ROOT / "raw" / f"{name}.jsonl", encoding="utf-8") as fh:
        for line in fh:
            raw = json.loads(line)
            out.append(Chunk(raw["t"], raw["conn"], raw["dir"], raw["data"].encode("latin-1")))
    return tuple(out)


def conns(name: str, kind: str) -> list[str]:
    """Connection names of one kind ("agi" or "ami") in the order they appear."""
    seen: list[str] = []
    for c in load(name):
        if c.conn.startswith(kind) and c.conn not in seen:
            seen.append(c.conn)
    return seen


def chunks(name: str, conn: str) -> list[Chunk]:
    return [c for c in load(name) if c.conn == conn]


def stream(name: str, conn: str, direction: str) -> bytes:
    return b"".join(c.data for c in chunks(name, conn) if c.dir == direction)


_NOTE = re.compile(r"^# \[\+(\d+\.\d+)\] (.*)$")


@cache
def notes(name: str) -> tuple[tuple[float, str], ...]:
    """In-body notes `# [+t] ...` (AMI actions that injected DTMF or hung up, half-closes, EOFs)."""
    out = []
    for line in (ROOT / f"{name}.txt").read_text(encoding="utf-8").splitlines():
        m = _NOTE.match(line)
        if m:
            out.append((float(m.group(1)), m.group(2)))
    return tuple(out)


def half_close_times(name: str) -> list[float]:
    return [t for t, text in notes(name) if "half-closes" in text]


def lines(data: bytes, sep: bytes) -> list[str]:
    text = data.decode("utf-8")
    parts = text.split(sep.decode())
    if parts and parts[-1] == "":
        parts.pop()
    return parts
