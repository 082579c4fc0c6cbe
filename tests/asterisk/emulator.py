"""An emulator of Asterisk's side of FastAGI and AMI, for tests and the benchmark (never used by a
real call). Its replies follow the real captures in ../shared/asterisk/ (test_emulator.py checks
them line for line): reply formats, 510/511/520 rules, dead-channel behaviour, the unsolicited
`HANGUP` line after a hang-up and on our EOF, AMI banners, responses and OriginateResponse events.

`ChannelModel` is one AGI channel (variables, state, a scripted caller); `EmulatedCall` connects it
to a FastAGI server; `FakeAMIServer` is a small AMI server with a few channels.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import cache

from tests.asterisk import transcripts as tr

DEAD = "511 Command Not Permitted on a dead channel or intercept routine"
UNKNOWN = "510 Invalid or unknown command"
USAGE_HEAD = "520-Invalid command syntax.  Proper usage follows:"
USAGE_TAIL = "520 End of proper usage."
# Commands Asterisk refuses on a dead channel (res_agi's command table; observed in agi-05).
MEDIA = {"STREAM FILE", "CONTROL STREAM FILE", "WAIT FOR DIGIT", "GET DATA", "GET OPTION", "SAY NUMBER",
         "SAY DIGITS", "SAY ALPHA", "SAY PHONETIC", "ANSWER", "CHANNEL STATUS", "HANGUP", "SET MUSIC",
         "RECORD FILE", "SEND TEXT", "RECEIVE CHAR"}
VERBS = sorted(["ANSWER", "CHANNEL STATUS", "VERBOSE", "SET VARIABLE", "GET VARIABLE", "GET FULL VARIABLE",
                "STREAM FILE", "GET DATA", "WAIT FOR DIGIT", "SAY DIGITS", "SAY NUMBER", "SET MUSIC", "EXEC",
                "HANGUP", "NOOP", "DATABASE GET", "DATABASE PUT"], key=len, reverse=True)


@cache
def usage_texts() -> dict[str, tuple[str, ...]]:
    """The 520 usage bodies, taken from the agi-04 capture."""
    out: dict[str, tuple[str, ...]] = {}
    data = tr.stream("agi-04-errors", "agi#5", "<<").decode()
    sent = tr.stream("agi-04-errors", "agi#5", ">>").decode().split("\n")
    replies = data.split("\n\n", 1)[1].split("\n")
    i = 0
    for command in sent:
        if i >= len(replies):
            break
        if replies[i] == USAGE_HEAD:
            j = replies.index(USAGE_TAIL, i)
            verb = _verb(command.upper())
            if verb:
                out.setdefault(verb, tuple(replies[i + 1:j]))
            i = j + 1
        else:
            i += 1
            while i < len(replies) and replies[i] == "HANGUP":
                i += 1
    return out


def split_args(text: str) -> list[str]:
    """res_agi's parse_args: blanks are spaces and tabs only (a trailing CR stays in the word), `"..."`
    groups, a backslash escapes the next character."""
    args: list[str] = []
    cur: list[str] = []
    quoted = in_word = escaped = False
    for ch in text:
        if escaped:
            cur.append(ch)
            escaped = False
        elif ch == "\\":
            escaped = in_word = True
        elif ch == '"':
            quoted = not quoted
            in_word = True
        elif ch in " \t" and not quoted:
            if in_word:
                args.append("".join(cur))
                cur, in_word = [], False
        else:
            cur.append(ch)
            in_word = True
    if in_word:
        args.append("".join(cur))
    return args


def _verb(upper: str) -> str | None:
    for verb in VERBS:
        if upper == verb or upper.startswith(verb + " "):
            return verb
    return None


ENV_TEMPLATE = (
    ("agi_network", "yes"), ("agi_network_script", "12333"), ("agi_request", "agi://127.0.0.1:4573/12333"),
    ("agi_channel", "PJSIP/trunk-00000001"), ("agi_language", "en"), ("agi_type", "PJSIP"),
    ("agi_uniqueid", "1795526602.1"), ("agi_version", "22.10.1"), ("agi_callerid", "13800138000"),
    ("agi_calleridname", ""), ("agi_callingpres", "0"), ("agi_callingani2", "0"), ("agi_callington", "0"),
    ("agi_callingtns", "0"), ("agi_dnid", "12333"), ("agi_rdnis", "unknown"), ("agi_context", "hotline"),
    ("agi_extension", "12333"), ("agi_priority", "3"), ("agi_enhanced", "0.0"), ("agi_accountcode", ""),
    ("agi_threadid", "140389159900864"),
)


def env_block(script: str = "12333", *, channel: str = "PJSIP/trunk-00000001", uniqueid: str = "1795526602.1",
              caller: str = "13800138000", args: tuple[str, ...] = (), extension: str = "12333") -> bytes:
    values = dict(ENV_TEMPLATE)
    values.update(agi_network_script=script, agi_request=f"agi://127.0.0.1:4573/{script}", agi_channel=channel,
                  agi_uniqueid=uniqueid, agi_callerid=caller, agi_extension=extension)
    lines = [f"{k}: {v}" for k, v in values.items()]
    lines += [f"agi_arg_{n}: {a}" for n, a in enumerate(args, 1)]
    return ("\n".join(lines) + "\n\n").encode()


@dataclass
class Caller:
    """What the emulated caller does. `inputs`: one entry per input the IVR asks for: a string of keys
    typed (ending in '#' or not), or None for silence. `hangup_during`: the 1-based number of the
    blocking command during which the caller hangs up."""

    inputs: list[str | None] = field(default_factory=list)
    hangup_during: int | None = None
    barge: bool = False  # press the next input's first key during an interruptible prompt
    # typed entries follow each other without the silence (timeout) that otherwise ends each one
    # (entries that fill max_digits or end with the terminator need none); None is still silence
    eager: bool = False
    _typing: str | None = None


DialHook = Callable[[str], Awaitable[tuple[int, str]]]


class ChannelModel:
    """One channel's AGI behaviour. `execute` returns the reply lines for one command line."""

    def __init__(self, name: str = "PJSIP/trunk-00000001", *, caller: Caller | None = None,
                 missing_sounds: set[str] | None = None, dial: DialHook | None = None,
                 callerid: tuple[str, str] = ("13800138000", ""), state: int = 6,
                 others: dict[str, int] | None = None, sound_lengths: dict[str, int] | None = None) -> None:
        self.name = name
        self.others = others or {}
        self.sound_lengths = sound_lengths or {}
        self.caller = caller or Caller()
        self.missing = missing_sounds or set()
        self.dial = dial
        self.state = state
        self.dead = False
        self.vars: dict[str, str] = {"CHANNEL": name, "CALLERID(num)": callerid[0], "CALLERID(name)": callerid[1]}
        self.blocking = 0
        self.log: list[tuple[str, list[str]]] = []
        self.music = False
        self.hangup_pending = False  # the unsolicited HANGUP line is owed
        self._last_verb: str | None = None

    # -- helpers ------------------------------------------------------------------------------
    def _hang_now(self) -> bool:
        """Counts blocking commands; True when the caller hangs up during this one."""
        self.blocking += 1
        if self.caller.hangup_during == self.blocking:
            self.dead = True
            self.hangup_pending = True
            return True
        return False

    def _next_input(self) -> str | None:
        if self.caller._typing == "":  # the keys of the last input are all typed
            self.caller._typing = None
        if self.caller._typing is not None:
            value, self.caller._typing = self.caller._typing, None
            return value
        return self.caller.inputs.pop(0) if self.caller.inputs else None

    def _key(self) -> str:
        """WAIT FOR DIGIT: the next key of the input being typed; '' at its end (timeout) when the IVR
        waits for more keys of the same input (an input that ended before another command is over)."""
        if self.caller._typing == "" and self._last_verb != "WAIT FOR DIGIT":
            self.caller._typing = None
        if self.caller._typing is None:
            if not self.caller.inputs:
                return ""
            self.caller._typing = self.caller.inputs.pop(0) or ""
        typing = self.caller._typing
        if not typing and self.caller.eager and self.caller.inputs and self.caller.inputs[0] is not None:
            typing = self.caller.inputs.pop(0) or ""
        if not typing:
            self.caller._typing = None
            return ""
        self.caller._typing = typing[1:]
        return typing[0]

    # -- commands -----------------------------------------------------------------------------
    async def execute(self, line: str) -> list[str]:
        replies = await self._execute(line)
        self.log.append((line, replies))
        self._last_verb = _verb(line.upper())
        return replies

    async def _execute(self, line: str) -> list[str]:
        upper = line.upper()
        verb = _verb(upper)
        if verb is None:
            return [UNKNOWN]
        args = split_args(line[len(verb):])
        if self.dead and verb in MEDIA:
            return [DEAD]
        usage = usage_texts()
        need = {"STREAM FILE": 2, "GET DATA": 1, "WAIT FOR DIGIT": 1, "SET VARIABLE": 2, "GET VARIABLE": 1,
                "EXEC": 1, "SAY DIGITS": 2, "SAY NUMBER": 2, "GET FULL VARIABLE": 1}.get(verb, 0)
        too_many = verb == "SET VARIABLE" and len(args) > 2
        bad_number = verb == "SAY NUMBER" and args and not args[0].lstrip("-").isdigit()
        if len(args) < need or too_many or bad_number:
            return [USAGE_HEAD, *usage.get(verb, ("Usage.",)), USAGE_TAIL]
        handler = getattr(self, "_" + verb.lower().replace(" ", "_"), None)
        if handler is None:
            return ["200 result=0"]
        return await handler(args)

    async def _answer(self, args: list[str]) -> list[str]:
        self.state = 6
        return ["200 result=0"]

    async def _noop(self, args: list[str]) -> list[str]:
        return ["200 result=0"]

    async def _verbose(self, args: list[str]) -> list[str]:
        return ["200 result=1"]

    async def _channel_status(self, args: list[str]) -> list[str]:
        if args and args[0] != self.name:
            return [f"200 result={self.others.get(args[0], -1)}"]
        return [f"200 result={self.state}"]

    async def _set_variable(self, args: list[str]) -> list[str]:
        self.vars[args[0]] = args[1]
        return ["200 result=1"]

    async def _get_variable(self, args: list[str]) -> list[str]:
        value = self.vars.get(args[0])
        return ["200 result=0"] if value is None else [f"200 result=1 ({value})"]

    async def _get_full_variable(self, args: list[str]) -> list[str]:
        values = self.vars if len(args) < 2 else {"CHANNEL": args[1]}
        text = re.sub(r"\$\{([^}]*)\}", lambda m: values.get(m.group(1), ""), args[0])
        return [f"200 result=1 ({text})"]

    async def _set_music(self, args: list[str]) -> list[str]:
        self.music = args[0].upper() == "ON" if args else False
        return ["200 result=0"]

    async def _hangup(self, args: list[str]) -> list[str]:
        self.dead = True
        self.hangup_pending = True
        return ["200 result=1"]

    async def _stream_file(self, args: list[str]) -> list[str]:
        name, escape = args[0], args[1]
        if name in self.missing:
            return ["200 result=-1 endpos=0"]
        if self._hang_now():
            return ["200 result=-1 endpos=1600"]
        if self.caller._typing:  # keys typed after the last input ended reach this prompt
            key, self.caller._typing = self.caller._typing[0], self.caller._typing[1:] or None
            if escape and key in escape:
                return [f"200 result={ord(key)} endpos=800"]
        if self.caller.barge and escape:
            nxt = self.caller.inputs[0] if self.caller.inputs else None
            if nxt and nxt[0] in escape:
                self.caller.inputs.pop(0)
                if nxt[1:]:
                    self.caller._typing = nxt[1:]
                return [f"200 result={ord(nxt[0])} endpos=4000"]
        return [f"200 result=0 endpos={self.sound_lengths.get(name, 8000)}"]

    async def _get_data(self, args: list[str]) -> list[str]:
        name = args[0]
        max_digits = int(args[2]) if len(args) > 2 else 1024
        if name in self.missing:
            return ["200 result=-1"]
        if self._hang_now():
            return ["200 result=-1"]
        typed = self._next_input()
        if not typed:
            return ["200 result= (timeout)"]
        digits = typed.split("#", 1)[0]
        if len(digits) >= max_digits:  # GET DATA returns at max_digits: later keys (a '#') come after it
            self.caller._typing = typed[max_digits:] or None
            return [f"200 result={digits[:max_digits]}"]
        if "#" in typed:
            return [f"200 result={digits}"]
        return [f"200 result={digits} (timeout)"]

    async def _wait_for_digit(self, args: list[str]) -> list[str]:
        if self._hang_now():
            return ["200 result=-1"]
        key = self._key()
        return [f"200 result={ord(key) if key else 0}"]

    async def _say_digits(self, args: list[str]) -> list[str]:
        return ["200 result=0"]

    _say_number = _say_digits

    async def _exec(self, args: list[str]) -> list[str]:
        app, data = args[0], (args[1] if len(args) > 1 else "")
        low = app.lower()
        if low == "set":
            key, _, value = data.partition("=")
            self.vars[key] = value
            return ["200 result=0"]
        if low in ("noop", "playback", "musiconhold", "wait"):
            return ["200 result=0"]
        if low == "dial":
            if self._hang_now():
                self.vars["DIALSTATUS"] = "CANCEL"
                return ["200 result=-1"]
            target, _, rest = data.partition(",")
            result, status = (await self.dial(target)) if self.dial else (0, "ANSWER")
            if status == "ANSWER" and "g" not in rest.split(",")[-1]:
                result = -1
            self.vars["DIALSTATUS"] = status
            return [f"200 result={result}"]
        return ["200 result=-2"]


class EmulatedCall:
    """Asterisk's side of one FastAGI connection: env block, then the model answers each command.
    `hangup()` makes the caller hang up now (between commands: only the `HANGUP` line is sent)."""

    def __init__(self, model: ChannelModel, *, script: str = "12333", uniqueid: str = "1795526602.1",
                 caller: str = "13800138000", args: tuple[str, ...] = (), hangup_delay: float = 0.0) -> None:
        self.model = model
        self.env = env_block(script, channel=model.name, uniqueid=uniqueid, caller=caller, args=args)
        self.hangup_delay = hangup_delay
        self.turnarounds: list[float] = []
        self.commands = 0
        self.closed_by_server = False
        self._writer: asyncio.StreamWriter | None = None
        self._sent_hangup = False

    async def run(self, host: str, port: int, *, timeout: float = 30.0) -> None:
        reader, writer = await asyncio.open_connection(host, port)
        self._writer = writer
        loop = asyncio.get_running_loop()
        try:
            writer.write(self.env)
            await writer.drain()
            t_sent = loop.time()
            while True:
                raw = await asyncio.wait_for(reader.readline(), timeout)
                if not raw.endswith(b"\n"):
                    self.closed_by_server = True
                    break
                now = loop.time()
                self.turnarounds.append(now - t_sent)
                self.commands += 1
                replies = await self.model.execute(raw[:-1].decode())
                writer.write("".join(r + "\n" for r in replies).encode())
                if self.model.hangup_pending:
                    self.model.hangup_pending = False
                    await self._send_hangup_line()
                await writer.drain()
                t_sent = loop.time()
            # Asterisk answers our EOF with a HANGUP line, then closes (agi-02, agi-07).
            with contextlib.suppress(ConnectionError):
                writer.write(b"HANGUP\n")
                await writer.drain()
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def _send_hangup_line(self) -> None:
        if self._sent_hangup or self._writer is None:
            return
        self._sent_hangup = True
        if self.hangup_delay:
            await self._writer.drain()
            await asyncio.sleep(self.hangup_delay)
        self._writer.write(b"HANGUP\n")

    async def hangup(self) -> None:
        """The caller hangs up while no command runs (e.g. during music on hold)."""
        self.model.dead = True
        if self._writer is not None and not self._writer.is_closing():
            with contextlib.suppress(ConnectionError):
                await self._send_hangup_line()
                await self._writer.drain()


# ------------------------------------------------------------------------------------------------ AMI


@dataclass
class FakeChannel:
    name: str
    uniqueid: str
    vars: dict[str, str] = field(default_factory=dict)


class FakeAMIServer:
    """A small AMI server with the response texts of Asterisk 22 (see ami-01/02/05/06 captures).
    `originate_outcome(channel) -> reason` decides async Originates (4 answered, 5 busy, 3 no answer,
    0 failed)."""

    def __init__(self, username: str = "hotline", secret: str = "s3cret", *,
                 originate_outcome: Callable[[str], int] | None = None) -> None:
        self.username, self.secret = username, secret
        self.originate_outcome = originate_outcome or (lambda channel: 4)
        self.port = 0
        self.channels: dict[str, FakeChannel] = {}
        self.device_states: dict[str, str] = {}  # DeviceStateList answers
        self.actions: list[dict[str, str]] = []
        self.logins = 0
        self.silent = False  # stop answering (to test keep-alive)
        self._server: asyncio.base_events.Server | None = None
        self._sessions: set[asyncio.StreamWriter] = set()
        self._events_on: dict[asyncio.StreamWriter, bool] = {}
        self._ids = itertools.count(40)
        self._challenge = "123456789"

    async def start(self, port: int = 0) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        self.drop_connections()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def drop_connections(self) -> None:
        for writer in list(self._sessions):
            writer.close()
        self._sessions.clear()

    def add_channel(self, name: str, uniqueid: str) -> FakeChannel:
        chan = FakeChannel(name, uniqueid)
        self.channels[name] = chan
        return chan

    def emit(self, event: str, privilege: str = "call,all", **headers: str) -> None:
        data = _msg([("Event", event), ("Privilege", privilege), *headers.items()])
        for writer, on in list(self._events_on.items()):
            if on and writer in self._sessions:
                writer.write(data)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"Asterisk Call Manager/11.0.0\r\n")
        authed = False
        try:
            while True:
                raw = await reader.readuntil(b"\r\n\r\n")
                headers: dict[str, str] = {}
                for line in raw.decode().split("\r\n"):
                    key, sep, value = line.partition(": ")
                    if sep:
                        headers.setdefault(key.lower(), value)
                self.actions.append(headers)
                if self.silent:
                    continue
                aid = [("ActionID", headers["actionid"])] if "actionid" in headers else []
                action = headers.get("action", "").lower()
                if not action:
                    writer.write(_msg([("Response", "Error"), *aid, ("Message", "Missing action in request")]))
                    continue
                if action == "challenge":
                    writer.write(_msg([("Response", "Success"), *aid, ("Challenge", self._challenge)]))
                    continue
                if action == "login":
                    if authed:
                        writer.write(_msg([("Response", "Success"), *aid, ("Message", "Already authenticated")]))
                        continue
                    if not self._auth_ok(headers):
                        await asyncio.sleep(0.01)
                        writer.write(_msg([("Response", "Error"), *aid, ("Message", "Authentication failed")]))
                        await writer.drain()
                        return
                    authed = True
                    self.logins += 1
                    self._sessions.add(writer)
                    self._events_on[writer] = headers.get("events", "on").lower() != "off"
                    writer.write(_msg([("Response", "Success"), *aid, ("Message", "Authentication accepted")]))
                    if self._events_on[writer]:
                        writer.write(_msg([("Event", "FullyBooted"), ("Privilege", "system,all"), ("Uptime", "73"),
                                           ("LastReload", "73"), ("Status", "Fully Booted")]))
                    continue
                if not authed:
                    writer.write(_msg([("Response", "Error"), *aid, ("Message", "Permission denied")]))
                    continue
                if action == "logoff":
                    writer.write(_msg([("Response", "Goodbye"), *aid, ("Message", "Thanks for all the fish.")]))
                    await writer.drain()
                    return
                await self._action(action, headers, aid, writer)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self._sessions.discard(writer)
            self._events_on.pop(writer, None)
            writer.close()

    def _auth_ok(self, headers: dict[str, str]) -> bool:
        if headers.get("username") != self.username:
            return False
        if headers.get("authtype", "").lower() == "md5":
            return headers.get("key") == hashlib.md5((self._challenge + self.secret).encode()).hexdigest()
        return headers.get("secret") == self.secret

    async def _action(self, action: str, h: dict[str, str], aid: list[tuple[str, str]],
                      writer: asyncio.StreamWriter) -> None:
        ok = [("Response", "Success"), *aid]
        err = [("Response", "Error"), *aid]
        if action == "ping":
            writer.write(_msg([*ok, ("Ping", "Pong"), ("Timestamp", "1795526669.798196")]))
        elif action == "events":
            mask = h.get("eventmask", "off").lower()
            self._events_on[writer] = mask not in ("off", "nosuchclass")
            writer.write(_msg([*ok, ("Events", "On" if self._events_on[writer] else "Off")]))
        elif action == "filter":
            writer.write(_msg([*ok, ("Message", "Success")]))
        elif action == "originate":
            if "channel" not in h:
                writer.write(_msg([*err, ("Message", "Channel not specified")]))
                return
            writer.write(_msg([*ok, ("Message", "Originate successfully queued")]))
            await writer.drain()
            reason = self.originate_outcome(h["channel"])
            chan = None
            if reason == 4:
                chan = self.add_channel(f"{h['channel']}-{next(self._ids):08x};1", f"1795526672.{next(self._ids)}")
            _num, _, name = (h.get("callerid", "") + " ").partition(" ")
            writer.write(_msg([("Event", "OriginateResponse"), ("Privilege", "call,all"), *aid,
                               ("Response", "Success" if chan else "Failure"),
                               ("Channel", chan.name if chan else h["channel"]),
                               *([("Context", h["context"]), ("Exten", h.get("exten", ""))] if "context" in h
                                 else [("Application", h.get("application", "")), ("Data", h.get("data", ""))]),
                               ("Reason", str(reason)), ("Uniqueid", chan.uniqueid if chan else "<unknown>"),
                               ("CallerIDNum", "<unknown>"), ("CallerIDName", "<unknown>")]))
        elif action == "muteaudio":
            if h.get("channel") not in self.channels:
                writer.write(_msg([*err, ("Message", "No such channel")]))
                return
            self.channels[h["channel"]].vars["MUTED"] = h.get("state", "")
            writer.write(_msg([*ok, ("Message", "Audio muting state changed")]))
        elif action in ("hangup", "redirect", "setvar", "getvar"):
            name = h.get("channel")
            chan = self.channels.get(name or "")
            if name and chan is None:
                message = {"redirect": f"Channel does not exist: {name}"}.get(action, "No such channel")
                writer.write(_msg([*err, ("Message", message)]))
                return
            if action == "hangup" and chan is not None:
                del self.channels[chan.name]
                writer.write(_msg([*ok, ("Message", "Channel Hungup")]))
                self.emit("Hangup", Channel=chan.name, Uniqueid=chan.uniqueid, Cause="0", **{"Cause-txt": "Unknown"})
            elif action == "redirect":
                writer.write(_msg([*ok, ("Message", "Redirect successful")]))
            elif action == "setvar":
                (chan.vars if chan else {})[h.get("variable", "")] = h.get("value", "")
                writer.write(_msg([*ok, ("Message", "Variable Set")]))
            else:
                value = chan.vars.get(h.get("variable", ""), "") if chan else ""
                writer.write(_msg([*ok, ("Variable", h.get("variable", "")), ("Value", value)]))
        elif action == "devicestatelist":
            writer.write(_msg([*ok, ("EventList", "start"), ("Message", "Device State Changes will follow")]))
            for device, state in self.device_states.items():
                writer.write(_msg([("Event", "DeviceStateChange"), *aid, ("Device", device), ("State", state)]))
            writer.write(_msg([("Event", "DeviceStateListComplete"), *aid, ("EventList", "Complete"),
                               ("ListItems", str(len(self.device_states)))]))
        elif action == "coreshowchannels":
            writer.write(_msg([*ok, ("EventList", "start"), ("Message", "Channels will follow")]))
            for chan in self.channels.values():
                writer.write(_msg([("Event", "CoreShowChannel"), *aid, ("Channel", chan.name),
                                   ("Uniqueid", chan.uniqueid)]))
            writer.write(_msg([("Event", "CoreShowChannelsComplete"), *aid, ("EventList", "Complete"),
                               ("ListItems", str(len(self.channels)))]))
        elif action == "command":
            if "command" not in h:
                writer.write(_msg([*err, ("Message", "No command provided")]))
                return
            writer.write(_msg([*ok, ("Message", "Command output follows"),
                               ("Output", "Asterisk 22.10.1 built by root @ vm on a x86_64 running Linux")]))
        else:
            writer.write(_msg([*err, ("Message", f"Invalid/unknown command: {h.get('action')}. Use Action: "
                                                 "ListCommands to show available commands.")]))


def _msg(headers: list[tuple[str, str]]) -> bytes:
    return ("".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n").encode()
