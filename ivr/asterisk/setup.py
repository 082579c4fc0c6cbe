"""`hotline asterisk setup`: the audio of the dialplan's safety net.

The example dialplan (conf/extensions.conf) plays these with `Playback(hotline/<name>)` when the
platform cannot take a call (node down, crashed, connection dropped), so they must exist on the
Asterisk box before the first call, rendered by the speech layer (espeak-ng by default, or the
center's configured engine). They are written to `<sounds>/zh/hotline/<name>.wav` and, so that a
channel of any language finds them, `<sounds>/hotline/<name>.wav`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

SAFETY_NET_PROMPTS: dict[str, dict[str, str]] = {
    # [hotline-fallback], before the static queue
    "fallback-transfer": {"zh": "系统繁忙，正在为您转接人工服务，请稍候。",
                          "en": "Our system is busy. Transferring you to an agent, please hold."},
    # [hotline-fallback], after the queue's timeout, then Hangup()
    "please-call-again": {"zh": "对不起，坐席繁忙，请您稍后再拨。",
                          "en": "Sorry, all agents are busy. Please call again later."},
    # [hotline-callback], once the citizen answered a callback
    "callback-connecting": {"zh": "您好，这里是12333，正在为您接通坐席，请稍候。",
                            "en": "Hello, this is 12333. Connecting you to an agent, please hold."},
}

DEFAULT_SOUNDS = Path("/var/lib/asterisk/sounds")


def sounds_dir_from_conf(asterisk_conf: Path) -> Path | None:
    """`<astdatadir>/sounds` from an asterisk.conf's [directories] section (None when not set)."""
    try:
        text = asterisk_conf.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    m = re.search(r"^\s*astdatadir\s*=>?\s*(\S+)", text, re.M)
    return Path(m.group(1)) / "sounds" if m else None


def render_safety_net(speech: Any, sounds: Path, languages: tuple[str, ...] = ("zh",)) -> list[Path]:
    """Render every safety-net prompt into the sounds directory; returns the files written."""
    written: list[Path] = []
    for name, texts in SAFETY_NET_PROMPTS.items():
        for n, lang in enumerate(languages):
            targets = [sounds / lang / "hotline" / f"{name}.wav"]
            if n == 0:
                targets.append(sounds / "hotline" / f"{name}.wav")  # language-neutral: any channel finds it
            for target in targets:
                if target.parent.parent.is_symlink():
                    continue  # e.g. a distribution's read-only sounds/en: leave it alone
                speech.render_to(texts[lang], target, lang)
                written.append(target)
    return written
