"""`hotline asterisk setup`: the safety net's prompts rendered where the example dialplan plays them."""

from __future__ import annotations

import re
import shutil
import subprocess
import wave
from pathlib import Path

import pytest
from click.testing import CliRunner

from hotline.platform import cli_obj
from ivr.asterisk.cli import asterisk_group
from ivr.asterisk.setup import SAFETY_NET_PROMPTS, sounds_dir_from_conf

needs_tts = pytest.mark.skipif(not (shutil.which("espeak-ng") and shutil.which("sox")),
                               reason="espeak-ng and sox render the prompts (scripts/install-system-deps)")


@needs_tts
def test_setup_renders_every_fallback_prompt_the_dialplan_plays(tmp_path: Path) -> None:
    sounds = tmp_path / "sounds"
    env = {"HOTLINE_DATA_DIR": str(tmp_path / "data"), "DATABASE_URL": f"sqlite:///{tmp_path / 'h.db'}"}
    result = CliRunner().invoke(asterisk_group, obj=cli_obj(), args=["setup", "--sounds", str(sounds)], env=env)
    assert result.exit_code == 0, result.output
    dialplan = (Path(__file__).resolve().parents[2] / "ivr/asterisk/conf/extensions.conf").read_text()
    played = set(re.findall(r"Playback\(hotline/([a-z-]+)\)", dialplan))
    assert played and played <= set(SAFETY_NET_PROMPTS)
    for name in played:
        for path in (sounds / "zh" / "hotline" / f"{name}.wav", sounds / "hotline" / f"{name}.wav"):
            with wave.open(str(path)) as w:
                assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2)
                assert w.getnframes() > 8000  # more than a second of speech
            stat = subprocess.run(["sox", str(path), "-n", "stat"], capture_output=True, text=True).stderr
            rms = float(re.search(r"RMS\s+amplitude:\s+([\d.]+)", stat).group(1))  # type: ignore[union-attr]
            assert rms > 0.01, f"{path} is silent"


def test_sounds_dir_from_asterisk_conf(tmp_path: Path) -> None:
    conf = tmp_path / "asterisk.conf"
    conf.write_text("[directories]\nastetcdir => /etc/asterisk\nastdatadir => /srv/ast/data\n")
    assert sounds_dir_from_conf(conf) == Path("/srv/ast/data/sounds")
    assert sounds_dir_from_conf(tmp_path / "missing.conf") is None
