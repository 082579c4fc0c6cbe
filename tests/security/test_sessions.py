"""Item 17: logout and a password change invalidate the session cookie on the server side."""

from __future__ import annotations

from typing import Any

from hotline.platform import Platform
from tests.web.conftest import PASSWORD, login, page_csrf


def test_a_cookie_saved_before_logout_no_longer_works(web_app: Any, make_user: Any) -> None:
    make_user("leaver", ("supervisor",))
    client = login(web_app.test_client(), "leaver")
    assert client.get("/api/v1/me").status_code == 200
    stolen = client.get_cookie("hotline_session").value
    csrf = page_csrf(client)
    assert client.post("/logout", data={"csrf_token": csrf}).status_code == 302
    thief = web_app.test_client()
    thief.set_cookie("hotline_session", stolen)
    assert thief.get("/api/v1/me").status_code == 401
    # logging in again works, with a new cookie
    again = login(web_app.test_client(), "leaver")
    assert again.get("/api/v1/me").status_code == 200


def test_a_password_change_ends_every_session(web_app: Any, make_user: Any, platform: Platform) -> None:
    user = make_user("changer", ("agent",))
    laptop = login(web_app.test_client(), "changer")
    phone = login(web_app.test_client(), "changer")
    assert laptop.get("/api/v1/me").status_code == 200 and phone.get("/api/v1/me").status_code == 200
    platform.accounts.set_password(user.id, PASSWORD + "-new")
    assert laptop.get("/api/v1/me").status_code == 401 and phone.get("/api/v1/me").status_code == 401
    assert login(web_app.test_client(), "changer", PASSWORD + "-new").get("/api/v1/me").status_code == 200
