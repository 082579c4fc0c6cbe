"""Measuring what the caller heard: sox figures for a recording or a part of it, and where a prompt's
audio sits in the recording (normalised cross-correlation: the Local channel carries the samples
unchanged, SIP through G.711 nearly so)."""

from __future__ import annotations

import io
import re
import subprocess
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

RATE = 8000


@dataclass(frozen=True)
class Stat:
    length_s: float
    rms: float          # sox "RMS amplitude" (full scale = 1.0)
    max_amp: float
    freq: float = 0.0   # sox "Rough frequency" (Hz): a tone's pitch

    def audible(self) -> bool:
        return self.rms > 0.005 and self.max_amp > 0.03


def sox_stat(path: Path | str, start_s: float | None = None, length_s: float | None = None, *,
             channel: int | None = None) -> Stat:
    """`sox FILE -n [remix CHANNEL] [trim START LEN] stat` (`channel` 1 = left of a stereo file)."""
    cmd = ["sox", str(path), "-n"]
    if channel is not None:
        cmd += ["remix", str(channel)]
    if start_s is not None:
        cmd += ["trim", f"{max(0.0, start_s):.3f}"] + ([f"{length_s:.3f}"] if length_s else [])
    cmd.append("stat")
    err = subprocess.run(cmd, capture_output=True, text=True, check=True).stderr

    def field(name: str) -> float:
        m = re.search(rf"^{name}:\s+(-?[\d.]+)", err, re.M)
        return float(m.group(1)) if m else 0.0

    return Stat(field(r"Length \(seconds\)"), field(r"RMS\s+amplitude"), field(r"Maximum amplitude"),
                field(r"Rough\s+frequency"))


def samples(data: bytes | Path) -> np.ndarray:
    """A WAV (bytes or file) as float samples at 8 kHz mono (resampled with sox when it is not)."""
    raw = data.read_bytes() if isinstance(data, Path) else data
    with wave.open(io.BytesIO(raw)) as w:
        ok = w.getframerate() == RATE and w.getnchannels() == 1 and w.getsampwidth() == 2
        frames = w.readframes(w.getnframes()) if ok else b""
    if not ok:
        raw = subprocess.run(["sox", "-t", "wav", "-", "-t", "wav", "-r", str(RATE), "-c", "1", "-b", "16", "-"],
                             input=raw, capture_output=True, check=True).stdout
        with wave.open(io.BytesIO(raw)) as w:
            frames = w.readframes(w.getnframes())
    return np.frombuffer(frames, dtype="<i2").astype(np.float64) / 32768.0


def _best(hay: np.ndarray, probe: np.ndarray) -> tuple[int, float]:
    """Index and normalised correlation of the best match of `probe` in `hay`."""
    probe = probe - probe.mean()
    if len(hay) < len(probe) or not np.any(probe):
        return -1, 0.0
    n = 1 << int(np.ceil(np.log2(len(hay) + len(probe))))
    corr = np.fft.irfft(np.fft.rfft(hay, n) * np.conj(np.fft.rfft(probe, n)), n)[: len(hay) - len(probe) + 1]
    csum = np.concatenate(([0.0], np.cumsum(hay * hay)))
    window = np.sqrt(np.maximum(csum[len(probe):] - csum[: len(hay) - len(probe) + 1], 1e-12))
    score = corr / (window * np.sqrt(np.sum(probe * probe)))
    best = int(np.argmax(score))
    return best, float(score[best])


def locate(recording: np.ndarray, clip: np.ndarray, after_s: float = 0.0, window_s: float = 1.0,
           windows: int = 6) -> tuple[float, float]:
    """(offset in seconds, share of the clip found) of `clip` in the recording, searching from `after_s`.

    Up to `windows` 1-second pieces spread over the clip are each looked for; a piece counts as found
    when it matches (correlation > 0.9) where the others put the clip (within 0.3 s: a dropped or
    repeated 20 ms frame under load shifts the rest slightly). The share is found pieces / pieces."""
    start = int(after_s * RATE)
    hay = recording[start:]
    w = int(window_s * RATE)
    if len(clip) < w:
        w = len(clip)
    step = max(w, (len(clip) - w) // max(1, windows - 1)) if len(clip) > w else w
    positions = list(range(0, max(1, len(clip) - w + 1), step))[:windows]
    hits = []
    for pos in positions:
        piece = clip[pos: pos + w]
        if np.sqrt(np.mean(piece * piece)) < 0.003:
            continue  # a silent piece of the prompt tells nothing
        idx, score = _best(hay, piece)
        if idx >= 0:
            hits.append(((idx - pos) / RATE, score))
    if not hits:
        return -1.0, 0.0
    good = [off for off, score in hits if score > 0.9]
    if not good:
        return -1.0, 0.0
    offset = float(np.median(good))
    found = sum(1 for off, score in hits if score > 0.9 and abs(off - offset) < 0.3)
    return after_s + max(0.0, offset), found / len(hits)


def longest_silence(recording: np.ndarray, threshold: float = 0.003, window_s: float = 0.05) -> float:
    """The longest stretch (seconds) whose 50 ms windows all stay below `threshold` RMS."""
    w = int(window_s * RATE)
    n = len(recording) // w
    if n == 0:
        return 0.0
    rms = np.sqrt(np.mean(recording[: n * w].reshape(n, w) ** 2, axis=1))
    longest = run = 0
    for quiet in rms < threshold:
        run = run + 1 if quiet else 0
        longest = max(longest, run)
    return longest * window_s


def tone_seconds(recording: np.ndarray, freq: float, window_s: float = 0.5, share: float = 0.3) -> float:
    """How many seconds of the recording carry a steady tone at `freq` Hz: windows where the band of
    ±25 Hz around it holds at least `share` of the window's power. A tone stays recognisable mixed
    with other parties' tones or voices (a correlation match does not), and speech or music never
    puts that much of its power into so narrow a band."""
    w = int(window_s * RATE)
    n = len(recording) // w
    if n == 0:
        return 0.0
    frames = recording[: n * w].reshape(n, w) * np.hanning(w)
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    bins = np.fft.rfftfreq(w, 1.0 / RATE)
    band = (bins > freq - 25) & (bins < freq + 25)
    total = power.sum(axis=1)
    loud = total > w * 1e-6  # not silence
    return float(np.sum(loud & (power[:, band].sum(axis=1) >= share * np.maximum(total, 1e-12))) * window_s)
