"""Console actions through the REST API during a bridged call on a real Asterisk, with the channel
state checked on Asterisk: hold and resume (a [hotline-hold] channel whispering music to the caller
while the agent leg is muted), then a transfer to another queue (the agent leg ends, the caller is
re-queued and announced, no survey). The console's hang-up: test_calls.py and test_sip.py."""

from __future__ import annotations

import time

import pytest

# the first test of a session also starts Asterisk and a node
pytestmark = [pytest.mark.asterisk, pytest.mark.slow, pytest.mark.timeout(900)]

SURVEY = "请对本次服务进行评价：非常满意请按1，满意请按2，一般请按3，不满意请按4。"


def _agent_legs(live) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    return [c for c in live.channels() if c.get("Context") == "hl-lab-agent"]


def _hold_legs(live) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    return [c for c in live.channels() if "hotline-hold" in c.get("Channel", "") or c.get("Context") == "hotline-hold"]


def test_hold_resume_and_transfer_from_the_console(live) -> None:  # type: ignore[no-untyped-def]
    live.api("agent", "POST", "/agent/ready")
    call = None
    try:
        call = live.call("13800138000")
        call.keys("0", "1")
        offer = live.wait_for(lambda: (live.api("agent", "GET", "/agent/status").get("offer") or {}).get("call_id"),
                              90, "an offer to the agent")
        live.api("agent", "POST", f"/agent/calls/{offer}/accept")
        live.wait_for(lambda: _agent_legs(live), 30, "the agent leg on Asterisk")
        time.sleep(2)
        # hold: music reaches the caller (a Local channel of [hotline-hold]); resume removes it
        live.api("agent", "POST", "/agent/hold")
        held_at = time.monotonic()
        live.wait_for(lambda: _hold_legs(live), 15, "the hold channel on Asterisk")
        assert _agent_legs(live), "hold must not end the agent leg"
        time.sleep(4)
        live.api("agent", "POST", "/agent/resume")
        live.wait_for(lambda: not _hold_legs(live), 15, "the hold channel gone after resume")
        hold_s = time.monotonic() - held_at
        assert _agent_legs(live), "resume keeps the agent leg"
        # transfer to another queue: the agent leg ends, the caller stays on the line in the new queue
        before = len(call.agi())
        live.api("agent", "POST", "/agent/transfer", {"topic": "medical"})
        live.wait_for(lambda: not _agent_legs(live), 15, "the agent leg ended by the transfer")
        live.wait_for(lambda: any(c.upper().startswith(("STREAM FILE", "SET MUSIC"))
                                  for c, _, _ in call.agi()[before:]), 30, "the caller announced in the new queue")
        assert [c for c in live.channels() if call.uid in c.get("Uniqueid", "")], "the caller must stay on the line"
        time.sleep(3)
        call.hangup()
        call.wait_end(30)
    finally:
        live.sign_out("agent")
    assert call is not None
    after = call.agi()[before:]
    assert not any(c.startswith("SET VARIABLE HOTLINE_DONE") for c, _, _ in after), call.transcript()
    assert live.speech_key(SURVEY) not in call.played_keys(), "the survey played after a transfer"
    # the hold channel whispered into the caller's channel (ChanSpy on the AGI channel). Whether the
    # music is heard is measured in test_sip.py: this Local "softphone" sends no frames while it waits,
    # and a whisper is mixed into frames flowing to the caller.
    attach = [line for line in live.lab.messages().splitlines() if "Attaching spy channel" in line]
    assert any(call.caller_channel.replace(";1", ";2") in line for line in attach), attach
    print(f"hold {hold_s:.1f}s: {attach[-1] if attach else ''}")
