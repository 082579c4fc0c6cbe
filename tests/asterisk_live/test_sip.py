"""One call over real SIP on 127.0.0.1: a baresip caller (registered as the lab's `citizen` endpoint,
entering like a carrier call) and the demo agent bj-agent-01's softphone (baresip registered as the
example config's PJSIP endpoint agent-1, auto-answering). Keys go as RFC 2833/4733 events; the caller's
softphone records what it hears."""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.asterisk_live import audio
from tests.asterisk_live.conftest import CITIZEN_PASSWORD, Call
from tests.asterisk_live.heard import measure
from tests.asterisk_live.softphone import Softphone

# the first test of a session also starts Asterisk and a node
pytestmark = [pytest.mark.asterisk, pytest.mark.slow, pytest.mark.timeout(900)]


@dataclass
class SipCall(Call):
    channel_uid: str = ""
    phone: Any = None

    @property
    def agi_uid(self) -> str:  # type: ignore[override]
        return self.channel_uid

    @property
    def rec(self) -> Path:  # type: ignore[override]
        found = self.phone.recording()
        assert found is not None, "the caller's softphone recorded nothing:\n" + self.phone.output()[-2000:]
        return found

    def press(self, keys: str, gap_s: float = 0.4) -> None:
        self.phone.keys(keys, gap_s)


def _channels(live, prefix: str, state: str | None = None) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    return [c for c in live.channels() if c.get("Channel", "").startswith(prefix)
            and (state is None or c.get("ChannelStateDesc") == state)]


def test_sip_caller_and_agent_softphones_rfc2833_and_console_hangup(live) -> None:  # type: ignore[no-untyped-def]
    sip_port = live.lab.cfg.sip_port
    voice = live.speech("您好，我是十二三三三的坐席，请问有什么可以帮您？").path
    # baresip ends a call when its audio file ends: both files outlast the call
    silence, talk = live.dir / "silence.wav", live.dir / "agent-talk.wav"
    subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", str(silence), "trim", "0", "400"], check=True)
    subprocess.run(["sox", str(voice), str(talk), "pad", "0.5", "400"], check=True)
    agent = Softphone(live.dir / "sp-agent-1", user="agent-1", password="change-me-agent-1", sip_port=sip_port,
                      source_wav=talk, auto_answer=True)
    caller = Softphone(live.dir / "sp-citizen", user="citizen", password=CITIZEN_PASSWORD, sip_port=sip_port,
                       source_wav=silence)
    call = None
    try:
        live.wait_for(lambda: all(f"{u}/sip:" in live.lab.rx("pjsip show contacts") for u in ("agent-1", "citizen")),
                      30, "both softphones registered")
        live.api("bj-agent-01", "POST", "/agent/ready")
        since = len(live.ami.events)
        caller.dial(f"sip:12333@127.0.0.1:{sip_port}")
        first = live.ami.wait_event(lambda m: m.event == "AGIExecStart"
                                    and m.get("Channel", "").startswith("PJSIP/citizen-"), timeout=60, since=since)
        call = SipCall(live, "13800138000", since=since, cursor=since, channel_uid=first["Uniqueid"], phone=caller)
        call.keys("0", "1")        # an agent; the province confirmed: keys as RFC 4733 events
        dtmf = [m.get("Digit") for _, m in live.ami.events[since:]
                if m.event == "DTMFEnd" and m.get("Uniqueid") == call.agi_uid and m.get("Direction") == "Received"]
        assert dtmf[:2] == ["0", "1"], dtmf
        offer = live.wait_for(lambda: (live.api("bj-agent-01", "GET", "/agent/status").get("offer") or {})
                              .get("call_id"), 90, "an offer to bj-agent-01")
        live.api("bj-agent-01", "POST", f"/agent/calls/{offer}/accept")
        live.wait_for(lambda: _channels(live, "PJSIP/agent-1-", "Up"), 30, "the agent's softphone answered")
        answered_at = time.monotonic()
        assert _channels(live, "PJSIP/citizen-", "Up")
        time.sleep(len(audio.samples(voice)) / audio.RATE + 2)   # the agent's voice reaches the caller
        # hold from the console: the caller hears music while the agent's phone (now sending silence) is muted
        live.api("bj-agent-01", "POST", "/agent/hold")
        held_at = time.monotonic()
        time.sleep(5)
        live.api("bj-agent-01", "POST", "/agent/resume")
        resumed_at = time.monotonic()
        time.sleep(1)
        live.api("bj-agent-01", "POST", "/agent/hangup")
        live.wait_for(lambda: not _channels(live, "PJSIP/agent-1-"), 15,
                      "the agent leg hung up on Asterisk after the console's hang-up")
        time.sleep(1)
        caller.hangup()
        live.wait_for(lambda: not _channels(live, "PJSIP/citizen-"), 20, "the caller's channel gone")
    finally:
        caller.stop()
        agent.stop()
        live.sign_out("bj-agent-01")
    assert call is not None
    heard = measure(call)
    print("\n".join(h.line() for h in heard))
    assert len(heard) >= 3
    offset, share = audio.locate(call.heard(), audio.samples(voice))
    print(f"agent's voice in the caller's recording: at {offset:.1f}s, found {share:.2f}")
    assert share >= 0.6
    # the softphone's recording runs in real time (RTP never stops): place the hold by the voice
    hold_start = offset - 0.5 + (held_at - answered_at) + 1.0
    during = audio.sox_stat(call.rec, hold_start, max(1.0, resumed_at - held_at - 2.0))
    before = audio.sox_stat(call.rec, hold_start - 3.0, 1.5)
    print(f"on hold (from {hold_start:.1f}s): rms {during.rms:.3f} max {during.max_amp:.2f}; "
          f"the agent's silence before it: rms {before.rms:.3f}")
    assert during.audible() and during.rms > 3 * before.rms
