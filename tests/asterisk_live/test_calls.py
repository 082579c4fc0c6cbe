"""Calls through a real Asterisk 22 into a real node, over Local channels driven by AMI (Originate,
PlayDTMF): what the caller hears is recorded on the caller's side and measured."""

from __future__ import annotations

import pytest

from tests.asterisk_live import audio
from tests.asterisk_live.heard import measure

# the first test of a session also starts Asterisk and a node
pytestmark = [pytest.mark.asterisk, pytest.mark.slow, pytest.mark.timeout(900)]


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


def test_record_self_service_with_the_demo_citizen(live) -> None:  # type: ignore[no-untyped-def]
    """Menu 7, province confirmed, ID with `*` for X and `#`, confirm, password 246810 and `#`: the
    '#' is never read as a wrong key, the identity check passes and the summary is heard in full."""
    call = live.call("13900001234")
    call.keys("7", "1", "11010519491231002*#", "1", "1", "246810#")
    call.next_input()          # the menu after the summary: everything before it has played
    call.hangup()
    call.wait_end()
    keys = call.played_keys()
    invalid = {live.speech_key("对不起，您的输入有误。"), live.speech_key("对不起，您的输入有误，请重新输入。")}
    assert not invalid & set(keys), "a '#' was taken as a wrong key:\n" + call.transcript()
    verified = live.speech_key("身份验证成功。")
    assert verified in keys, call.transcript()
    heard = measure(call)
    print("\n".join(h.line() for h in heard))
    after = [h for h in heard[keys.index(verified) + 1:]]
    summary = max(after, key=lambda h: h.prompt_s)
    assert summary.prompt_s > 8 and summary.match >= 0.6 and summary.stat.audible(), summary.line()
    _no_missing_audio(live, call)


@pytest.mark.parametrize("stage", ["ringing", "welcome", "menu", "id_entry"])
def test_caller_hangs_up_at_every_stage(live, stage: str) -> None:  # type: ignore[no-untyped-def]
    call = live.call("13800138000")
    if stage == "ringing":
        call.hangup()
    else:
        steps = {"welcome": [], "menu": [], "id_entry": ["7", "1"]}[stage]
        call.keys(*steps) if steps else None
        if stage == "welcome":
            live.ami.wait_event(lambda m: m.event == "AGIExecStart" and m.get("Uniqueid") == call.agi_uid
                                and "STREAM FILE" in m.get("Command", ""), since=call.since)
        else:
            call.next_input()
            if stage == "id_entry":
                call.press("110105")
        call.hangup()
    call.wait_end(30)
    # the platform saw the hang-up once and ended the call: no channel of it left, no AGI still running
    live.wait_for(lambda: not [c for c in live.channels() if call.uid in c.get("Uniqueid", "")], 20,
                  "the call's channels gone")
    if stage != "ringing":
        commands = [c for c, _, _ in call.agi()]
        assert commands and commands[0].startswith("SET VARIABLE HOTLINE_CALL_ID")
        assert not any(c.startswith("SET VARIABLE HOTLINE_DONE") for c in commands), commands


def test_agent_path_and_console_hangup_ends_the_bridge(live) -> None:  # type: ignore[no-untyped-def]
    """Menu 0 → queue → the demo agent accepts in the console (REST) → Asterisk dials the agent's
    endpoint → bridged; the console's hang-up tears the agent leg down on Asterisk."""
    live.api("agent", "POST", "/agent/ready")
    try:
        call = live.call("13800138000")
        call.keys("0", "1")       # an agent; the province of insurance confirmed
        offer = live.wait_for(lambda: (live.api("agent", "GET", "/agent/status").get("offer") or {}).get("call_id"),
                              90, "an offer to the agent")
        assert offer == f"ast-{call.agi_uid}"
        live.api("agent", "POST", f"/agent/calls/{offer}/accept")
        # this call's Dial first: an agent leg of an earlier test may still be winding down
        dial = live.wait_for(lambda: [c for c, _, _ in call.agi() if c.upper().startswith("EXEC DIAL")], 30,
                             "the platform dialling the agent")
        assert f"Local/{live.agent_ids['agent']}@hl-lab-agent" in dial[0]
        agent_leg = live.wait_for(lambda: [c for c in live.channels() if c.get("Context") == "hl-lab-agent"], 30,
                                  "the agent leg on Asterisk")
        assert agent_leg
        live.api("agent", "POST", "/agent/hangup")
        live.wait_for(lambda: not [c for c in live.channels() if c.get("Context") == "hl-lab-agent"], 15,
                      "the agent leg hung up on Asterisk after the console's hang-up")
        call.hangup()
        call.wait_end(30)
    finally:
        live.sign_out("agent")
