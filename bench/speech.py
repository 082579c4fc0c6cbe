"""`hotline bench speech`: the speech layer on this machine: rendering new text with the default engine
(espeak-ng + sox), a cache hit (what every later call pays), the text normaliser alone, and the audio
produced (seconds of speech per second of CPU wall time)."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import click

from bench.cli import machine_line


def _p(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1)))] * 1000


@click.command("speech")
@click.option("--texts", default=30, show_default=True, help="Distinct texts rendered (each a record read-out).")
def command(texts: int) -> None:
    """Speech layer: new text render, cache hit, normaliser (p50/p99)."""
    import wave

    from ivr.speech.config import SpeechConfig
    from ivr.speech.normalize import speakable
    from ivr.speech.service import SpeechService, SpeechUnavailable

    click.echo(machine_line())
    with tempfile.TemporaryDirectory(prefix="bench-speech-") as tmp:
        settings = SimpleNamespace(data_dir=Path(tmp), web_host="127.0.0.1", web_port=8000, extra={},
                                   public_url="http://127.0.0.1:8000")
        speech = SpeechService(SpeechConfig.from_settings(settings, {}))
        lines = [f"您本月养老金{1000 + i * 37}.{i % 100:02d}元，于2026年{1 + i % 12}月{1 + i % 28}日发放，"
                 f"个人账户余额{20000 + i * 911}.50元，缴费比例{8 + i % 5}%。" for i in range(texts)]
        new, hit, norm, audio = [], [], [], 0.0
        try:
            for text in lines:
                t = time.perf_counter()
                rendered = speech.render(text)
                new.append(time.perf_counter() - t)
                with wave.open(str(rendered.path)) as w:
                    audio += w.getnframes() / w.getframerate()
        except SpeechUnavailable as exc:
            raise click.ClickException(f"the default engine cannot speak here: {exc}") from exc
        for _ in range(5):
            for text in lines:
                t = time.perf_counter()
                speech.render(text)
                hit.append(time.perf_counter() - t)
                t = time.perf_counter()
                speakable(text)
                norm.append(time.perf_counter() - t)
    click.echo(f"new text ({texts}, engine {speech.engine.name}): p50 {_p(new, .5):.0f} ms  p99 {_p(new, .99):.0f} ms; "
               f"{audio / sum(new):.1f} s of speech per second rendering (mean {audio / texts:.1f} s per text)")
    click.echo(f"cache hit: p50 {_p(hit, .5):.2f} ms  p99 {_p(hit, .99):.2f} ms;  "
               f"normaliser: p50 {_p(norm, .5):.2f} ms  p99 {_p(norm, .99):.2f} ms  (median of {len(hit)})")
