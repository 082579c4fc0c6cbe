"""baresip (Debian) as a SIP softphone on 127.0.0.1 for the real-Asterisk tests: registers to a PJSIP
endpoint of the lab, auto-answers when asked to, sends what an audio file holds (baresip ends the call when the file
ends: pad it to outlast the call), records what it
receives (the `sndfile` module's `dump-*-dec.wav`) and sends keys as RFC 2833/4733 events (typed on
its console, which is a pseudo-terminal here).

`agent_answers(live, ...)`: a call over real SIP, from the citizen's softphone dialling 12333 to the
demo agent bj-agent-01's auto-answering softphone (the example config's PJSIP endpoint agent-1)."""

from __future__ import annotations

import os
import pty
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ivr.asterisk.lab import free_port
from tests.asterisk_live.conftest import CITIZEN_PASSWORD, Call

AGENT_USER, AGENT_ENDPOINT, AGENT_PASSWORD = "bj-agent-01", "agent-1", "change-me-agent-1"


class Softphone:
    def __init__(self, directory: Path, *, user: str, password: str, sip_port: int, source_wav: Path,
                 auto_answer: bool = False) -> None:
        self.dir, self.user = directory, user
        directory.mkdir(parents=True, exist_ok=True)
        port = free_port(socket.SOCK_DGRAM)
        rtp = 20000 + (port % 200) * 50
        (directory / "config").write_text(
            f"poll_method epoll\nsip_listen 127.0.0.1:{port}\nmodule_path /usr/lib/baresip/modules\n"
            "module stdio.so\nmodule g711.so\nmodule aufile.so\nmodule aubridge.so\nmodule sndfile.so\n"
            "module_app account.so\nmodule_app menu.so\n"
            f"audio_player aubridge,{user}\naudio_source aufile,{source_wav}\nsnd_path {directory}\n"
            f"rtp_ports {rtp}-{rtp + 49}\n", encoding="utf-8")
        answer = ";answermode=auto" if auto_answer else ""
        (directory / "accounts").write_text(
            f"<sip:{user}@127.0.0.1:{sip_port}>;auth_pass={password};regint=600;audio_codecs=PCMA,PCMU{answer}\n",
            encoding="utf-8")
        self.master, slave = pty.openpty()
        self.log = directory / "baresip.log"
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(["baresip", "-f", str(directory)], stdin=slave, stdout=out,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        os.close(slave)

    def type(self, text: str) -> None:
        os.write(self.master, text.encode())

    def dial(self, uri: str) -> None:
        self.type(f"/dial {uri}\r")

    def keys(self, digits: str, gap_s: float = 0.4) -> None:
        for d in digits:
            self.type(d)
            time.sleep(gap_s)

    def hangup(self) -> None:
        self.type("/hangup\r")

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def recording(self) -> Path | None:
        dumps = sorted(self.dir.glob("dump-*-dec.wav"), key=lambda p: p.stat().st_mtime)
        return dumps[-1] if dumps else None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.type("q")
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGTERM)
                try:
                    self.proc.wait(5)
                except subprocess.TimeoutExpired:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                    self.proc.wait(5)
        try:
            os.close(self.master)
        except OSError:
            pass


@dataclass
class SipCall(Call):
    """A call placed by the citizen's softphone: the AGI channel is the PJSIP one, keys go as RFC 4733
    events and `rec` is what the caller's softphone heard."""

    channel_uid: str = ""
    phone: Any = None

    @property
    def agi_uid(self) -> str:  # type: ignore[override]
        return self.channel_uid

    @property
    def call_id(self) -> str:
        """The platform's id of this call (ivr/asterisk/channel.py: `ast-<AGI Uniqueid>`)."""
        return f"ast-{self.channel_uid}"

    @property
    def rec(self) -> Path:  # type: ignore[override]
        found = self.phone.recording()
        assert found is not None, "the caller's softphone recorded nothing:\n" + self.phone.output()[-2000:]
        return found

    def press(self, keys: str, gap_s: float = 0.4) -> None:
        self.phone.keys(keys, gap_s)


def channels(live: Any, prefix: str, state: str | None = None) -> list[dict[str, str]]:
    """Asterisk's channels whose name starts with `prefix` (e.g. "PJSIP/agent-1-"), optionally in `state`."""
    return [c for c in live.channels() if c.get("Channel", "").startswith(prefix)
            and (state is None or c.get("ChannelStateDesc") == state)]


@contextmanager
def agent_answers(live: Any, *, caller_source: Path, agent_source: Path) -> Iterator[SipCall]:
    """The citizen's softphone (sending `caller_source`) dials 12333 and keys 0 (an agent) and 1 (the
    province confirmed); bj-agent-01, ready, accepts the offer in the console and its softphone
    (sending `agent_source`) answers. Yields the call once both channels are up; afterwards both
    softphones stop and the agent is wrapped up and logged out. The audio files must outlast the call
    (baresip hangs up when its file ends)."""
    sip_port = live.lab.cfg.sip_port
    tag = uuid.uuid4().hex[:6]
    agent = Softphone(live.dir / f"sp-{AGENT_ENDPOINT}-{tag}", user=AGENT_ENDPOINT, password=AGENT_PASSWORD,
                      sip_port=sip_port, source_wav=agent_source, auto_answer=True)
    caller = Softphone(live.dir / f"sp-citizen-{tag}", user="citizen", password=CITIZEN_PASSWORD, sip_port=sip_port,
                       source_wav=caller_source)
    try:
        live.wait_for(lambda: all(f"{u}/sip:" in live.lab.rx("pjsip show contacts")
                                  for u in (AGENT_ENDPOINT, "citizen")), 30, "both softphones registered")
        live.api(AGENT_USER, "POST", "/agent/ready")
        since = len(live.ami.events)
        caller.dial(f"sip:12333@127.0.0.1:{sip_port}")
        first = live.ami.wait_event(lambda m: m.event == "AGIExecStart"
                                    and m.get("Channel", "").startswith("PJSIP/citizen-"), timeout=60, since=since)
        call = SipCall(live, "13800138000", since=since, cursor=since, channel_uid=first["Uniqueid"], phone=caller)
        call.keys("0", "1")        # an agent; the province confirmed: keys as RFC 4733 events
        offer = live.wait_for(lambda: (live.api(AGENT_USER, "GET", "/agent/status").get("offer") or {})
                              .get("call_id"), 90, f"an offer to {AGENT_USER}")
        live.api(AGENT_USER, "POST", f"/agent/calls/{offer}/accept")
        live.wait_for(lambda: channels(live, f"PJSIP/{AGENT_ENDPOINT}-", "Up"), 30, "the agent's softphone answered")
        assert channels(live, "PJSIP/citizen-", "Up")
        yield call
    finally:
        caller.stop()
        agent.stop()
        live.sign_out(AGENT_USER)
