"""Shared bits of the recording tests: a real two-channel WAV made with sox, users of each role."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from hotline.platform import Platform


def stereo_wav(path: Path, seconds: float = 2.0) -> Path:
    """Caller on the left (300 Hz), agent on the right (500 Hz), 8 kHz: what a recorded leg holds."""
    subprocess.run(["sox", "-n", "-r", "8000", "-c", "2", "-b", "16", str(path), "synth", str(seconds),
                    "sine", "300", "sine", "500"], check=True)
    return path


def user(platform: Platform, name: str, roles: list[str], province: str) -> Any:
    existing = platform.accounts.by_username(name)
    if existing is not None:
        return existing
    return platform.accounts.create_user(name, "pw-" + name, roles, province_scope=province)
