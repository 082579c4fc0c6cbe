"""Fixtures for the Twilio channel: a platform configured for Twilio whose REST client talks to a
local fake of Twilio's API, a Flask client, and callers that drive calls through signed webhooks."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from core.settings import Settings
from tests.conftest import make_settings
from tests.support.emulators.twilio import FakeTwilioApi, TwilioCallEmulator

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "f3a1c0de" * 4
PUBLIC_URL = "https://hotline.example.cn"


@pytest.fixture
def fake_api() -> Iterator[FakeTwilioApi]:
    with FakeTwilioApi(ACCOUNT_SID, AUTH_TOKEN) as api:
        yield api


@pytest.fixture
def settings(tmp_path: Path, fake_api: FakeTwilioApi) -> Settings:
    """Overrides the root fixture: every platform in this folder is configured for Twilio."""
    return make_settings(tmp_path, twilio_account_sid=ACCOUNT_SID, twilio_auth_token=AUTH_TOKEN,
                         twilio_api_base=fake_api.url, public_url=PUBLIC_URL)


@pytest.fixture
def twilio_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = {
        "TWILIO_API_KEY_SID": "SK" + "9" * 32,
        "TWILIO_API_KEY_SECRET": "api-key-secret-for-tests-0123456789abcdef",
        "TWILIO_TWIML_APP_SID": "AP" + "7" * 32,
        "TWILIO_CALLER_ID": "+861012333",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


@pytest.fixture(autouse=True)
def capture_warnings(caplog: pytest.LogCaptureFixture) -> None:
    """Refusals and failures are logged at WARNING or above; capture them whatever the root level."""
    caplog.set_level(logging.WARNING)


@pytest.fixture(autouse=True)
def only_our_blueprints(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app with login and the Twilio blueprint only: other areas are not under test here."""
    monkeypatch.setattr("web.app.BLUEPRINTS", ("web.auth", "web.twilio"))


@pytest.fixture
def app(platform, twilio_env):  # type: ignore[no-untyped-def]
    from web.app import create_app

    return create_app(platform, {"TESTING": True, "WTF_CSRF_ENABLED": False})


def flask_post(client) -> Callable[[str, dict[str, str], dict[str, str]], tuple[int, str]]:  # type: ignore[no-untyped-def]
    def post(path: str, form: dict[str, str], headers: dict[str, str]) -> tuple[int, str]:
        response = client.post(path, data=form, headers=headers)
        return response.status_code, response.get_data(as_text=True)

    return post


@pytest.fixture
def make_call(client, fake_api: FakeTwilioApi) -> Iterator[Callable[..., TwilioCallEmulator]]:  # type: ignore[no-untyped-def]
    made: list[TwilioCallEmulator] = []

    def make(**kwargs: str) -> TwilioCallEmulator:
        call = TwilioCallEmulator(flask_post(client), public_url=PUBLIC_URL, account_sid=ACCOUNT_SID,
                                  auth_token=AUTH_TOKEN, api=fake_api, **kwargs)
        made.append(call)
        return call

    yield make
    for call in made:
        call.close()


@pytest.fixture
def bridge(platform):  # type: ignore[no-untyped-def]
    """The `ivr.twilio` node service running on its own asyncio loop, as inside a node."""
    import asyncio
    import threading

    from ivr.twilio.runtime import TwilioBridge

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="test-node-loop", daemon=True)
    thread.start()
    service = TwilioBridge(platform)
    asyncio.run_coroutine_threadsafe(service.start(), loop).result(timeout=5)

    def drain() -> None:
        asyncio.run_coroutine_threadsafe(service.drain(), loop).result(timeout=10)

    service.drain_now = drain  # type: ignore[attr-defined]
    yield service
    asyncio.run_coroutine_threadsafe(service.stop(), loop).result(timeout=10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=5)
    loop.close()


@pytest.fixture
def hotline(platform):  # type: ignore[no-untyped-def]
    """The real IVR, switch and ACD with the default 12333 flow live."""
    from ivr.service import DEFAULT_FLOW

    platform.switch.ensure_directory()
    platform.ivr.publish(DEFAULT_FLOW.read_text(encoding="utf-8"), "12333", by="test")
    return platform


def make_agent(platform, username: str, *, center: str = "11", endpoint: str | None = None) -> int:  # type: ignore[no-untyped-def]
    """A console user with an ACD profile taking every topic; returns the agent id."""
    user = platform.accounts.create_user(username, "a-long-password-1", ["agent"], province_scope=center)
    return int(platform.agents.create_agent(user.id, name=username, center_code=center,
                                            skills=["general", "pension", "medical", "employment",
                                                    "injury_maternity", "labour", "card"],
                                            endpoint=endpoint))
