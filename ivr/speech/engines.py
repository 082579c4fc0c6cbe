"""Text-to-speech engines behind one interface.

An engine turns (already normalised) text into audio: `synthesize(text, language) -> bytes`, a WAV file
in 8 kHz mono 16-bit PCM (what Asterisk's format_wav plays without transcoding and Twilio's <Play>
accepts). Two ship with the platform:

* `EspeakEngine` (default, embedded): espeak-ng (Debian package) and sox. Mandarin uses the
  `cmn-latn-pinyin` voice: Debian's plain `cmn` voice reads the pinyin it looks up with English letter
  rules (您好 comes out as "nin-two-oo hay-oh-three"), while cmn-latn-pinyin speaks it as Mandarin.
* `HttpEngine`: any HTTP TTS service (a center's own, or a gateway to a cloud engine). It POSTs JSON
  `{"text", "language", "voice", "format": "wav", "sample_rate": 8000}` and takes the response body as
  audio (WAV of any rate, or MP3 when sox can read it); it is resampled to 8 kHz mono with sox.

A new engine is a class with `name`, `voice(language)` and `synthesize(text, language)`; `HOTLINE_TTS_ENGINE`
may name it as `module:Class` (built with the `SpeechConfig`).
"""

from __future__ import annotations

import importlib
import json
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any, ClassVar, Protocol, runtime_checkable

import requests

SAMPLE_RATE = 8000


class TTSError(RuntimeError):
    """The engine could not render this text (not installed, timed out, service error)."""


@runtime_checkable
class TTSEngine(Protocol):
    name: str

    def voice(self, language: str) -> str:
        """The voice used for a language; part of the cache key."""
        ...

    def synthesize(self, text: str, language: str) -> bytes:
        """8 kHz mono 16-bit WAV bytes for the text; raises TTSError."""
        ...


def to_wav8k(audio: bytes, timeout_s: float = 20.0, kind: str | None = None) -> bytes:
    """Any audio sox reads -> 8 kHz mono 16-bit signed WAV (sox's `rate` effect does the resampling)."""
    sox = shutil.which("sox")
    if not sox:
        raise TTSError("sox is not installed (apt-get install sox)")
    with tempfile.TemporaryDirectory(prefix="hotline-tts-") as tmp:
        src = Path(tmp) / f"in.{kind or sniff(audio)}"
        dst = Path(tmp) / "out.wav"
        src.write_bytes(audio)
        try:
            done = subprocess.run([sox, "-V1", str(src), "-r", str(SAMPLE_RATE), "-c", "1", "-b", "16",
                                   "-e", "signed-integer", str(dst)], capture_output=True, timeout=timeout_s)
        except subprocess.TimeoutExpired as exc:
            raise TTSError("sox timed out") from exc
        if done.returncode != 0 or not dst.exists():
            raise TTSError(f"sox failed: {done.stderr.decode(errors='replace')[:200]}")
        return dst.read_bytes()


def sniff(audio: bytes) -> str:
    if audio[:4] == b"RIFF":
        return "wav"
    if audio[:3] == b"ID3" or audio[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return "mp3"
    if audio[:4] == b"OggS":
        return "ogg"
    raise TTSError("the engine returned something that is not audio")


class EspeakEngine:
    """espeak-ng + sox on this machine; no service to run."""

    name = "espeak"
    VOICES: ClassVar[dict[str, str]] = {"zh": "cmn-latn-pinyin", "en": "en-us"}

    def __init__(self, voices: dict[str, str] | None = None, speed: int = 150, timeout_s: float = 20.0) -> None:
        self.voices = {**self.VOICES, **(voices or {})}
        self.speed = speed
        self.timeout_s = timeout_s

    def voice(self, language: str) -> str:
        return self.voices.get(language) or self.voices["zh"]

    def available(self) -> bool:
        return bool(shutil.which("espeak-ng") and shutil.which("sox"))

    def synthesize(self, text: str, language: str) -> bytes:
        espeak = shutil.which("espeak-ng")
        if not espeak:
            raise TTSError("espeak-ng is not installed (apt-get install espeak-ng)")
        voice = self.voice(language)
        try:
            done = subprocess.run([espeak, "-v", voice, "-s", str(self.speed), "--stdout", text],
                                  capture_output=True, timeout=self.timeout_s)
            if done.returncode != 0 and voice == "cmn-latn-pinyin" and b"does not exist" in done.stderr:
                # an older espeak-ng without that voice: plain cmn is better than nothing
                done = subprocess.run([espeak, "-v", "cmn", "-s", str(self.speed), "--stdout", text],
                                      capture_output=True, timeout=self.timeout_s)
        except subprocess.TimeoutExpired as exc:
            raise TTSError("espeak-ng timed out") from exc
        if done.returncode != 0 or not done.stdout:
            raise TTSError(f"espeak-ng failed: {done.stderr.decode(errors='replace')[:200]}")
        return to_wav8k(done.stdout, self.timeout_s, "wav")


class HttpEngine:
    """A TTS service over HTTP: POST JSON, audio back."""

    name = "http"

    def __init__(self, url: str, *, voices: dict[str, str] | None = None, timeout_s: float = 5.0,
                 token: str | None = None, session: Any = None) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"HOTLINE_TTS_URL must be an http(s) URL, not {url!r}")
        self.url = url
        self.voices = voices or {}
        self.timeout_s = timeout_s
        self.token = token
        self.session = session or requests.Session()

    def voice(self, language: str) -> str:
        return self.voices.get(language, "")

    def synthesize(self, text: str, language: str) -> bytes:
        body = {"text": text, "language": language, "voice": self.voice(language), "format": "wav",
                "sample_rate": SAMPLE_RATE}
        headers = {"Content-Type": "application/json", "Accept": "audio/wav, audio/*"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            resp = self.session.post(self.url, data=json.dumps(body, ensure_ascii=False).encode(), headers=headers,
                                     timeout=self.timeout_s)
        except requests.RequestException as exc:
            raise TTSError(f"TTS service unreachable: {type(exc).__name__}") from exc
        if resp.status_code != 200 or not resp.content:
            raise TTSError(f"TTS service answered HTTP {resp.status_code}")
        return to_wav8k(resp.content, max(self.timeout_s, 10.0))


def build_engine(kind: str, config: Any) -> TTSEngine:
    """`espeak`, `http`, or `package.module:Class` (called with the SpeechConfig)."""
    if kind in ("", "espeak", "espeak-ng"):
        own = config.engine in ("", "espeak", "espeak-ng")  # voices named for another engine are not espeak's
        return EspeakEngine(voices=(config.voices or None) if own else None)
    if kind == "http":
        if not config.http_url:
            raise ValueError("HOTLINE_TTS_ENGINE=http needs HOTLINE_TTS_URL")
        return HttpEngine(config.http_url, voices=config.voices, timeout_s=config.timeout_s,
                          token=config.http_token)
    if ":" in kind:
        module, _, cls = kind.partition(":")
        engine = getattr(importlib.import_module(module), cls)(config)
        if not isinstance(engine, TTSEngine):
            raise ValueError(f"{kind} is not a TTS engine (needs name, voice(), synthesize())")
        return engine
    raise ValueError(f"unknown TTS engine {kind!r}: espeak, http or module:Class")
