"""The speech layer every voice channel uses: text (or a catalog prompt) -> a cached 8 kHz audio file ->
a path or a signed URL a channel can play.

`render(text, language)` normalises the text (`normalize.speakable`), looks it up in the disk cache by
(engine, voice, format, text) and otherwise asks the configured engine; when the engine fails or times
out the fallback engine (espeak-ng) renders it instead and the failure is logged once per text, not per
call. `SpeechUnavailable` is raised only when no engine can speak at all.
"""

from __future__ import annotations

import hashlib
import io
import logging
import threading
import wave
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from ivr.actions import Prompt
from ivr.speech.cache import AudioCache, cache_key
from ivr.speech.config import SpeechConfig
from ivr.speech.engines import EspeakEngine, TTSEngine, TTSError, build_engine
from ivr.speech.normalize import speakable, spoken_language
from ivr.speech.signing import UrlSigner

log = logging.getLogger(__name__)

PLEASE_HOLD = {"zh": "请稍候。", "en": "Please hold."}
_FAILED_MEMORY = 10_000


class SpeechUnavailable(RuntimeError):
    """No engine could render the text."""


@dataclass(frozen=True)
class Rendered:
    key: str
    fmt: str
    path: Path
    engine: str
    language: str

    @property
    def stem(self) -> str:
        """The absolute path without extension, as Asterisk's STREAM FILE wants a local file."""
        return str(self.path.with_suffix(""))


def wav_to_sln(audio: bytes) -> bytes:
    with wave.open(io.BytesIO(audio)) as w:
        return w.readframes(w.getnframes())


class SpeechService:
    def __init__(self, config: SpeechConfig, engine: TTSEngine | None = None,
                 fallback: TTSEngine | None = None, cache: AudioCache | None = None,
                 signer: UrlSigner | None = None) -> None:
        self.config = config
        self.engine = engine or build_engine(config.engine, config)
        if fallback is None and config.fallback_engine and config.fallback_engine != config.engine:
            fallback = build_engine(config.fallback_engine, config)
        self.fallback = fallback
        self.cache = cache or AudioCache(config.cache_dir, config.cache_mb * 1024 * 1024)
        self.signer = signer or UrlSigner(config.secret, config.url_ttl_s)
        self._failed: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()
        self._inflight: dict[str, threading.Lock] = {}

    # -- rendering -------------------------------------------------------------------------------
    def _note_failure(self, engine: TTSEngine, text: str, exc: Exception) -> None:
        """Log an engine failure once per (engine, text): a failing text on a busy line logs one line."""
        mark = hashlib.sha256(f"{engine.name}\x00{text}".encode()).hexdigest()[:16]
        with self._lock:
            if mark in self._failed:
                self._failed.move_to_end(mark)
                return
            self._failed[mark] = None
            while len(self._failed) > _FAILED_MEMORY:
                self._failed.popitem(last=False)
        log.warning("speech: engine %s failed for text %s (%d chars): %s", engine.name, mark, len(text), exc)

    def _render_with(self, engine: TTSEngine, text: str, language: str, fmt: str) -> Rendered:
        key = cache_key(engine.name, engine.voice(language), fmt, text)
        hit = self.cache.get(key, fmt)
        if hit is not None:
            return Rendered(key, fmt, hit, engine.name, language)
        with self._lock:
            gate = self._inflight.setdefault(key, threading.Lock())
        with gate:  # two calls asking for the same new text render it once
            hit = self.cache.get(key, fmt)
            if hit is None:
                audio = engine.synthesize(text, language)
                if fmt == "sln":
                    audio = wav_to_sln(audio)
                hit = self.cache.put(key, fmt, audio)
        with self._lock:
            self._inflight.pop(key, None)
        return Rendered(key, fmt, hit, engine.name, language)

    def render(self, text: str, language: str = "zh", fmt: str = "wav", *, prefer_fallback: bool = False) -> Rendered:
        """Audio for the text (normalised for speech first). Raises SpeechUnavailable."""
        lang = spoken_language(text, language)
        spoken = speakable(text, lang) or ("。" if lang == "zh" else ".")
        engines = [e for e in ((self.fallback, self.engine) if prefer_fallback else (self.engine, self.fallback)) if e]
        last: Exception | None = None
        for engine in engines:
            try:
                return self._render_with(engine, spoken, lang, fmt)
            except (TTSError, OSError, ValueError) as exc:
                self._note_failure(engine, spoken, exc)
                last = exc
        raise SpeechUnavailable(str(last) if last else "no TTS engine configured")

    def recorded(self, prompt: Prompt, fmt: str = "wav") -> Rendered | None:
        """A center's own recording of a static prompt (`<data dir>/prompts/<lang>/<id>.wav`), imported into
        the cache so it is served like any rendered text."""
        if not prompt.audio or fmt != "wav" or self.config.prompt_dir is None:
            return None
        source = self.config.prompt_dir / f"{prompt.audio}.wav"
        try:
            stat = source.stat()
        except (FileNotFoundError, ValueError):
            return None
        key = cache_key("recorded", prompt.audio, fmt, f"{stat.st_mtime_ns}:{stat.st_size}")
        hit = self.cache.get(key, fmt) or self.cache.put(key, fmt, source.read_bytes())
        return Rendered(key, fmt, hit, "recorded", prompt.language)

    def render_prompt(self, prompt: Prompt, fmt: str = "wav", *, prefer_fallback: bool = False) -> Rendered:
        if not prefer_fallback:
            found = self.recorded(prompt, fmt)
            if found is not None:
                return found
        return self.render(prompt.text, prompt.language, fmt, prefer_fallback=prefer_fallback)

    def please_hold(self, language: str = "zh", fmt: str = "wav") -> Rendered:
        return self.render(PLEASE_HOLD.get(language, PLEASE_HOLD["zh"]), language, fmt, prefer_fallback=True)

    # -- delivery --------------------------------------------------------------------------------
    def url(self, rendered: Rendered) -> str:
        return self.config.base_url + self.signer.path(rendered.key, rendered.fmt)

    def public_url(self, rendered: Rendered) -> str:
        """A URL any host may fetch with the signature (Twilio's <Play>): HOTLINE_PUBLIC_URL based."""
        return self.config.public_base + self.signer.path(rendered.key, rendered.fmt, public=True)

    def playable(self, rendered: Rendered) -> str:
        """What Asterisk's STREAM FILE / GET DATA should be given for this audio."""
        return rendered.stem if self.config.delivery == "file" else self.url(rendered)

    def file_for(self, key: str, fmt: str, expires: int, signature: str, *, public: bool = False) -> Path | None:
        """The cached file behind a signed URL, or None when forged, expired or gone."""
        try:
            if not self.signer.verify(key, fmt, expires, signature, public=public):
                return None
            return self.cache.get(key, fmt)
        except ValueError:
            return None

    def render_to(self, text: str, out: Path, language: str = "zh", fmt: str = "wav") -> tuple[Path, str]:
        """Render into `out` (a copy) and return it with the signed URL: for tests and operators."""
        rendered = self.render(text, language, fmt)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(rendered.path.read_bytes())
        return out, self.url(rendered)

    def warm(self, texts: list[tuple[str, str]]) -> int:
        """Render (text, language) pairs ahead of the first call; returns how many failed."""
        failed = 0
        for text, language in texts:
            try:
                self.render(text, language)
            except SpeechUnavailable:
                failed += 1
        return failed


def default_engine_available() -> bool:
    return EspeakEngine().available()
