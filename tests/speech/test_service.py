"""The speech service: real espeak-ng + sox renderings (8 kHz mono 16-bit WAV), the disk cache with its
bound, an HTTP engine against a local HTTP server, fallback and once-per-text failure logging, and
the signed URLs served by the web app."""

from __future__ import annotations

import http.server
import json
import logging
import os
import re
import shutil
import threading
import wave
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from hotline.platform import Platform
from ivr.speech import speech_of
from ivr.speech.cache import AudioCache
from ivr.speech.config import SpeechConfig
from ivr.speech.engines import EspeakEngine, HttpEngine, TTSError
from ivr.speech.service import SpeechService, SpeechUnavailable

needs_espeak = pytest.mark.skipif(
    not (shutil.which("espeak-ng") and shutil.which("sox")) and not os.environ.get("CI"),
    reason="espeak-ng and sox are not installed (scripts/install-system-deps installs them)")


def _config(tmp: Path, **kw: Any) -> SpeechConfig:
    settings = SimpleNamespace(data_dir=tmp, web_host="127.0.0.1", web_port=8123, extra={})
    return SpeechConfig.from_settings(settings, {**{k: str(v) for k, v in kw.items()}})


def _wav(path: Path) -> tuple[int, int, int, float]:
    with wave.open(str(path)) as w:
        return w.getframerate(), w.getnchannels(), w.getsampwidth(), w.getnframes() / w.getframerate()


def _rms(path: Path) -> float:
    import array

    with wave.open(str(path)) as w:
        samples = array.array("h", w.readframes(w.getnframes()))
    return (sum(s * s for s in samples) / max(1, len(samples))) ** 0.5


@needs_espeak
def test_espeak_renders_audible_8khz_mono_wav_and_caches_it(tmp_path: Path) -> None:
    speech = SpeechService(_config(tmp_path))
    first = speech.render("您本月养老金122400.29元。")
    rate, channels, width, seconds = _wav(first.path)
    assert (rate, channels, width) == (8000, 1, 2)
    assert seconds > 2.0 and _rms(first.path) > 500  # a sentence, not silence
    again = speech.render("您本月养老金122400.29元。")
    assert again.path == first.path and again.key == first.key
    assert speech.render("Welcome.", "en").key != first.key  # other text, other voice
    sln = speech.render("您好。", fmt="sln")
    assert sln.path.suffix == ".sln" and sln.path.stat().st_size > 1000


def test_cache_is_bounded_and_evicts_least_recently_used(tmp_path: Path) -> None:
    cache = AudioCache(tmp_path / "c", max_bytes=10_000)
    paths = [cache.put(f"k{i}", "wav", b"x" * 3000) for i in range(3)]
    os.utime(paths[0], (1, 1))
    os.utime(paths[1], (2, 2))
    os.utime(paths[2], (3, 3))
    assert cache.get("k0", "wav") is not None  # used again: now the most recent
    cache.put("k3", "wav", b"y" * 3000)  # 12,000 > 10,000: evict down to 9,000
    left = sorted(p.stem for p in (tmp_path / "c").glob("*.wav"))
    assert "k1" not in left and "k0" in left and "k3" in left
    assert cache.total_bytes <= 10_000
    assert not list((tmp_path / "c").glob(".tmp-*"))  # atomic writes leave no temporary file
    with pytest.raises(ValueError):
        cache.path("../etc/passwd", "wav")


class _Broken:
    name = "broken"

    def __init__(self) -> None:
        self.calls = 0

    def voice(self, language: str) -> str:
        return "x"

    def synthesize(self, text: str, language: str) -> bytes:
        self.calls += 1
        raise TTSError("service timed out")


@needs_espeak
def test_a_failing_engine_falls_back_and_logs_once_per_text(tmp_path: Path, caplog: Any) -> None:
    broken = _Broken()
    speech = SpeechService(_config(tmp_path), engine=broken, fallback=EspeakEngine())
    caplog.set_level(logging.WARNING, logger="ivr.speech.service")
    for _ in range(3):
        rendered = speech.render("失业金怎么领？")
    assert rendered.engine == "espeak" and _rms(rendered.path) > 500
    warnings = [r for r in caplog.records if "engine broken failed" in r.getMessage()]
    assert len(warnings) == 1 and broken.calls == 3
    nothing = SpeechService(_config(tmp_path), engine=_Broken(), fallback=_Broken())
    with pytest.raises(SpeechUnavailable):
        nothing.render("您好")


@pytest.fixture
def tts_server() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A stand-in for a center's HTTP TTS service: answers 16 kHz WAV made with espeak-ng; 'fail' -> 500."""
    seen: list[dict[str, Any]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            seen.append({**body, "auth": self.headers.get("Authorization")})
            if "fail" in body["text"]:
                self.send_response(500)
                self.end_headers()
                return
            import subprocess

            wav = subprocess.run(["espeak-ng", "-v", "cmn-latn-pinyin", "--stdout", body["text"]],
                                 capture_output=True, check=True).stdout
            self.send_response(200)
            self.send_header("Content-Type", "audio/wav")
            self.send_header("Content-Length", str(len(wav)))
            self.end_headers()
            self.wfile.write(wav)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/tts", seen
    server.shutdown()
    server.server_close()


@needs_espeak
def test_http_engine_posts_text_and_resamples_the_answer(tmp_path: Path, tts_server: Any) -> None:
    url, seen = tts_server
    speech = SpeechService(_config(tmp_path, HOTLINE_TTS_ENGINE="http", HOTLINE_TTS_URL=url,
                                   HOTLINE_TTS_TOKEN="t0k", HOTLINE_TTS_VOICE_ZH="xiaoyan"))
    assert isinstance(speech.engine, HttpEngine)
    rendered = speech.render("缴费比例8%")
    assert rendered.engine == "http" and _wav(rendered.path)[:3] == (8000, 1, 2)
    assert seen[0]["text"] == "缴费比例百分之八" and seen[0]["voice"] == "xiaoyan" and seen[0]["auth"] == "Bearer t0k"
    fallen = speech.render("fail 请稍候")  # the service answers 500: espeak-ng says it instead
    assert fallen.engine == "espeak"


def test_unreachable_http_engine_is_a_tts_error() -> None:
    engine = HttpEngine("http://127.0.0.1:9/tts", timeout_s=0.5)
    with pytest.raises(TTSError):
        engine.synthesize("您好", "zh")
    with pytest.raises(ValueError):
        HttpEngine("ftp://x")


@needs_espeak
def test_signed_urls_are_served_to_asterisk_hosts_only(platform: Platform) -> None:
    from web.app import create_app

    speech = speech_of(platform)
    rendered = speech.render("您好，欢迎致电12333。")
    path = speech.signer.path(rendered.key, "wav")
    assert speech.url(rendered).endswith(path) and speech.url(rendered).startswith("http://127.0.0.1:")
    client = create_app(platform, {"TESTING": True}).test_client()
    ok = client.get(path, environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert ok.status_code == 200 and ok.mimetype == "audio/wav" and ok.data == rendered.path.read_bytes()
    assert client.get(path, environ_base={"REMOTE_ADDR": "10.9.8.7"}).status_code == 403
    _exp, sig = path.split("/")[2:4]
    forged = path.replace(sig, "0" * 32)
    assert client.get(forged, environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code == 403
    expired = speech.signer.path(rendered.key, "wav", expires=int(speech.signer.now()) - 5)
    assert client.get(expired, environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code == 403
    other_key = path.replace(rendered.key, "f" * 40)
    assert client.get(other_key, environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code == 403


def test_allow_list_takes_cidrs_and_refuses_bad_input(tmp_path: Path) -> None:
    cfg = _config(tmp_path, HOTLINE_SPEECH_ALLOW="10.0.0.0/8, ::1/128")
    assert cfg.allows("10.2.3.4") and cfg.allows("::1") and cfg.allows("::ffff:10.1.1.1")
    assert not cfg.allows("192.168.1.1") and not cfg.allows("garbage") and not cfg.allows(None)
    with pytest.raises(ValueError):
        _config(tmp_path, HOTLINE_SPEECH_ALLOW="not-a-network")


@needs_espeak
def test_twilio_plays_the_platform_speech_from_public_signed_urls(platform: Platform) -> None:
    import dataclasses

    from ivr.actions import Play, Prompt
    from ivr.speech.twilio import player
    from ivr.twilio import twiml
    from ivr.twilio.config import TwilioConfig
    from web.app import create_app

    config = dataclasses.replace(TwilioConfig.from_settings(platform.settings, {"TWILIO_TTS": "platform"}),
                                 player=player(platform))
    assert config.tts == "platform"
    links = twiml.Links(step="https://x/twilio/voice/step?n=1", dial="https://x/twilio/voice/dial?n=1")
    doc = twiml.render(Play(prompts=(Prompt(id="kb", text="失业金每月1,800元。"),)), config, links)
    url = re.search(r"<Play>([^<]+)</Play>", doc).group(1)  # type: ignore[union-attr]
    assert "/speech/p/" in url and "<Say" not in doc
    path = url[url.index("/speech/"):]
    client = create_app(platform, {"TESTING": True}).test_client()
    fetched = client.get(path, environ_base={"REMOTE_ADDR": "54.1.2.3"})  # a Twilio media fetcher
    assert fetched.status_code == 200 and fetched.data[:4] == b"RIFF"
    private = path.replace("/speech/p/", "/speech/")  # a public signature is not an Asterisk one
    assert client.get(private, environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code == 403


@needs_espeak
def test_console_preview_renders_a_text_for_logged_in_users(platform: Platform) -> None:
    from web.app import create_app

    platform.accounts.create_user("editor-x", "pass-word-123", ["editor"], display_name="E", province_scope="00")
    client = create_app(platform, {"TESTING": True, "WTF_CSRF_ENABLED": False}).test_client()
    client.environ_base["REMOTE_ADDR"] = "10.9.9.9"  # a console user's browser, not an Asterisk host
    assert client.post("/speech/preview", json={"text": "您好"}).status_code in (302, 401)  # not logged in
    login = client.post("/login", data={"username": "editor-x", "password": "pass-word-123"})
    assert login.status_code == 302
    answer = client.post("/speech/preview", json={"text": "缴费比例8%", "language": "zh"})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    body = answer.get_json()
    assert body["spoken"] == "缴费比例百分之八" and body["url"].startswith("/speech/")
    audio = client.get(body["url"])
    assert audio.status_code == 200 and audio.data[:4] == b"RIFF"
    assert client.post("/speech/preview", json={"text": ""}).status_code == 400
    assert client.post("/speech/preview", json={"text": "x" * 3000}).status_code == 400
