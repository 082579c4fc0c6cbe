"""Listen and whisper from the supervisor's console on a real Asterisk, over real SIP on 127.0.0.1:
three baresip softphones, each sending a tone of its own (700, 1000 and 1600 Hz: recognisable in a
mix of parties, where voices are not) and recording what it hears —
the citizen (entering like a carrier call), the agent bj-agent-01 (agent-1, auto-answering) and the
national supervisor's phone (the example config's agent-3 endpoint, auto-answering). The supervisor
works in the console in Chromium (Playwright): on the wallboard, the agent's row on a call offers
监听 / 耳语 / 强插 with the supervisor's phone; the request rings that phone, then ChanSpy on the
agent's leg: in listen mode the supervisor
hears both parties and neither hears the supervisor; in whisper mode the agent hears the supervisor
and the citizen does not. Both are audited."""

from __future__ import annotations

import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.asterisk_live import audio
from tests.asterisk_live.conftest import CITIZEN_PASSWORD
from tests.asterisk_live.softphone import Softphone, channels
from tests.web.test_browser import ARGS, CHROMIUM, _require_chromium, _shot

# the first test of a session also starts Asterisk and a node
pytestmark = [pytest.mark.asterisk, pytest.mark.slow, pytest.mark.timeout(900)]

SUPERVISOR_PHONE = "PJSIP/agent-3"
CALLER_HZ, AGENT_HZ, SUPERVISOR_HZ = 1000, 700, 1600
MONITOR_S = 12


def _tone(live: Any, freq: int) -> Path:
    """A steady tone that outlasts the call (baresip ends its call when the file ends)."""
    path = live.dir / f"tone-{freq}.wav"
    subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", str(path), "synth", "400", "sine", str(freq),
                    "vol", "0.3"], check=True)
    return path


def _tone_s(recording: Path | None, freq: int) -> float:
    return audio.tone_seconds(audio.samples(recording), freq) if recording is not None else 0.0


def _monitor_from_the_wallboard(page: Any, agent_id: int, mode: str) -> str:
    """Type the supervisor's phone into the agent's row and press the mode's button; the toast's text."""
    row = f"tr[data-agent='{agent_id}'] form.monitor"
    page.wait_for_selector(row, timeout=30_000)  # the wallboard shows the agent on the call
    page.locator("#toast").evaluate("el => el.replaceChildren()")
    form = page.locator(row)
    form.locator("input[name=endpoint]").fill(SUPERVISOR_PHONE)
    form.locator(f"button.monitor-{mode}").click()
    page.wait_for_function("() => document.querySelector('#toast').textContent.trim().length > 0")
    return page.inner_text("#toast")


def test_supervisor_listens_then_whispers_to_the_agent(live: Any) -> None:
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_context(viewport={"width": 1360, "height": 900}, locale="zh-CN").new_page()
            page.set_default_timeout(15_000)
            page.goto(live.node.url + "/login")
            page.fill("input[name=username]", "supervisor")
            page.fill("input[name=password]", "hotline-demo")
            page.click("form.login button")
            page.wait_for_load_state("networkidle")
            page.goto(live.node.url + "/supervisor/?province=11")
            _monitored_call(live, page)
        finally:
            browser.close()


def _monitored_call(live: Any, page: Any) -> None:
    sip_port = live.lab.cfg.sip_port
    caller_wav, agent_wav, sup_wav = _tone(live, CALLER_HZ), _tone(live, AGENT_HZ), _tone(live, SUPERVISOR_HZ)
    agent = Softphone(live.dir / "mon-agent-1", user="agent-1", password="change-me-agent-1", sip_port=sip_port,
                      source_wav=agent_wav, auto_answer=True)
    supervisor = Softphone(live.dir / "mon-sup", user="agent-3", password="change-me-agent-3", sip_port=sip_port,
                           source_wav=sup_wav, auto_answer=True)
    caller = Softphone(live.dir / "mon-citizen", user="citizen", password=CITIZEN_PASSWORD, sip_port=sip_port,
                       source_wav=caller_wav)
    recordings: dict[str, Path | None] = {}
    try:
        live.wait_for(lambda: all(f"{u}/sip:" in live.lab.rx("pjsip show contacts")
                                  for u in ("agent-1", "agent-3", "citizen")), 30, "the three softphones registered")
        live.api("bj-agent-01", "POST", "/agent/ready")
        caller.dial(f"sip:12333@127.0.0.1:{sip_port}")
        live.wait_for(lambda: channels(live, "PJSIP/citizen-", "Up"), 60, "the citizen's call answered")
        time.sleep(8)  # the welcome and the menu
        caller.keys("0")
        time.sleep(4)
        caller.keys("1")
        offer = live.wait_for(lambda: (live.api("bj-agent-01", "GET", "/agent/status").get("offer") or {})
                              .get("call_id"), 90, "an offer to bj-agent-01")
        live.api("bj-agent-01", "POST", f"/agent/calls/{offer}/accept")
        live.wait_for(lambda: channels(live, "PJSIP/agent-1-", "Up"), 30, "the agent's softphone answered")
        time.sleep(3)

        for mode in ("listen", "whisper"):
            toast = _monitor_from_the_wallboard(page, live.agent_ids["bj-agent-01"], mode)
            assert SUPERVISOR_PHONE in toast and ("监听" if mode == "listen" else "耳语") in toast, toast
            if mode == "listen":
                _shot(page, "supervisor-monitor")
            live.wait_for(lambda: channels(live, "PJSIP/agent-3-", "Up"), 30, f"the supervisor's phone ({mode})")
            time.sleep(MONITOR_S)
            supervisor.hangup()
            live.wait_for(lambda: not channels(live, "PJSIP/agent-3-"), 15, f"the {mode} leg ended")
            recordings[mode] = supervisor.recording()
            time.sleep(1)
        live.api("bj-agent-01", "POST", "/agent/hangup")
        live.wait_for(lambda: not channels(live, "PJSIP/agent-1-"), 15, "the agent leg ended")
        caller.hangup()
        live.wait_for(lambda: not channels(live, "PJSIP/citizen-"), 20, "the citizen's channel gone")
    finally:
        for phone in (caller, agent, supervisor):
            phone.stop()
        live.sign_out("bj-agent-01")

    listened = {name: _tone_s(recordings["listen"], hz) for name, hz in (("caller", CALLER_HZ), ("agent", AGENT_HZ))}
    whispered_to_agent = _tone_s(agent.recording(), SUPERVISOR_HZ)
    reached_caller = _tone_s(caller.recording(), SUPERVISOR_HZ)
    print(f"listen ({MONITOR_S} s): the supervisor heard the caller {listened['caller']:.1f} s, the agent "
          f"{listened['agent']:.1f} s; whisper: the agent heard the supervisor {whispered_to_agent:.1f} s, the "
          f"caller {reached_caller:.1f} s")
    assert listened["caller"] >= MONITOR_S / 2 and listened["agent"] >= MONITOR_S / 2
    assert MONITOR_S / 2 <= whispered_to_agent <= MONITOR_S + 3  # the whisper reached the agent, the listen did not
    assert reached_caller == 0.0  # ... and the supervisor never reached the citizen (listen nor whisper)
    assert _tone_s(caller.recording(), AGENT_HZ) >= MONITOR_S  # the citizen heard the agent all along

    db = sqlite3.connect(live.node.data_dir / "hotline.db")
    with db:
        audited = [row[0] for row in db.execute("SELECT action FROM audit_log WHERE subject = ? ORDER BY id",
                                                (f"call:{offer}",))]
    db.close()
    assert [a for a in audited if a.startswith("acd.monitor.")] == ["acd.monitor.listen", "acd.monitor.whisper"]
