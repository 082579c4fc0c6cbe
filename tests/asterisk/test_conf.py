"""The example Asterisk configuration shipped in ivr/asterisk/conf agrees with what the platform does:
the contexts the adapter and the AMI side use exist, and every AGI() step is followed by the
HOTLINE_DONE check that sends unhandled calls to the fallback queue."""

from __future__ import annotations

import configparser
import re
from pathlib import Path

from ivr.asterisk.channel import ChannelConfig
from ivr.asterisk.control import ControlConfig

CONF = Path(__file__).resolve().parents[2] / "ivr" / "asterisk" / "conf"


def _contexts(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    current = ""
    for raw in text.splitlines():
        line = raw.split(";", 1)[0].strip()
        m = re.match(r"^\[([^\]]+)\]", line)
        if m:
            current = m.group(1)
            out[current] = []
        elif line:
            out[current].append(line)
    return out


def test_dialplan_has_the_safety_net_and_the_contexts_we_use() -> None:
    contexts = _contexts((CONF / "extensions.conf").read_text(encoding="utf-8"))
    for name in ("from-national", "hotline-fallback", "hotline-handoff", "hotline-transfer",
                 ControlConfig().callback_context, ControlConfig().transfer_context):
        assert name in contexts, name
    assert "hotline-handoff^s^1" in ChannelConfig().transfer_options
    for name, lines in contexts.items():
        for i, line in enumerate(lines):
            if ",AGI(" in line:
                after = " ".join(lines[i + 1:i + 3])
                assert "HOTLINE_DONE" in after, f"{name}: AGI() without the HOTLINE_DONE check"
    fallback = " ".join(contexts["hotline-fallback"])
    assert "Queue(hotline-fallback" in fallback and "please-call-again" in fallback


def test_queue_manager_and_endpoints_match() -> None:
    queues = (CONF / "queues.conf").read_text(encoding="utf-8")
    assert "[hotline-fallback]" in queues
    manager = configparser.ConfigParser(strict=False, inline_comment_prefixes=(";",))
    manager.read(CONF / "manager.conf")
    assert {"originate", "call"} <= set(manager["hotline"]["write"].replace(" ", "").split(","))
    assert {"call", "dtmf", "system"} <= set(manager["hotline"]["read"].replace(" ", "").split(","))
    pjsip = (CONF / "pjsip.conf").read_text(encoding="utf-8")
    members = re.findall(r"member => (PJSIP/[\w-]+)", queues)
    for member in members:
        assert f"[{member.split('/')[1]}](agent-template)" in pjsip
