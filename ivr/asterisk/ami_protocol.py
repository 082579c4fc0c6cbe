"""The AMI wire format, without sockets: messages of `Key: Value` lines ended by a blank line (CRLF).

Observed on Asterisk 22 (../shared/asterisk/README.md): the banner is one line with no blank line
after it; header names are case-insensitive; an event may itself carry `Response:` (OriginateResponse),
so `Event:` is checked first; `Command` output comes as repeated `Output:` headers, while older
versions answer `Response: Follows` with raw lines ending in `--END COMMAND--`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

MAX_LINE_BYTES = 64 * 1024
MAX_MESSAGE_LINES = 20_000
END_COMMAND = "--END COMMAND--"
BANNER_PREFIX = "Asterisk Call Manager/"


class AMIError(Exception):
    """Base of every AMI failure."""


class AMIProtocolError(AMIError):
    """The peer sent something that is not AMI (or too much of it); the connection is closed."""


class AMIActionError(AMIError):
    """The action was answered `Response: Error`."""

    def __init__(self, action: str, message: Message) -> None:
        super().__init__(f"{action}: {message.get('Message') or 'error'}")
        self.response = message


class AMIDisconnected(AMIError):
    """The connection ended before the action was answered."""


class AMIAuthError(AMIError):
    """Login refused (Asterisk closes the connection after about a second)."""


@dataclass
class Message:
    """One AMI message. Headers keep their order and repeats (`Output:`, `Variable:`)."""

    headers: list[tuple[str, str]] = field(default_factory=list)
    output: list[str] = field(default_factory=list)  # legacy `Response: Follows` body lines

    def get(self, name: str, default: str | None = None) -> str | None:
        low = name.lower()
        for key, value in self.headers:
            if key.lower() == low:
                return value
        return default

    def getall(self, name: str) -> list[str]:
        low = name.lower()
        return [value for key, value in self.headers if key.lower() == low]

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    @property
    def event(self) -> str | None:
        return self.get("Event")

    @property
    def response(self) -> str | None:
        """The `Response:` of a reply; None for events (even OriginateResponse, which has one)."""
        return None if self.event is not None else self.get("Response")

    @property
    def action_id(self) -> str | None:
        return self.get("ActionID")

    @property
    def is_list_start(self) -> bool:
        return (self.get("EventList") or "").lower() == "start"

    @property
    def is_list_end(self) -> bool:
        return (self.get("EventList") or "").lower() == "complete"

    def as_dict(self) -> dict[str, str]:
        """First value of each header, canonical names as sent."""
        out: dict[str, str] = {}
        for key, value in self.headers:
            out.setdefault(key, value)
        return out

    def command_output(self) -> list[str]:
        """The lines of a `Command` reply, in either format."""
        return self.getall("Output") if self.output == [] else list(self.output)


def encode(action: str | None, headers: Mapping[str, object] | Iterable[tuple[str, object]] = ()) -> bytes:
    """`Action: X` + headers + blank line (no Action line when `action` is None: a raw message).
    Values with line breaks are refused (header injection); None values are left out."""
    items = list(headers.items()) if isinstance(headers, Mapping) else list(headers)
    lines = [f"Action: {action}"] if action is not None else []
    for key, value in items:
        if value is None:
            continue
        values = value if isinstance(value, list | tuple) else [value]
        for v in values:
            text = str(v)
            if any(ch in text or ch in key for ch in "\r\n"):
                raise ValueError(f"AMI header {key!r} may not contain a line break")
            lines.append(f"{key}: {text}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")


def md5_key(challenge: str, secret: str) -> str:
    """The `Key:` of an MD5 challenge login (Asterisk's manager.c: md5(challenge + secret))."""
    return hashlib.md5((challenge + secret).encode("utf-8"), usedforsecurity=False).hexdigest()


class MessageAssembler:
    """Feed lines (terminator removed); returns a Message when a blank line ends one."""

    def __init__(self, max_lines: int = MAX_MESSAGE_LINES) -> None:
        self.max_lines = max_lines
        self._msg = Message()
        self._follows = False
        self._lines = 0

    def feed(self, line: str) -> Message | None:
        self._lines += 1
        if self._lines > self.max_lines:
            raise AMIProtocolError("AMI message too long")
        if self._follows:
            if line == END_COMMAND or line.endswith(END_COMMAND):
                head = line[: -len(END_COMMAND)].rstrip("\n")
                if head:
                    self._msg.output.extend(head.split("\n"))
                self._follows = False
                return None
            key, sep, value = line.partition(": ")
            if sep and key.lower() in ("actionid", "privilege") and not self._msg.output:
                self._msg.headers.append((key, value))
            elif line or self._msg.output:
                self._msg.output.append(line)
            return None
        if line == "":
            if not self._msg.headers:
                self._lines = 0
                return None  # stray blank line between messages
            msg, self._msg, self._lines = self._msg, Message(), 0
            return msg
        key, sep, value = line.partition(":")
        if not sep or not key or " " in key.strip():
            raise AMIProtocolError(f"not an AMI header line: {line[:80]!r}")
        value = value[1:] if value.startswith(" ") else value
        self._msg.headers.append((key.strip(), value))
        if key.strip().lower() == "response" and value.lower() == "follows":
            self._follows = True
        return None
