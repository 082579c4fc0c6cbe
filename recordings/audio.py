"""Telephone-quality compression with Debian's tools: sox reads what the channel wrote (WAV, or the
stereo `.raw` of MixMonitor's D option: signed 16-bit, 8 kHz, caller left, agent right) and writes
an 8 kHz WAV; `opusenc` (opus-tools) or `lame` turns it into Opus or MP3. Debian's sox writes
neither format itself, which is why the encoders are separate packages."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

MIME = {"opus": "audio/ogg", "mp3": "audio/mpeg", "wav": "audio/wav"}
SUFFIX = {"opus": ".opus", "mp3": ".mp3", "wav": ".wav"}
RAW_RATE = 8000


class AudioError(Exception):
    pass


@dataclass(frozen=True)
class Encoded:
    path: Path
    codec: str
    duration_s: float
    channels: int


def _run(args: list[str]) -> str:
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=600, check=False)
    except FileNotFoundError as exc:
        raise AudioError(f"{args[0]} is not installed (scripts/install-system-deps)") from exc
    if done.returncode != 0:
        raise AudioError(f"{args[0]} failed: {done.stderr.strip()[:300]}")
    return done.stdout + done.stderr


def _input_args(source: Path, channels: int | None) -> list[str]:
    if source.suffix == ".raw":
        return ["-t", "raw", "-r", str(RAW_RATE), "-e", "signed", "-b", "16", "-c", str(channels or 2), str(source)]
    return [str(source)]


def probe(source: Path, channels: int | None = None) -> tuple[float, int]:
    """(duration in seconds, channels) of an input file."""
    if source.suffix == ".raw":
        ch = channels or 2
        return source.stat().st_size / (2 * ch * RAW_RATE), ch
    duration = float(_run(["soxi", "-D", str(source)]).split()[0])
    return duration, int(_run(["soxi", "-c", str(source)]).split()[0])


def encode(source: Path, codec: str, *, bitrate_kbps: int = 16, channels: int | None = None,
           workdir: Path | None = None, complexity: int = 5) -> Encoded:
    """Compress `source` to `codec` at telephone quality (8 kHz); the result is a new temp file."""
    if codec not in SUFFIX:
        raise AudioError(f"unknown codec {codec!r}; expected one of {sorted(SUFFIX)}")
    duration, ch = probe(source, channels)
    tmpdir = Path(tempfile.mkdtemp(prefix="rec-", dir=workdir))
    wav = tmpdir / "pcm.wav"
    _run(["sox", *_input_args(source, channels), "-r", str(RAW_RATE), "-b", "16", "-e", "signed", str(wav)])
    out = tmpdir / ("out" + SUFFIX[codec])
    if codec == "wav":
        wav.rename(out)
    elif codec == "opus":
        # complexity 5: half the CPU of opusenc's default 10 for ~5 % more bytes (docs/recording.md)
        _run(["opusenc", "--quiet", "--comp", str(complexity), "--bitrate", str(bitrate_kbps * ch), "--speech",
              str(wav), str(out)])
    else:
        _run(["lame", "--quiet", "-b", str(max(8, bitrate_kbps * ch)), "--resample", "8", str(wav), str(out)])
    wav.unlink(missing_ok=True)
    return Encoded(path=out, codec=codec, duration_s=round(duration, 2), channels=ch)


def decode(path: Path, out: Path) -> Path:
    """A stored file back to WAV (Opus via opusdec, MP3 via lame), e.g. to measure it."""
    if path.suffix == ".opus":
        _run(["opusdec", "--quiet", "--rate", str(RAW_RATE), str(path), str(out)])
    elif path.suffix == ".mp3":
        _run(["lame", "--quiet", "--decode", str(path), str(out)])
    else:
        _run(["sox", *_input_args(path, None), str(out)])
    return out


def channel_rms(path: Path) -> list[float]:
    """RMS amplitude of each channel of a WAV or raw file (sox `stat`): is each party heard?"""
    _, ch = probe(path)
    levels = []
    for n in range(1, ch + 1):
        out = _run(["sox", *_input_args(path, None), "-n", "remix", str(n), "stat"])
        line = next((ln for ln in out.splitlines() if ln.startswith("RMS     amplitude")), "")
        levels.append(float(line.split(":")[1]) if line else 0.0)
    return levels


def tools_missing(codec: str) -> list[str]:
    need = ["sox", "soxi", *{"opus": ["opusenc"], "mp3": ["lame"], "wav": []}.get(codec, [])]
    return [tool for tool in need if shutil.which(tool) is None]
