"""Calls through a real Asterisk 22 into a real node, over Local channels driven by AMI (Originate,
PlayDTMF): what the caller hears is recorded on the caller's side and measured."""

from __future__ import annotations

import pytest

from tests.asterisk_live import audio
from tests.asterisk_live.heard import measure

pytestmark = [pytest.mark.asterisk, pytest.mark.slow]


def _no_missing_audio(live, call) -> None:  # type: ignore[no-untyped-def]
    messages = live.lab.messages()
    bad = [line for line in messages.splitlines()
           if call.agi_uid.split("-")[0] in line or "Playback failed" in line or "does not exist in any format" in line]
    bad = [line for line in bad if "Playback failed" in line or "does not exist" in line or "Unable to open" in line]
    assert not bad, "\n".join(bad[:10])


def test_knowledge_call_every_prompt_and_the_answer_heard(live) -> None:  # type: ignore[no-untyped-def]
    call = live.call("13800138000")
    # pension menu; "transfer of the pension account": the knowledge answer; SMS it; end the call
    call.keys("1", "1", "1", "1")
    call.wait_end()
    heard = measure(call)
    print("\n".join(h.line() for h in heard))
    assert len(heard) >= 6
    total = audio.sox_stat(call.rec)
    print(f"recording {total.length_s:.1f}s rms {total.rms:.3f}")
    assert total.audible()
    commands = [c for c, _, _ in call.agi()]
    assert any(c.startswith("SET VARIABLE HOTLINE_DONE") for c in commands), commands
    _no_missing_audio(live, call)
