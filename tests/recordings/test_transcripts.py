"""The speech-recognition hook: a configured engine receives each stored recording as WAV; its text
is stored with ID and phone numbers scrubbed and is searchable by reviewers of the province.

No ASR engine with Chinese weights installs from the registries here, so the engine below stands in
for one: it checks it was given real audio (sox reads its length) and returns a fixed utterance."""

from __future__ import annotations

import subprocess
from pathlib import Path
from types import SimpleNamespace
from typing import Any, ClassVar

from core.events import InProcessBus
from core.state import MemoryStore
from hotline.platform import Platform
from tests.conftest import make_settings
from tests.recordings.helpers import stereo_wav

SAID = "我的身份证号是110105194912310021，手机13812345678，想问养老金资格认证怎么做"


class StandInEngine:
    name = "stand-in"
    heard: ClassVar[list[float]] = []

    def __init__(self, settings: Any) -> None:
        self.settings = settings

    def transcribe(self, wav_path: Path, language: str = "zh") -> str:
        seconds = float(subprocess.run(["soxi", "-D", str(wav_path)], capture_output=True, text=True,
                                       check=True).stdout)
        self.heard.append(seconds)
        return SAID


def test_transcripts_are_masked_and_searchable(tmp_path: Path, clock) -> None:
    settings = make_settings(tmp_path, extra={"recording_asr": "tests.recordings.test_transcripts:StandInEngine"})
    platform = Platform(settings, clock=clock, store=MemoryStore(clock), bus=InProcessBus("n", clock))
    platform.migrate()
    try:
        svc = platform.recordings
        rid = svc.store_file("call-t", stereo_wav(tmp_path / "a.wav", 2.0), channel="import")
        assert abs(StandInEngine.heard[-1] - 2.0) < 0.1  # the engine got the recording back as audio
        text = svc.transcript(rid)
        assert "110105194912310021" not in text and "13812345678" not in text
        assert "养老金资格认证" in text and svc.get(rid).has_transcript
        national = SimpleNamespace(id=1, roles=frozenset({"qa"}), province_scope="00")
        elsewhere = SimpleNamespace(id=2, roles=frozenset({"qa"}), province_scope="44")  # the call is "00"
        agent = SimpleNamespace(id=3, roles=frozenset({"agent"}), province_scope="00")
        assert [r.id for r in svc.search_transcripts(national, "资格认证")] == [rid]
        assert svc.search_transcripts(elsewhere, "资格认证") == []
        assert svc.search_transcripts(agent, "资格认证") == []
        assert svc.search_transcripts(national, "13812345678") == []  # the number is not in the store at all
    finally:
        platform.close()
