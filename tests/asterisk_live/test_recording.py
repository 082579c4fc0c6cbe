"""Call recording on the real Asterisk, answered by a real softphone: the citizen's baresip dials 12333
through the platform's FastAGI, the demo agent bj-agent-01 accepts in the console and its baresip
(the example config's PJSIP endpoint agent-1) answers. The caller sends a 400 Hz tone, the agent a
1 kHz one. The node records the agent leg with MixMonitor, stores it (Opus, stereo) and serves it:
each channel holds its party (measured with sox `stat` per channel), Beijing's supervisor finds it in
the console and plays it, Guangdong's is refused (403), and both the listen and the refusal are in
the node's audit log."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests

from core.accounts import DEMO_PASSWORD
from recordings import audio as rec_audio
from tests.asterisk_live import audio
from tests.asterisk_live.softphone import AGENT_ENDPOINT, AGENT_USER, agent_answers, channels
from tests.recordings.real_asterisk import tone

# the first test of a session also starts Asterisk and a node
pytestmark = [pytest.mark.asterisk, pytest.mark.slow, pytest.mark.timeout(900)]

CALLER_HZ, AGENT_HZ = 400, 1000
TALK_S = 8.0
PASSWORD = "Rec-test-2026!"


def _stored(live: Any, call_id: str) -> list[dict[str, Any]]:
    """The call's recordings once every one is stored (the node ingests after the leg)."""
    rows = json.loads(live.hotline("recordings", "list", "--call", call_id, "--json"))
    return rows if rows and all(r["status"] == "stored" for r in rows) else []


def _user_id(live: Any, username: str) -> int:
    db = sqlite3.connect(live.node.data_dir / "hotline.db")
    try:
        return int(db.execute("SELECT id FROM users WHERE username = ?", (username,)).fetchone()[0])
    finally:
        db.close()


def _console(live: Any, username: str, password: str) -> requests.Session:
    """A console session on the node, logged in through the login form (with its CSRF token)."""
    session = requests.Session()
    page = session.get(live.node.url + "/login", timeout=30).text
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    r = session.post(live.node.url + "/login", data={"username": username, "password": password,
                                                     "csrf_token": token}, allow_redirects=False, timeout=30)
    assert r.status_code == 302, (username, r.status_code, r.text[:300])
    return session


def test_softphone_call_is_recorded_with_both_parties_and_heard_only_in_its_province(  # type: ignore[no-untyped-def]
        live, tmp_path: Path) -> None:
    # baresip ends a call when its file ends: both tones outlast the call
    caller_tone = tone(live.dir / f"caller-{CALLER_HZ}hz.wav", CALLER_HZ, 400)
    agent_tone = tone(live.dir / f"agent-{AGENT_HZ}hz.wav", AGENT_HZ, 400)
    with agent_answers(live, caller_source=caller_tone, agent_source=agent_tone) as call:
        answered_at = time.monotonic()
        time.sleep(TALK_S)
        live.api(AGENT_USER, "POST", "/agent/hangup")
        live.wait_for(lambda: not channels(live, f"PJSIP/{AGENT_ENDPOINT}-"), 15,
                      "the agent leg hung up on Asterisk after the console's hang-up")
        leg_s = time.monotonic() - answered_at
        call.phone.hangup()
        live.wait_for(lambda: not channels(live, "PJSIP/citizen-"), 20, "the caller's channel gone")

    # the node's own record of it (CLI on its data directory)
    [rec] = live.wait_for(lambda: _stored(live, call.call_id), 120, f"the recording of {call.call_id} stored")
    agent_id = live.agent_ids[AGENT_USER]
    assert (rec["kind"], rec["channel"], rec["leg"], rec["agent_id"], rec["codec"]) == \
        ("agent_leg", "asterisk", 1, agent_id, "opus"), rec
    assert rec["province"] == "11", rec  # bj-agent-01's center: Beijing
    # from the softphone's answer to the console's hang-up, not the IVR before it
    assert TALK_S - 1.5 < rec["duration_s"] < leg_s + 2.0, (rec["duration_s"], leg_s)

    # Beijing's supervisor finds the call in the console and plays it through the signed link
    bj_supervisor = f"sup-bj-{uuid.uuid4().hex[:6]}"
    live.hotline("users", "add", bj_supervisor, "--role", "supervisor", "--province", "11", "--password", PASSWORD)
    sup_bj = _console(live, bj_supervisor, PASSWORD)
    listing = sup_bj.get(f"{live.node.url}/recordings/", params={"call": call.call_id}, timeout=30)
    assert listing.status_code == 200 and call.call_id in listing.text
    assert f'href="/recordings/{rec["id"]}"' in listing.text
    detail = sup_bj.get(f"{live.node.url}/recordings/{rec['id']}", timeout=30)
    assert detail.status_code == 200
    src = re.search(r'<audio[^>]*\ssrc="([^"]+)"', detail.text)
    assert src is not None, detail.text[:2000]
    media = sup_bj.get(live.node.url + src.group(1).replace("&amp;", "&"), headers={"Range": "bytes=0-"},
                       timeout=60)
    assert media.status_code in (200, 206) and media.content[:4] == b"OggS"
    assert len(media.content) == rec["size_bytes"]
    assert hashlib.sha256(media.content).hexdigest() == rec["checksum"]

    # what the supervisor hears: stereo, the caller's tone on the left, the agent's on the right
    stored = tmp_path / "heard.opus"
    stored.write_bytes(media.content)
    wav = rec_audio.decode(stored, tmp_path / "heard.wav")
    assert rec_audio.probe(wav)[1] == 2
    left, right = audio.sox_stat(wav, channel=1), audio.sox_stat(wav, channel=2)
    print(f"recording {rec['id']} ({rec['duration_s']:.1f}s): left rms {left.rms:.3f} ~{left.freq:.0f} Hz, "
          f"right rms {right.rms:.3f} ~{right.freq:.0f} Hz")
    assert left.audible() and right.audible(), (left, right)
    assert abs(left.freq - CALLER_HZ) < 0.15 * CALLER_HZ, left
    assert abs(right.freq - AGENT_HZ) < 0.15 * AGENT_HZ, right
    # each party's tone fills its own channel and does not leak into the other
    sides = {}
    for n, name in ((1, "left"), (2, "right")):
        subprocess.run(["sox", str(wav), str(tmp_path / f"{name}.wav"), "remix", str(n)], check=True)
        sides[name] = audio.samples(tmp_path / f"{name}.wav")
    length = len(sides["left"]) / audio.RATE
    caller_s, agent_s = audio.tone_seconds(sides["left"], CALLER_HZ), audio.tone_seconds(sides["right"], AGENT_HZ)
    print(f"caller's tone on the left {caller_s:.1f}s, agent's on the right {agent_s:.1f}s of {length:.1f}s")
    assert caller_s >= 0.7 * length and agent_s >= 0.7 * length, (caller_s, agent_s, length)
    assert audio.tone_seconds(sides["left"], AGENT_HZ) < 1.0 and audio.tone_seconds(sides["right"], CALLER_HZ) < 1.0

    # Guangdong's supervisor: not in the list, 403 on the recording, and the Beijing link is not theirs
    sup_gd = _console(live, "supervisor-gd", DEMO_PASSWORD)
    other = sup_gd.get(f"{live.node.url}/recordings/", params={"call": call.call_id}, timeout=30)
    assert other.status_code == 200 and f'href="/recordings/{rec["id"]}"' not in other.text
    assert sup_gd.get(f"{live.node.url}/recordings/{rec['id']}", timeout=30).status_code == 403
    assert sup_gd.get(live.node.url + src.group(1).replace("&amp;", "&"), timeout=30).status_code == 404

    # the node's audit log: the listen (Beijing) and the refusal (Guangdong), on this call
    entries = json.loads(live.hotline("audit", "list", "--session", call.call_id, "--action", "recording.listen",
                                      "--json"))
    by_outcome = {e["outcome"]: e for e in entries}
    assert len(entries) == 2 and set(by_outcome) == {"ok", "denied"}, entries
    assert (by_outcome["ok"]["actor"], by_outcome["denied"]["actor"]) == \
        (f"user:{_user_id(live, bj_supervisor)}", f"user:{_user_id(live, 'supervisor-gd')}")
