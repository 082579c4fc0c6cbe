"""Item 3: sessions and tokens minted for demo users die with demo mode, and turning it off is
logged and audited."""

from __future__ import annotations

from typing import Any

from core.accounts import DEMO_PASSWORD
from core.clock import FakeClock
from core.events import InProcessBus
from core.state import MemoryStore
from hotline.platform import Platform
from tests.web.conftest import login


def test_demo_sessions_and_tokens_are_refused_after_a_restart_without_demo_mode(
        platform: Platform, web_app: Any, clock: FakeClock) -> None:
    user = platform.accounts.create_user("demo-sup", DEMO_PASSWORD, ["supervisor"], province_scope="00",
                                         is_demo=True)
    platform.accounts.note_demo_mode(platform.audit)
    token = platform.accounts.issue_token(user.id, "integration")
    client = login(web_app.test_client(), "demo-sup", DEMO_PASSWORD)
    assert client.get("/api/v1/me").status_code == 200
    cookie = client.get_cookie("hotline_session").value

    from web.app import create_app

    off = Platform(platform.settings.model_copy(update={"demo_mode": False}), clock=clock,
                   store=MemoryStore(clock), bus=InProcessBus("n2", clock))
    try:
        assert off.accounts.note_demo_mode(off.audit) is True
        assert [e.action for e in off.audit.entries(action="demo.disabled")] == ["demo.disabled"]
        assert off.accounts.note_demo_mode(off.audit) is False  # logged once, not at every start
        app = create_app(off, {"TESTING": True})
        again = app.test_client()
        again.set_cookie("hotline_session", cookie)
        assert again.get("/api/v1/me").status_code == 401
        bearer = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert bearer.status_code == 401
    finally:
        off.close()
    # back in demo mode the very same credentials work again (they were refused, not destroyed)
    assert web_app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
