"""The AGI wire format, without sockets: the `agi_*` environment block, command quoting and replies.

Observed on Asterisk 22 (../shared/asterisk/README.md): replies are `<code> <text>`; 200 carries
`result=<n>` and optionally ` (<data>)` and/or ` endpos=<samples>`; GET DATA with no input answers
`200 result= (timeout)` (empty value); 520 usage is `520-...` + unprefixed body lines + `520 End...`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple
from urllib.parse import parse_qs

MAX_ENV_LINES = 200
MAX_ENV_BYTES = 16 * 1024  # also the reader's line limit: no line may be longer
MAX_USAGE_LINES = 200


class AGIError(Exception):
    """Base of every AGI failure."""


class AGIProtocolError(AGIError):
    """The peer sent something that is not AGI (or too much of it); the connection is closed."""


class AGIHangup(AGIError):
    """The channel hung up or the connection ended."""


class AGIDeadChannel(AGIHangup):
    """511: the command is not permitted on a dead channel."""


class AGIUnknownCommand(AGIError):
    """510: the command word is unknown (or the line was empty)."""


class AGIUsageError(AGIError):
    """520: wrong arguments; `usage` holds Asterisk's usage text."""

    def __init__(self, message: str, usage: tuple[str, ...]) -> None:
        super().__init__(message)
        self.usage = usage


class AGITimeout(AGIError):
    """No reply within the command's time limit; the connection is closed (it is out of step)."""


_REPLY_200 = re.compile(r"^200 result=(-?\d*)(?: \((.*)\))?(?: endpos=(-?\d+))?\s*$")


class Reply(NamedTuple):
    """One reply. A named tuple: built for every command, and a frozen dataclass costs ~5× more."""

    code: int
    result: str = ""
    data: str | None = None
    endpos: int | None = None
    text: str = ""
    usage: tuple[str, ...] = ()

    @property
    def value(self) -> int | None:
        """`result=` as an int, None when it is empty (`200 result= (timeout)`)."""
        return int(self.result) if self.result not in ("", "-") else None

    @property
    def timed_out(self) -> bool:
        return self.data == "timeout"


def parse_reply(line: str) -> Reply:
    """One reply line (without its newline); 520 bodies are assembled by the connection."""
    if line.startswith("200 "):
        m = _REPLY_200.match(line)
        if m is None:
            raise AGIProtocolError(f"malformed 200 reply: {line[:80]!r}")
        endpos = int(m.group(3)) if m.group(3) is not None else None
        return Reply(200, result=m.group(1), data=m.group(2), endpos=endpos, text=line[4:])
    code_text = line[:3]
    if len(line) >= 4 and code_text.isdigit() and line[3] in " -":
        return Reply(int(code_text), text=line[4:])
    raise AGIProtocolError(f"not an AGI reply: {line[:80]!r}")


class Keys(str):
    """A set of DTMF escape digits: always sent in quotes (`""` for none), as Asterisk requires the argument."""

    def __new__(cls, keys: str = "") -> Keys:
        if any(ch not in "0123456789*#ABCD" for ch in keys):
            raise ValueError(f"not DTMF keys: {keys!r}")
        return super().__new__(cls, keys)


def quote(arg: str | int) -> str:
    """One AGI argument: quoted when empty or containing blanks or quotes. Newlines are refused
    (they would end the command and start another one)."""
    text = str(arg)
    if isinstance(arg, Keys):
        return f'"{text}"'
    if any(ch in text for ch in "\r\n\0"):
        raise ValueError("an AGI argument may not contain a line break")
    if text == "" or any(ch in text for ch in ' \t"\\'):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text


def build_command(*words: str | int) -> str:
    """`build_command("STREAM FILE", "welcome", "")` -> `STREAM FILE welcome ""`; the first word is
    the command verb and is sent as is."""
    head, *args = words
    return " ".join([str(head), *(quote(a) for a in args)])


@dataclass(frozen=True)
class AGIRequest:
    """The environment block Asterisk sends before the first command."""

    env: dict[str, str]
    entry: str
    query: dict[str, str] = field(default_factory=dict)
    args: tuple[str, ...] = ()

    @property
    def channel(self) -> str:
        return self.env.get("agi_channel", "")

    @property
    def uniqueid(self) -> str:
        return self.env.get("agi_uniqueid", "")

    @property
    def language(self) -> str:
        return self.query.get("lang") or self.env.get("agi_language", "")

    @property
    def caller(self) -> str | None:
        value = self.env.get("agi_callerid", "")
        return None if value in ("", "unknown", "<unknown>") else value

    @property
    def called(self) -> str:
        dnid = self.env.get("agi_dnid", "")
        return dnid if dnid not in ("", "unknown") else self.env.get("agi_extension", "")


def parse_env_line(line: str) -> tuple[str, str]:
    """`agi_accountcode: ` -> ("agi_accountcode", ""). Anything else is a protocol error."""
    key, sep, value = line.partition(":")
    if not sep or not key.startswith("agi_") or not key.replace("_", "").isalnum():
        raise AGIProtocolError(f"not an AGI environment line: {line[:80]!r}")
    return key, value[1:] if value.startswith(" ") else value


def build_request(env: dict[str, str]) -> AGIRequest:
    """The entry comes from `agi_network_script` (query stripped and parsed), else `agi_extension`."""
    script = env.get("agi_network_script", "")
    path, _, qs = script.partition("?")
    entry = path.strip("/") or env.get("agi_extension", "")
    query = {k: v[-1] for k, v in parse_qs(qs, keep_blank_values=True).items()}
    args: list[str] = []
    n = 1
    while f"agi_arg_{n}" in env:
        args.append(env[f"agi_arg_{n}"])
        n += 1
    return AGIRequest(env=env, entry=entry, query=query, args=tuple(args))


def parse_env(lines: list[str]) -> AGIRequest:
    """The whole block (without the blank line); used by tests and the emulator."""
    env: dict[str, str] = {}
    for line in lines:
        key, value = parse_env_line(line)
        env[key] = value
    return build_request(env)
