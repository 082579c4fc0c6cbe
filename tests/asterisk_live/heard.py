"""What a test caller heard: each prompt the platform played, found in the caller-side recording and
measured there with sox."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.asterisk_live import audio


@dataclass(frozen=True)
class Heard:
    target: str          # what STREAM FILE / GET DATA played (URL or sound)
    prompt_s: float      # length of the prompt's audio
    offset_s: float      # where it starts in the recording
    match: float         # share of the prompt's 1-second pieces found there (audio.locate)
    stat: audio.Stat     # sox figures of that stretch of the recording

    def line(self) -> str:
        name = self.target.rsplit("/", 1)[-1][:40]
        return (f"{name:<40} {self.prompt_s:5.1f}s at {self.offset_s:6.1f}s match {self.match:.2f} "
                f"rms {self.stat.rms:.3f} max {self.stat.max_amp:.2f}")


def measure(call: Any, *, allow_partial_last: bool = True) -> list[Heard]:
    """Locate every prompt of the call in its recording, in order. Raises AssertionError with the
    details when one cannot be found or is silent there."""
    recording = call.heard()
    found: list[Heard] = []
    after = 0.0
    problems = []
    targets = call.prompts()
    for n, target in enumerate(targets):
        clip = call.live.clip(target)
        if clip is None:
            problems.append(f"{target}: the audio it names does not exist")
            continue
        offset, match = audio.locate(recording, clip, after)
        length = len(clip) / audio.RATE
        stat = audio.sox_stat(call.rec, offset, length) if offset >= 0 else audio.Stat(0, 0, 0)
        heard = Heard(target, length, offset, match, stat)
        found.append(heard)
        last = n == len(targets) - 1
        if match < 0.6 or not stat.audible():
            if not (last and allow_partial_last):
                problems.append(f"not heard: {heard.line()}")
            continue
        after = offset + min(length, 1.0)
    if problems:
        raise AssertionError("\n".join(problems + ["--- heard:"] + [h.line() for h in found]))
    return found
