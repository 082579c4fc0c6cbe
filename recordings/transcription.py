"""The speech-recognition hook. No engine is embedded (none with Chinese weights installs from the
package registries here): a deployment names a factory in HOTLINE_RECORDING_ASR="module:callable",
which returns an object with `name` and `transcribe(wav_path, language) -> str`. Transcripts are
scrubbed of ID and phone numbers (core.masking.scrub) before they are stored."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any, Protocol


class Transcriber(Protocol):
    name: str

    def transcribe(self, wav_path: Path, language: str = "zh") -> str: ...


def load(settings: Any) -> Transcriber | None:
    from recordings.config import RecordingSettings

    spec = RecordingSettings.of(settings).asr
    if not spec:
        return None
    module_name, _, attr = spec.partition(":")
    if not attr:
        raise ValueError("HOTLINE_RECORDING_ASR must be module:callable")
    factory = getattr(importlib.import_module(module_name), attr)
    return factory(settings)  # type: ignore[no-any-return]
