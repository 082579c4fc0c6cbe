"""One call over real SIP on 127.0.0.1: a baresip caller (registered as the lab's `citizen` endpoint,
entering like a carrier call) and the demo agent bj-agent-01's softphone (baresip registered as the
example config's PJSIP endpoint agent-1, auto-answering). Keys go as RFC 2833/4733 events; the caller's
softphone records what it hears."""

from __future__ import annotations

import subprocess
import time

import pytest

from tests.asterisk_live import audio
from tests.asterisk_live.heard import measure
from tests.asterisk_live.softphone import AGENT_ENDPOINT, AGENT_USER, agent_answers, channels

# the first test of a session also starts Asterisk and a node
pytestmark = [pytest.mark.asterisk, pytest.mark.slow, pytest.mark.timeout(900)]


def test_sip_caller_and_agent_softphones_rfc2833_and_console_hangup(live) -> None:  # type: ignore[no-untyped-def]
    voice = live.speech("您好，我是十二三三三的坐席，请问有什么可以帮您？").path
    # baresip ends a call when its audio file ends: both files outlast the call
    silence, talk = live.dir / "silence.wav", live.dir / "agent-talk.wav"
    subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", str(silence), "trim", "0", "400"], check=True)
    subprocess.run(["sox", str(voice), str(talk), "pad", "0.5", "400"], check=True)
    with agent_answers(live, caller_source=silence, agent_source=talk) as call:
        answered_at = time.monotonic()
        dtmf = [m.get("Digit") for _, m in live.ami.events[call.since:]
                if m.event == "DTMFEnd" and m.get("Uniqueid") == call.agi_uid and m.get("Direction") == "Received"]
        assert dtmf[:2] == ["0", "1"], dtmf
        time.sleep(len(audio.samples(voice)) / audio.RATE + 2)   # the agent's voice reaches the caller
        # hold from the console: the caller hears music while the agent's phone (now sending silence) is muted
        live.api(AGENT_USER, "POST", "/agent/hold")
        held_at = time.monotonic()
        time.sleep(5)
        live.api(AGENT_USER, "POST", "/agent/resume")
        resumed_at = time.monotonic()
        time.sleep(1)
        live.api(AGENT_USER, "POST", "/agent/hangup")
        live.wait_for(lambda: not channels(live, f"PJSIP/{AGENT_ENDPOINT}-"), 15,
                      "the agent leg hung up on Asterisk after the console's hang-up")
        time.sleep(1)
        call.phone.hangup()
        live.wait_for(lambda: not channels(live, "PJSIP/citizen-"), 20, "the caller's channel gone")
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
