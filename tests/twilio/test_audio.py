"""Recorded prompts: the engine names a WAV that exists, the TwiML plays it from this node's audio route."""

from __future__ import annotations

import io
import wave
from pathlib import Path

from tests.twilio.conftest import PUBLIC_URL


def write_wav(path: Path) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\x00\x01" * 800)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())
    return buffer.getvalue()


def test_recorded_welcome_is_played_and_served(settings, platform, make_call, client) -> None:  # type: ignore[no-untyped-def]
    from ivr.service import DEFAULT_FLOW

    data = write_wav(Path(settings.data_dir) / "prompts" / "zh" / "welcome.wav")  # before the IVR loads
    platform.switch.ensure_directory()
    platform.ivr.publish(DEFAULT_FLOW.read_text(encoding="utf-8"), "12333", by="test")
    call = make_call()
    call.start()
    plays = [el.text for el in call.document.iter("Play")]  # type: ignore[union-attr]
    assert plays == [f"{PUBLIC_URL}/twilio/audio/zh/welcome.wav"]
    assert "欢迎致电" not in "".join(call.said())  # the recording replaces the synthesised text
    response = client.get("/twilio/audio/zh/welcome.wav")
    assert response.status_code == 200 and response.mimetype == "audio/wav" and response.data == data


def test_audio_route_serves_nothing_else(settings, client) -> None:  # type: ignore[no-untyped-def]
    (Path(settings.data_dir) / "secret.wav").write_bytes(b"RIFF")
    assert client.get("/twilio/audio/zh/missing.wav").status_code == 404
    assert client.get("/twilio/audio/../secret.wav").status_code == 404
    assert client.get("/twilio/audio/zh/..%2F..%2Fsecret.wav").status_code == 404
