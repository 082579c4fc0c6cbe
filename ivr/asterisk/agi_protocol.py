"""The AGI wire format, without sockets: the `agi_*` environment block, command quoting and replies,
and `AGIParser`, the incremental reader of what Asterisk sends (bytes in as they arrive, in any split;
env block, replies and `HANGUP` lines out) that the FastAGI connection feeds from `data_received`.

Observed on Asterisk 22 (../shared/asterisk/README.md): replies are `<code> <text>`; 200 carries
`result=<n>` and optionally ` (<data>)` and/or ` endpos=<samples>`; GET DATA with no input answers
`200 result= (timeout)` (empty value); 520 usage is `520-...` + unprefixed body lines + `520 End...`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final, NamedTuple
from urllib.parse import parse_qs

MAX_ENV_LINES = 200
MAX_ENV_BYTES = 16 * 1024  # the env block's size limit
MAX_LINE_BYTES = MAX_ENV_BYTES  # no reply line may be longer either
MAX_USAGE_LINES = 200
HANGUP: Final = "HANGUP"  # the unsolicited hang-up line, as AGIParser.feed hands it out


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


_new_reply = tuple.__new__  # Reply(...) goes through a Python-level __new__; this is the same tuple


def parse_reply(line: str) -> Reply:
    """One reply line (without its newline); 520 bodies are assembled by AGIParser."""
    if line.startswith("200 "):
        value = line[11:]
        if line.startswith("result=", 4) and (value.isdecimal() or (value[:1] == "-" and value[1:].isdecimal())):
            # the common `200 result=<n>`: what the regex below returns for it, without the regex
            return _new_reply(Reply, (200, value, None, None, line[4:], ()))
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


def build_request(env: dict[str, str]) -> AGIRequest:
    """The entry comes from `agi_network_script` (query stripped and parsed), else `agi_extension`."""
    script = env.get("agi_network_script", "")
    path, _, qs = script.partition("?")
    entry = path.strip("/") or env.get("agi_extension", "")
    query = {k: v[-1] for k, v in parse_qs(qs, keep_blank_values=True).items()} if qs else {}
    args: list[str] = []
    if "agi_arg_1" in env:
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


def _env_key(key: str) -> bool:
    return key.startswith("agi_") and key.replace("_", "").isalnum()


def parse_env_line(line: str) -> tuple[str, str]:
    """`agi_accountcode: ` -> ("agi_accountcode", ""). Anything else is a protocol error."""
    key, sep, value = line.partition(":")
    if not sep or not _env_key(key):
        raise AGIProtocolError(f"not an AGI environment line: {line[:80]!r}")
    return key, value[1:] if value.startswith(" ") else value


# keys already found valid (Asterisk sends the same ~22 every time, plus agi_arg_N): bounded
_ENV_KEYS: set[str] = set()
_ENV_KEY_COUNT = 1024


def parse_env_block(raw: bytes) -> AGIRequest:
    """The block as received, without its blank line, in one pass: one decode, one split, one partition
    per line; the keys checked against those seen before. What Asterisk sends (`key: value`, no `\r`)
    takes this path; anything else (a colon without its blank, a `\r`, a new or bad key) goes through
    parse_env_line line by line, which gives the same result or the error."""
    text = raw.decode("utf-8", errors="replace")
    lines = text.split("\n")
    if len(lines) > MAX_ENV_LINES:
        raise AGIProtocolError("AGI environment block too large")
    if "\r" not in text:
        env: dict[str, str] = {}
        for line in lines:
            key, sep, value = line.partition(": ")
            if not sep:
                break
            env[key] = value
        else:
            if _ENV_KEYS.issuperset(env):
                return build_request(env)
            if all(_env_key(key) for key in env):  # (a key with a colon in it is not: the slow path splits it)
                if len(_ENV_KEYS) < _ENV_KEY_COUNT:
                    _ENV_KEYS.update(env)
                return build_request(env)
    lines = [line.rstrip("\r") for line in lines]
    if lines[0] == "":
        raise AGIProtocolError("empty AGI environment block")
    return parse_env(lines)


# Segments that were exactly one reply line without `(data)`, and their Reply (immutable: shared). Replies
# repeat (`200 result=0`, `result=1`, `result=-1`, the digits, `511 ...`): a dictionary look-up instead of
# decoding and parsing. Bounded in count and length, so a peer sending odd lines cannot grow it.
_SEGMENTS: dict[bytes, Reply] = {}
_SEGMENT_BYTES = 64
_SEGMENT_COUNT = 512


class AGIParser:
    """What Asterisk sends on one FastAGI connection, read incrementally and without sockets: feed the
    bytes as they arrive, split anywhere. First `feed_env` until it returns the request (the `agi_*`
    block up to its blank line, at most MAX_ENV_BYTES and MAX_ENV_LINES), then `feed`, which returns the
    replies and `HANGUP` lines the bytes completed, in order. Lines end at `\n` (a `\r` before it is
    dropped); a partial line waits for the rest; `100 Trying...` replies are handed out like the
    others; a 520 usage reply (`520-...`, body lines, `520 ...`) comes out as one Reply once complete.

    Malformed input (a line that is not a reply, a line over MAX_LINE_BYTES, a usage body over
    MAX_USAGE_LINES) ends the events `feed` returns with an AGIProtocolError (also kept in `error`),
    after the events that came before it; later feeds return nothing. `feed_env` raises its errors
    (nothing came before them). At end of stream `eof_error()` says what it means."""

    __slots__ = ("_buf", "_plain", "_scan", "_usage", "_usage_head", "error", "in_env", "max_line")

    def __init__(self, max_line: int = MAX_LINE_BYTES) -> None:
        self._buf = b""
        self._plain = False  # between lines: no partial line, no 520 body, no error (a segment may be cached)
        self._scan = 0  # env block: where to resume looking for the blank line
        self._usage: list[str] | None = None  # a 520 body being read
        self._usage_head = ""
        self.error: AGIProtocolError | None = None
        self.in_env = True
        self.max_line = max_line

    @property
    def buffered(self) -> bool:
        """Bytes are waiting (after the env block, or a partial line)."""
        return bool(self._buf)

    def feed_env(self, data: bytes) -> AGIRequest | None:
        """The env block so far: the request once its blank line has arrived (bytes after it are kept
        for `feed`), None while it is incomplete. AGIProtocolError when it is too large or not AGI."""
        buf = self._buf + data if self._buf else data
        end = buf.find(b"\n\n", self._scan)
        if end < 0:
            if len(buf) > MAX_ENV_BYTES:
                raise AGIProtocolError("AGI environment block too large")
            self._buf = buf
            self._scan = max(0, len(buf) - 1)
            return None
        if end + 2 > MAX_ENV_BYTES:
            raise AGIProtocolError("AGI environment block too large")
        self._buf = buf[end + 2:]
        self.in_env = False
        self._plain = not self._buf
        return parse_env_block(buf[:end])

    def known(self, data: bytes) -> Reply | None:
        """The Reply when `data` is exactly one reply line seen before (never a `100 Trying`) and nothing
        is pending (no partial line, no 520 body, no error); else None: then `feed` it. The common
        case, `200 result=0\n` and its like, without building the list of events."""
        return _SEGMENTS.get(data) if self._plain else None

    def feed(self, data: bytes) -> list[Reply | str | AGIProtocolError]:
        """The replies (Reply) and hang-up lines (HANGUP) that `data` completed, in order; an
        AGIProtocolError last if the stream went bad."""
        if self._plain:
            reply = _SEGMENTS.get(data)
            if reply is not None:  # a segment seen before: one whole reply line (most are `200 result=0\n`)
                return [reply]
        if self.error is not None:
            return []
        if self._buf:
            data = self._buf + data
            self._buf = b""
        if data[-1:] == b"\n" and len(data) <= self.max_line:
            text = data.decode("utf-8", errors="replace")  # whole lines only: no split UTF-8 sequence
            lines = text.split("\n")
            lines.pop()  # the empty string after the last newline
            strip = "\r" in text
        else:
            cut = data.rfind(b"\n") + 1
            if len(data) - cut > self.max_line:
                self.error = AGIProtocolError("line longer than the limit")
                self._buf = b""
                return [self.error]
            self._buf = data[cut:]
            self._plain = False
            if not cut:
                return []
            lines = []
            for raw in data[:cut - 1].split(b"\n"):
                if len(raw) > self.max_line:
                    self.error = AGIProtocolError("line longer than the limit")
                    break
                lines.append(raw.decode("utf-8", errors="replace"))
            strip = True
        out: list[Reply | str | AGIProtocolError] = []
        for line in lines:
            if strip:
                line = line.rstrip("\r")
            if self._usage is not None:
                if line.startswith("520 "):
                    out.append(_new_reply(Reply, (520, "", None, None, self._usage_head, tuple(self._usage))))
                    self._usage = None
                    continue
                self._usage.append(line)
                if len(self._usage) > MAX_USAGE_LINES:
                    self.error = AGIProtocolError("520 usage reply too long")
                    break
            elif line == HANGUP:
                out.append(HANGUP)
            elif line.startswith("520-"):
                self._usage_head = line[4:]
                self._usage = []
            else:
                try:
                    out.append(parse_reply(line))
                except AGIProtocolError as exc:
                    self.error = exc
                    break
        if self.error is not None:
            self._buf = b""
            self._plain = False
            out.append(self.error)
            return out
        self._plain = not self._buf and self._usage is None
        if self._plain and len(lines) == 1 and len(out) == 1 and len(data) <= _SEGMENT_BYTES \
                and len(_SEGMENTS) < _SEGMENT_COUNT:
            only = out[0]  # `data` is exactly this one line and its newline
            if type(only) is Reply and only.data is None and only.code != 100 and not only.usage:
                _SEGMENTS[data] = only
        return out

    def eof_error(self) -> AGIError:
        """What the end of the stream means here: a hang-up, or a protocol error inside a block."""
        if self.in_env:
            return AGIHangup("connection closed inside the AGI environment block")
        if self._usage is not None:
            return AGIProtocolError("connection closed inside a 520 usage reply")
        return AGIHangup("connection closed by Asterisk")
