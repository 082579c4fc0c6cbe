"""Two deployments on two real Asterisk 22 processes, joined by a PJSIP trunk on loopback.

The national deployment (HOTLINE_CENTER=00: its own Asterisk, node and SQLite database) and Guangdong's
(HOTLINE_CENTER=44: the same, separately), sharing only HOTLINE_HANDOFF_SECRET. Each Asterisk runs the
project's example configuration (ivr/asterisk/lab.py) plus a trunk endpoint for the other: `trunk-gd` on
the national one (what `hotline centers remote 44 --trunk trunk-gd` names), `trunk-nat` on Guangdong's,
whose calls enter the example's `[from-national]`.

A Guangdong-insured caller with a Beijing mobile calls the national 12333, verifies in the records menu
and asks for an agent. The national node routes to 44 (remote), posts the signed handoff to Guangdong's
web app and dials `PJSIP/44@trunk-gd` with the pre-dial handler that adds `X-Hotline-Handoff`. Guangdong's
Asterisk reads the header and runs its FastAGI with `handoff=<ref>`; the node claims the handoff, greets
the caller as transferred and queues the call; Guangdong's agent gets the offer, and the screen pop shows
the IVR path walked at the national IVR, the verification and the topic; accepting it bridges the agent
on Guangdong's Asterisk with the caller still on the national one."""

from __future__ import annotations

import contextlib
import secrets
import urllib.error
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ivr.asterisk.lab import AsteriskLab, LabConfig, NodeProcess, SyncAMI, free_port, generate
from tests.asterisk_live import audio
from tests.asterisk_live.conftest import (
    FALLBACK_TIMEOUT_S,
    LAB_DIALPLAN,
    Live,
    _hotline,
    _prepare_node_data,
)

pytestmark = [pytest.mark.asterisk, pytest.mark.slow, pytest.mark.timeout(900)]

GD_CALLER = "13901001234"      # the demo citizen 44010619880315003X's registered mobile (a Beijing number)
GD_AGENT = "agent-gd"          # a Guangdong demo agent with the general skill


def trunk(name: str, port: int, context: str, *, identify: bool) -> str:
    """A PJSIP trunk endpoint to the other Asterisk on loopback (no registration, no auth)."""
    text = (f"\n; ---- tests/asterisk_live: the trunk to the other deployment's Asterisk ----\n"
            f"[{name}]\ntype = endpoint\ncontext = {context}\ndisallow = all\nallow = alaw,ulaw\naors = {name}\n"
            f"direct_media = no\ndtmf_mode = rfc4733\n"
            f"[{name}]\ntype = aor\ncontact = sip:127.0.0.1:{port}\nqualify_frequency = 0\n")
    if identify:  # calls from the other Asterisk's transport (the only SIP peer of this one)
        text += f"[{name}]\ntype = identify\nendpoint = {name}\nmatch = 127.0.0.1\n"
    return text


@dataclass
class Two:
    national: Live
    guangdong: Live


def _deployment(base: Path, name: str, prefix: Path, center: str, secret: str, pjsip: str, cfg: LabConfig,
                users: tuple[str, ...], local_agent: str, web_port: int, agi_port: int,
                setup: list[tuple[str, ...]]) -> Live:
    env = {"HOTLINE_CENTER": center, "HOTLINE_HANDOFF_SECRET": secret, "HOTLINE_NODE_ID": name}
    tokens, ids = _prepare_node_data(base / name, users, local_agent, env=env)
    for args in setup:
        _hotline(base / name, *args, env=env)
    cfg.extra_pjsip = pjsip
    generate(cfg)
    _hotline(base / name, "asterisk", "setup", "--sounds", str(cfg.sounds), env=env)
    lab = AsteriskLab(cfg).start()
    node = ami = None
    try:
        node = NodeProcess(base / name, cfg, web_port=web_port, agi_port=agi_port, env=env).start()
        ami = SyncAMI(cfg.ami_port, cfg.lab_username, cfg.ami_secret)
    except Exception:
        if node is not None:
            node.stop()
        lab.stop()
        raise
    return Live(base / name, lab, node, ami, tokens, ids)


def _close(live: Live | None) -> None:
    if live is None:
        return
    live.ami.close()
    live.node.stop()
    live.lab.stop()


@pytest.fixture(scope="module")
def two(lab_prefix: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Two]:
    """Two Asterisk processes, not two contexts of one: each deployment's dialplan, trunk and SIP
    transport stay the example's own, and the header really crosses a SIP hop between them."""
    base = tmp_path_factory.mktemp("two")
    secret = secrets.token_hex(16)
    ports = {k: free_port() for k in ("nat_agi", "nat_web", "gd_agi", "gd_web")}
    nat_cfg = LabConfig(base / "lab-national", prefix=lab_prefix,
                        agi_url=f"agi://127.0.0.1:{ports['nat_agi']}/12333", fallback_timeout_s=FALLBACK_TIMEOUT_S,
                        extra_dialplan=LAB_DIALPLAN)
    gd_cfg = LabConfig(base / "lab-guangdong", prefix=lab_prefix,
                       agi_url=f"agi://127.0.0.1:{ports['gd_agi']}/12333", fallback_timeout_s=FALLBACK_TIMEOUT_S,
                       extra_dialplan=LAB_DIALPLAN)
    guangdong = national = None
    try:
        guangdong = _deployment(
            base, "guangdong", lab_prefix, "44", secret,
            trunk("trunk-nat", nat_cfg.sip_port, "from-national", identify=True), gd_cfg,
            (GD_AGENT,), GD_AGENT, ports["gd_web"], ports["gd_agi"], [])
        national = _deployment(
            base, "national", lab_prefix, "00", secret,
            trunk("trunk-gd", gd_cfg.sip_port, "from-national", identify=False), nat_cfg,
            ("agent",), "agent", ports["nat_web"], ports["nat_agi"],
            [("centers", "remote", "44", "--url", guangdong.node.url, "--trunk", "trunk-gd")])
        yield Two(national, guangdong)
    finally:
        _close(national)
        _close(guangdong)


def _agi_commands(live: Live, channel_prefix: str) -> list[str]:
    return [m.get("Command", "") for _, m in live.ami.events
            if m.event == "AGIExecStart" and str(m.get("Channel", "")).startswith(channel_prefix)]


def test_a_call_routed_to_guangdong_crosses_the_trunk_and_pops_up_at_its_agent(two: Two) -> None:
    national, gd = two.national, two.guangdong
    welcome = gd.speech_key("您好，这里是广东省12333，您的来电已由全国12333转接过来，我们已了解您的情况，"
                            "正在为您安排工作人员，请稍候。")
    try:
        call = national.call(GD_CALLER, wait_s=300)
        # records 7, keep the guessed Beijing 1, the ID (* for X) and #, confirm 1, by password 1, the
        # password and #; then 0 for an agent in the menu after the summary
        call.keys("7", "1", "44010619880315003*#", "1", "1", "135790#", "0")

        # the national node dialled the trunk with the pre-dial handler that adds the header
        national.wait_for(lambda: any(c.upper().startswith("EXEC DIAL") for c, _, _ in call.agi()), 90,
                          "the national node dialling the trunk")
        dial = next(c for c, _, _ in call.agi() if c.upper().startswith("EXEC DIAL"))
        assert "PJSIP/44@trunk-gd" in dial and "hotline-handoff^s^1(" in dial, call.transcript()

        # Guangdong's Asterisk received it on the trunk, handed the reference to its FastAGI, and the
        # node greeted the caller as transferred (no welcome, no menu, no ID) and put them on hold
        gd.ami.wait_event(lambda m: m.event == "AGIExecStart" and str(m.get("Channel", "")).startswith(
            "PJSIP/trunk-nat-") and "SET MUSIC" in m.get("Command", "").upper(), timeout=90)
        gd_commands = _agi_commands(gd, "PJSIP/trunk-nat-")
        assert gd_commands and gd_commands[0].startswith("SET VARIABLE HOTLINE_CALL_ID"), gd_commands
        assert any(welcome in c for c in gd_commands), gd_commands
        assert not any(c.upper().startswith("GET DATA") for c in gd_commands), gd_commands

        # Guangdong's agent goes ready and is offered the call
        gd.api(GD_AGENT, "POST", "/agent/ready")
        offer = gd.wait_for(lambda: (gd.api(GD_AGENT, "GET", "/agent/status").get("offer") or {}).get("call_id"),
                            60, "an offer to Guangdong's agent")
        header = [m for _, m in gd.ami.events if m.event == "AGIExecStart"
                  and str(m.get("Channel", "")).startswith("PJSIP/trunk-nat-")]
        assert header and offer == f"ast-{header[0].get('Uniqueid')}"

        # the screen pop of Guangdong's agent: what the caller did at the national IVR
        pop = gd.api(GD_AGENT, "GET", f"/agent/calls/{offer}")
        assert pop["verified"] is True and pop["verified_id_masked"].endswith("003X"), pop
        assert pop["topic"] == "general" and pop["queue_id"] == "44-general"
        assert "records_verify_password" in pop["ivr_path"] and "records_id" in pop["ivr_path"], pop["ivr_path"]
        assert any("广东" in r or "参保" in r for r in pop["routing_reasons"]), pop["routing_reasons"]
        assert pop["caller_masked"] == "139****1234" and pop["caller_location"] == "北京市"

        # accepting bridges Guangdong's agent on Guangdong's Asterisk while the caller is on the national one
        gd.api(GD_AGENT, "POST", f"/agent/calls/{offer}/accept")
        gd.wait_for(lambda: [c for c in gd.channels() if c.get("Context") == "hl-lab-agent"], 30,
                    "the agent leg on Guangdong's Asterisk")
        assert [c for c in national.channels() if str(c.get("Channel", "")).startswith("PJSIP/trunk-gd-")]
        call.hangup()
        call.wait_end(60)
        gd.wait_for(lambda: not [c for c in gd.channels() if str(c.get("Channel", "")).startswith("PJSIP/")], 30,
                    "the trunk leg gone on Guangdong's side after the caller hung up")

        # the caller, on the national Asterisk, heard Guangdong's welcome through the trunk (G.711 both ways)
        target = next(c.split()[2] for c in gd_commands if welcome in c)
        clip = gd.clip(target)
        assert clip is not None, target
        offset, match = audio.locate(call.heard(), clip)
        stat = audio.sox_stat(call.rec, offset, len(clip) / audio.RATE) if offset >= 0 else None
        print(f"Guangdong's welcome in the national caller's recording: at {offset:.1f}s match {match:.2f} {stat}")
        assert match >= 0.6 and stat is not None and stat.audible(), (offset, match, stat)
    finally:
        status = gd.api(GD_AGENT, "GET", "/agent/status")
        if status.get("state") in ("connected", "on_call"):
            gd.api(GD_AGENT, "POST", "/agent/hangup")
            status = gd.api(GD_AGENT, "GET", "/agent/status")
        if status.get("state") == "wrap_up":
            gd.api(GD_AGENT, "POST", "/agent/wrap-up", {"disposition": "resolved", "ready": False})
        with contextlib.suppress(urllib.error.HTTPError):  # already logged out, or still on a failed call
            gd.api(GD_AGENT, "POST", "/agent/logout")
