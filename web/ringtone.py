"""The offer ring sound (web/static/ring.wav): two 0.4 s bursts of the Chinese ring-back pair
440 + 480 Hz, generated here rather than downloaded. `python -m web.ringtone` rewrites the file."""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

RATE = 8000
PATH = Path(__file__).parent / "static" / "ring.wav"


def pcm() -> bytes:
    frames = bytearray()
    burst = int(RATE * 0.4)
    for _ in range(2):
        for i in range(burst):
            t = i / RATE
            envelope = min(1.0, i / 200, (burst - i) / 200)
            v = 0.5 * (math.sin(2 * math.pi * 440 * t) + math.sin(2 * math.pi * 480 * t)) * envelope
            frames += struct.pack("<h", int(v * 12000))
        frames += b"\0\0" * int(RATE * 0.2)
    return bytes(frames)


def write(path: Path = PATH) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(pcm())
    return path


if __name__ == "__main__":
    print(write())
