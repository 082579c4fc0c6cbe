"""Items 13 and 15: login rate limits per user and per address are independent (one user's
failures do not lock others on the address; a success resets only that user's counter) and the
`next` parameter cannot send a user off-site after login."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import PASSWORD, csrf_token


def _post(client: Any, username: str, password: str, query: str = "") -> Any:
    token = csrf_token(client)
    return client.post("/login" + query, data={"username": username, "password": password, "csrf_token": token})


def test_one_users_failures_do_not_lock_the_address(web_app: Any, make_user: Any) -> None:
    make_user("victim", ("agent",))
    make_user("colleague", ("agent",))
    client = web_app.test_client()
    for _ in range(5):
        assert _post(client, "victim", "wrong").status_code == 401
    assert _post(client, "victim", PASSWORD).status_code == 429  # that user is locked
    assert _post(web_app.test_client(), "colleague", PASSWORD).status_code == 302  # others are not


def test_a_success_does_not_reset_the_address_counter(web_app: Any, make_user: Any) -> None:
    make_user("attacker", ("agent",))
    client = web_app.test_client()
    statuses = []
    for i in range(30):
        statuses.append(_post(client, f"target{i}", "guess").status_code)  # names need not exist
        if i % 4 == 3:  # the attacker's own good login used to wipe the address counter
            _post(web_app.test_client(), "attacker", PASSWORD)
    assert statuses.count(401) == 30
    assert _post(client, "target0", "guess").status_code == 429  # the address is locked now
    assert _post(client, "attacker", PASSWORD).status_code == 429


@pytest.mark.parametrize("target", ["/%09/evil.example", "/%0a/evil.example", "/%5Cevil.example", "//evil.example",
                                    "https://evil.example/", "/\\evil.example", "%2F%2Fevil.example"])
def test_next_cannot_leave_the_site(web_app: Any, make_user: Any, target: str) -> None:
    make_user("nav", ("agent",))
    response = _post(web_app.test_client(), "nav", PASSWORD, f"?next={target}")
    assert response.status_code == 302
    location = response.headers["Location"]
    assert "evil" not in location and not location.startswith("//")


def test_next_keeps_a_local_path(web_app: Any, make_user: Any) -> None:
    make_user("nav2", ("supervisor",))
    response = _post(web_app.test_client(), "nav2", PASSWORD, "?next=/supervisor/")
    assert response.headers["Location"].endswith("/supervisor/")
