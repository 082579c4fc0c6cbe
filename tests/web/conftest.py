"""Fixtures for the console tests: a platform with centers, queues and agents; users of every role
in a province and nationally; logged-in test clients."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from hotline.platform import Platform

PASSWORD = "correct-horse-battery"
ROLES = ("agent", "supervisor", "editor", "reviewer", "admin", "qa")
HOME_PROVINCE, OTHER_PROVINCE = "44", "11"


def csrf_token(client: Any, path: str = "/login") -> str:
    page = client.get(path).get_data(as_text=True)
    return page.split('name="csrf_token" value="')[1].split('"')[0]


def login(client: Any, username: str, password: str = PASSWORD) -> Any:
    token = csrf_token(client)
    response = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return client


def page_csrf(client: Any) -> str:
    """The CSRF token a logged-in page carries (sent as X-CSRFToken by htmx)."""
    html = client.get("/").get_data(as_text=True)
    if "X-CSRFToken" not in html:
        html = client.get(client.get("/").headers.get("Location", "/")).get_data(as_text=True)
    return html.split('"X-CSRFToken": "')[1].split('"')[0]


@pytest.fixture
def switch_ready(platform: Platform) -> Platform:
    """Centers and queues loaded (the switch's demo directory)."""
    pytest.importorskip("switch.wiring")
    platform.switch.ensure_directory()
    return platform


@pytest.fixture
def make_user(platform: Platform) -> Callable[..., Any]:
    def make(username: str, roles: tuple[str, ...], province: str = HOME_PROVINCE, agent: bool = False) -> Any:
        user = platform.accounts.create_user(username, PASSWORD, list(roles), display_name=username,
                                             province_scope=province)
        if agent:
            from core.topics import TOPICS

            platform.agents.create_agent(user.id, name=username, center_code=province, skills=tuple(TOPICS))
        return user

    return make


@pytest.fixture
def web_app(switch_ready: Platform) -> Any:
    from web.app import create_app

    return create_app(switch_ready, {"TESTING": True, "SSE_HEARTBEAT": 0.05, "SSE_MAX_SECONDS": 2})


@pytest.fixture
def client_for(web_app: Any) -> Iterator[Callable[[str], Any]]:
    clients: list[Any] = []

    def make(username: str) -> Any:
        client = web_app.test_client()
        clients.append(client)
        return login(client, username)

    yield make


