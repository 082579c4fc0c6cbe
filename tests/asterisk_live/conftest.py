"""A real Asterisk 22 and a real platform node for the end-to-end voice tests.

Session fixtures: `lab` (Asterisk started from the project's example configuration on loopback-only
ports, see ivr/asterisk/lab.py) and `live` (a `hotline serve` node pointed at it with HOTLINE_AMI_*,
demo data, every center open around the clock so the agent path works at any hour, API tokens for
two demo agents, and an AMI session of the test's own to drive calls). Outside CI a missing Asterisk
skips these tests with the reason; under CI it fails them.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from ivr.asterisk.lab import AsteriskLab, LabConfig, NodeProcess, SyncAMI, find_prefix, free_port, generate
from tests.asterisk_live import audio

FALLBACK_TIMEOUT_S = 6
OPEN_ALL_DAY = {d: [["00:00", "23:59"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}

# Test-only dialplan appended to the example's: the caller's half of a Local call records what it hears.
LAB_DIALPLAN = """
; ---- tests/asterisk_live: the caller's side of a Local call and a Local "softphone" ----
[hl-lab-caller]
exten => s,1,MixMonitor(${HL_REC})
 same => n,Wait(${HL_WAIT})
 same => n,Hangup()

[hl-lab-agent]
exten => _X.,1,Answer()
 same => n,Set(HL_AGENT_CHANNEL=${CHANNEL})
 same => n,Playback(hello-world)
 same => n,Wait(600)
 same => n,Hangup()
"""


# A caller arriving like a carrier call (context from-national) from a SIP softphone on loopback.
CITIZEN_PASSWORD = "lab-citizen-secret"
LAB_PJSIP = f"""
; ---- tests/asterisk_live: a SIP caller (baresip) entering like a carrier call ----
[citizen]
type = endpoint
context = from-national
disallow = all
allow = alaw,ulaw
auth = citizen
aors = citizen
direct_media = no
dtmf_mode = rfc4733
callerid = "" <13800138000>
[citizen]
type = aor
max_contacts = 1
remove_existing = yes
[citizen]
type = auth
auth_type = userpass
username = citizen
password = {CITIZEN_PASSWORD}
"""


def _require_asterisk() -> Path:
    prefix = find_prefix()
    missing = [] if prefix else ["Asterisk 22 (/opt/ast22 or $ASTERISK_PREFIX; scripts/install-system-deps "
                                 "installs it from ../shared/asterisk/dist)"]
    missing += [tool for tool in ("sox", "espeak-ng", "baresip") if not shutil.which(tool)]
    if missing:
        message = "real-Asterisk tests need: " + ", ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(message + " (CI requires it)")
        pytest.skip(message)
    assert prefix is not None
    return prefix


def _hotline(data_dir: Path, *args: str, env: dict[str, str] | None = None) -> str:
    extra = env or {}
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "RECORDS_DATABASE_URL", "REDIS_URL")}
    env.update(HOTLINE_DATA_DIR=str(data_dir), HOTLINE_DEMO="1", **extra)
    out = subprocess.run([sys.executable, "-m", "hotline.cli", *args], env=env, capture_output=True, text=True,
                         timeout=600)
    if out.returncode:
        raise RuntimeError(f"hotline {' '.join(args)} failed:\n{out.stdout}\n{out.stderr}")
    return out.stdout


@dataclass
class Call:
    """One test call: AMI Originate of `Local/<exten>@from-national`, whose caller half records."""

    live: Live
    caller: str
    uid: str = field(default_factory=lambda: uuid.uuid4().hex[:10])
    since: int = 0
    cursor: int = 0
    caller_channel: str = ""
    fresh: bool = True       # no keys pressed yet: the first WAIT FOR DIGIT is an input point
    t0: float = 0.0

    @property
    def rec(self) -> Path:
        return self.live.dir / f"rec-{self.uid}.wav"

    @property
    def agi_uid(self) -> str:
        return f"{self.uid}-2"

    def start(self, exten: str = "12333", wait_s: int = 240) -> Call:
        ami = self.live.ami
        self.since = self.cursor = len(ami.events)
        reply = ami.action("Originate", Channel=f"Local/{exten}@from-national", Context="hl-lab-caller", Exten="s",
                           Priority=1, CallerID=f'"" <{self.caller}>', ChannelId=f"{self.uid}-1",
                           OtherChannelId=self.agi_uid, Variable=[f"HL_REC={self.rec}", f"HL_WAIT={wait_s}"],
                           Async="true")
        assert reply.get("Response") == "Success", reply.as_dict()
        msg = ami.wait_event(lambda m: m.event == "Newchannel" and m.get("Uniqueid") == f"{self.uid}-1",
                             since=self.since)
        self.caller_channel = msg["Channel"]
        self.t0 = time.monotonic()    # about when the caller's recording starts
        return self

    # -- what the platform does on the call ---------------------------------------------------------
    def agi(self) -> list[tuple[str, str, str]]:
        """(Command, Result of its AGIExecEnd, ResultCode) in order, for this call's AGI channel."""
        ends: dict[str, Any] = {}
        starts: list[Any] = []
        for _, m in self.live.ami.events[self.since:]:
            if m.get("Uniqueid") != self.agi_uid:
                continue
            if m.event == "AGIExecStart":
                starts.append(m)
            elif m.event == "AGIExecEnd":
                ends[m.get("CommandId", "")] = m
        out = []
        for m in starts:
            end = ends.get(m.get("CommandId", ""))
            out.append((m.get("Command", ""), end.get("Result", "") if end else "", end.get("ResultCode", "") if end
                        else ""))
        return out

    def next_input(self, timeout: float = 60.0) -> str:
        """Wait until the platform collects keys (GET DATA, WAIT FOR DIGIT) after a new prompt, and that
        prompt has played. (The WAIT FOR DIGITs still reading the keys just pressed do not count.)"""
        ami = self.live.ami
        deadline = time.monotonic() + timeout
        prompted = self.fresh
        while True:
            i = self.cursor
            msg = ami.wait_event(lambda m: m.get("Uniqueid") == self.agi_uid and m.event in ("AGIExecStart", "Hangup"),
                                 timeout=max(0.1, deadline - time.monotonic()), since=i)
            self.cursor = next(n for n in range(i, len(ami.events)) if ami.events[n][1] is msg) + 1
            if msg.event == "Hangup":
                raise AssertionError(f"the call ended while waiting for an input point: {self.agi()}")
            command = msg.get("Command", "")
            word = command.upper()
            if word.startswith("STREAM FILE"):
                prompted = True
            if word.startswith("WAIT FOR DIGIT") and prompted:
                self.fresh = False
                return command
            if word.startswith("GET DATA"):
                self.fresh = False
                clip = self.live.clip(command.split()[2])
                time.sleep(len(clip) / audio.RATE + 0.3 if clip is not None else 1.0)
                return command

    def press(self, keys: str, gap_s: float = 0.15) -> None:
        for key in keys:
            reply = self.live.ami.action("PlayDTMF", Channel=self.caller_channel, Digit=key, Duration=120)
            assert reply.get("Response") == "Success", reply.as_dict()
            time.sleep(gap_s)

    def keys(self, *inputs: str) -> None:
        """For each input: wait for the next input point, then press its keys."""
        for keys in inputs:
            self.next_input()
            self.press(keys)

    def hangup(self) -> None:
        self.live.ami.action("Hangup", Channel=self.caller_channel)

    def wait_end(self, timeout: float = 120.0) -> None:
        self.live.ami.wait_event(lambda m: m.event == "Hangup" and m.get("Uniqueid") == f"{self.uid}-1",
                                 timeout=timeout, since=self.since)
        self.dump()
        # MixMonitor closes the file once the channel is gone
        deadline = time.monotonic() + 10
        size = -1
        while time.monotonic() < deadline:
            now = self.rec.stat().st_size if self.rec.exists() else -1
            if now > 44 and now == size:
                return
            size = now
            time.sleep(0.3)

    def dump(self) -> Path:
        """This call's AMI events, for reading after a failure (`--basetemp` keeps them)."""
        path = self.live.dir / f"events-{self.uid}.txt"
        with path.open("w", encoding="utf-8") as out:
            for t, m in self.live.ami.events[self.since:]:
                if self.uid in (m.get("Uniqueid") or "") or self.uid in (m.get("Linkedid") or ""):
                    out.write(f"{t:.3f} {m.event} {m.get('Channel')} "
                              f"{m.get('Command') or m.get('Digit') or m.get('Result') or ''}\n")
        return path

    def heard(self) -> Any:
        return audio.samples(self.rec)

    def transcript(self) -> str:
        """The call's AGI commands and results (for failure messages)."""
        return "\n".join(f"  {c[:110]} -> {r} {code}" for c, r, code in self.agi())

    def played_keys(self) -> list[str]:
        """The speech-cache keys of the prompts played (URL or file stem: the last path part, no suffix)."""
        return [t.strip('"').rsplit("/", 1)[-1].split("?")[0].removesuffix(".wav").removesuffix(".sln")
                for t in self.prompts()]

    def prompts(self) -> list[str]:
        """What the platform asked Asterisk to play on this call (file or URL), in order."""
        found = []
        for command, _, _ in self.agi():
            parts = command.split()
            word = " ".join(parts[:2]).upper()
            if word in ("STREAM FILE", "GET DATA", "EXEC PLAYBACK") and len(parts) > 2:
                found.append(parts[2])
        return found


@dataclass
class Live:
    dir: Path
    lab: AsteriskLab
    node: NodeProcess
    ami: SyncAMI
    tokens: dict[str, str]
    agent_ids: dict[str, int]
    _clips: dict[str, Any] = field(default_factory=dict)

    @property
    def sounds(self) -> Path:
        return self.lab.cfg.sounds

    def call(self, caller: str = "13800138000", exten: str = "12333", wait_s: int = 240) -> Call:
        return Call(self, caller).start(exten, wait_s)

    def clip(self, target: str) -> Any:
        """The audio of what STREAM FILE / GET DATA / Playback played: a URL the node serves, an absolute
        file stem, or a sound name under the lab's sounds directory. None when it cannot be found."""
        target = target.strip('"')
        if target in self._clips:
            return self._clips[target]
        data = None
        if target.startswith("http"):
            try:
                with urllib.request.urlopen(target, timeout=10) as r:
                    data = r.read()
            except OSError:
                data = None
        else:
            base = Path(target) if target.startswith("/") else None
            candidates = [base] if base else [self.sounds / lang / target for lang in ("zh", "en", "")]
            for stem in candidates:
                for ext in ("", ".wav"):
                    path = Path(str(stem) + ext)
                    if path.is_file():
                        data = path.read_bytes()
                        break
                if data:
                    break
        clip = audio.samples(data) if data else None
        self._clips[target] = clip
        return clip

    def api(self, user: str, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        req = urllib.request.Request(self.node.url + "/api/v1" + path, method=method,
                                     data=json.dumps(body or {}).encode() if method != "GET" else None,
                                     headers={"Authorization": f"Bearer {self.tokens[user]}",
                                              "Content-Type": "application/json", "Accept": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read() or b"null")

    def sign_out(self, user: str) -> None:
        """End a test's agent session whatever state the test left it in (offered, on a call, wrapping
        up), so that a failed test does not leave the agent busy for the next one."""
        status = self.api(user, "GET", "/agent/status")
        steps = {"offered": [("POST", f"/agent/calls/{status.get('call_id')}/decline", None)],
                 "on_call": [("POST", "/agent/hangup", None)]}.get(status.get("state") or "", [])
        for method, path, body in steps:
            try:
                self.api(user, method, path, body)
            except urllib.error.HTTPError:
                pass  # the call ended meanwhile
        if self.api(user, "GET", "/agent/status").get("state") == "wrap_up":
            self.api(user, "POST", "/agent/wrap-up", {"disposition": "resolved", "ready": False})
        self.api(user, "POST", "/agent/logout")

    def channels(self) -> list[dict[str, str]]:
        return self.ami.channels()

    def hotline(self, *args: str) -> str:
        """The `hotline` command line on the node's data directory (its output)."""
        return _hotline(self.node.data_dir, *args)

    def speech_key(self, text: str, language: str = "zh") -> str:
        """The cache key the node's speech layer gives this text (the last part of the URLs it plays)."""
        return self.speech(text, language).key

    def speech(self, text: str, language: str = "zh") -> Any:
        """The node's speech layer's rendering of this text (`Rendered`: key, path)."""
        from types import SimpleNamespace

        from ivr.speech.config import SpeechConfig
        from ivr.speech.service import SpeechService

        settings = SimpleNamespace(data_dir=self.node.data_dir, web_host="127.0.0.1", web_port=self.node.web_port,
                                   extra={})
        return SpeechService(SpeechConfig.from_settings(settings)).render(text, language)

    def wait_for(self, cond: Any, timeout: float = 30.0, what: str = "condition") -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = cond()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"{what} not reached within {timeout:.0f} s")
            time.sleep(0.3)

    def wait_idle(self, timeout: float = 30.0) -> None:
        """No channel left on Asterisk (between tests)."""
        deadline = time.monotonic() + timeout
        while self.channels():
            if time.monotonic() > deadline:
                for ch in self.channels():
                    self.ami.action("Hangup", Channel=ch["Channel"])
                time.sleep(1)
                return
            time.sleep(0.5)


def _prepare_node_data(data: Path, users: tuple[str, ...] = ("agent", "bj-agent-01"), local_agent: str = "agent",
                       env: dict[str, str] | None = None) -> tuple[dict[str, str], dict[str, int]]:
    """Demo data, every center open all day (the tests run at any hour), API tokens for `users`; the
    `local_agent`'s phone is a Local "softphone" (hl-lab-agent) on this Asterisk."""
    _hotline(data, "init", "--demo", env=env)
    db = sqlite3.connect(data / "hotline.db")
    with db:
        db.execute("UPDATE switch_centers SET weekly_hours = ?", (json.dumps(OPEN_ALL_DAY),))
        marks = ",".join("?" * len(users))
        ids = dict(db.execute("SELECT u.username, a.id FROM acd_agents a JOIN users u ON u.id = a.user_id "
                              f"WHERE u.username IN ({marks})", users).fetchall())
        # the Local-channel tests' "softphone" for the demo agent; the others keep their PJSIP one
        db.execute("UPDATE acd_agents SET endpoint = ? WHERE id = ?",
                   (f"Local/{ids[local_agent]}@hl-lab-agent", ids[local_agent]))
    db.close()
    tokens = {user: _hotline(data, "users", "token", user, "--name", "asterisk-live", env=env).strip().splitlines()[-1]
              for user in users}
    return tokens, ids


@pytest.fixture(scope="session")
def lab_prefix() -> Path:
    return _require_asterisk()


@pytest.fixture(scope="session")
def live(lab_prefix: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    base = tmp_path_factory.mktemp("ast")
    agi_port, web_port = free_port(), free_port()
    tokens, agent_ids = _prepare_node_data(base / "node", ("agent", "bj-agent-01", "supervisor"))
    cfg = generate(LabConfig(base / "lab", prefix=lab_prefix, agi_url=f"agi://127.0.0.1:{agi_port}/12333",
                             fallback_timeout_s=FALLBACK_TIMEOUT_S, extra_dialplan=LAB_DIALPLAN,
                             extra_pjsip=LAB_PJSIP))
    _hotline(base / "node", "asterisk", "setup", "--sounds", str(cfg.sounds))
    lab = AsteriskLab(cfg).start()
    node = None
    ami = None
    try:
        node = NodeProcess(base / "node", cfg, web_port=web_port, agi_port=agi_port).start()
        ami = SyncAMI(cfg.ami_port, cfg.lab_username, cfg.ami_secret)
        yield Live(base, lab, node, ami, tokens, agent_ids)
    finally:
        if ami is not None:
            ami.close()
        if node is not None:
            node.stop()
        lab.stop()
