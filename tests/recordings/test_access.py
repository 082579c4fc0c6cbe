"""Who may hear and export a recording, through the console: the access matrix, signed links that
are bound to their user and expire, range requests, and an audit entry for every listen and export."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from hotline.platform import Platform
from tests.recordings.helpers import stereo_wav, user

GD, BJ = "44", "11"


class _Acd:
    """Console user ids map to agents: the user named agent-own is agent 1 (Guangdong)."""

    def __init__(self) -> None:
        self.users: dict[int, int] = {}

    def call_status(self, call_id: str) -> None:
        return None

    def profile(self, agent_id: int) -> object:
        return SimpleNamespace(id=agent_id, user_id=0, center_code=GD)

    def agent_for_user(self, user_id: int) -> object | None:
        agent = self.users.get(user_id)
        return SimpleNamespace(id=agent) if agent else None


@pytest.fixture
def setup(platform: Platform, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    acd = _Acd()
    monkeypatch.setitem(platform.__dict__, "agents", acd)
    rec_id = platform.recordings.store_file("call-gd", stereo_wav(tmp_path / "a.wav"), channel="import", agent_id=1)
    people = {
        "sup-national": user(platform, "sup-national", ["supervisor"], "00"),
        "qa-national": user(platform, "qa-national", ["qa"], "00"),
        "sup-gd": user(platform, "sup-gd", ["supervisor"], GD),
        "qa-gd": user(platform, "qa-gd", ["qa"], GD),
        "sup-bj": user(platform, "sup-bj", ["supervisor"], BJ),
        "qa-bj": user(platform, "qa-bj", ["qa"], BJ),
        "agent-own": user(platform, "agent-own", ["agent"], GD),
        "agent-other": user(platform, "agent-other", ["agent"], GD),
        "editor": user(platform, "editor-x", ["editor"], "00"),
    }
    acd.users = {people["agent-own"].id: 1, people["agent-other"].id: 2}
    from web.app import create_app

    app = create_app(platform, {"TESTING": True, "WTF_CSRF_ENABLED": False})
    return {"rec": rec_id, "people": people, "app": app}


def _client(app: Any, name: str) -> Any:
    client = app.test_client()
    client.post("/login", data={"username": name, "password": f"pw-{name}"})
    return client


def _links(client: Any, rec_id: int) -> tuple[int, str | None, str | None]:
    response = client.get(f"/recordings/{rec_id}")
    html = response.get_data(as_text=True)
    listen = html.split('<audio', 1)[1].split('src="', 1)[1].split('"', 1)[0] if "<audio" in html else None
    export = html.split('id="export" href="', 1)[1].split('"', 1)[0] if 'id="export"' in html else None
    return response.status_code, listen, export


@pytest.mark.parametrize(("who", "page", "may_export"), [
    ("sup-national", 200, True), ("qa-national", 200, True), ("sup-gd", 200, True), ("qa-gd", 200, True),
    ("sup-bj", 403, False), ("qa-bj", 403, False), ("agent-own", 403, False), ("agent-other", 403, False),
    ("editor-x", 403, False),
])
def test_access_matrix_center_without_agent_listening(setup: dict[str, Any], platform: Platform, who: str,
                                                      page: int, may_export: bool) -> None:
    client = _client(setup["app"], who)
    status, listen, export = _links(client, setup["rec"])
    assert status == page
    assert (export is not None) == may_export
    if status == 200:
        assert listen is not None
        response = client.get(listen, headers={"Range": "bytes=10-19"})
        assert response.status_code == 206 and len(response.data) == 10
        assert response.headers["Content-Range"].startswith("bytes 10-19/")


def test_agent_hears_own_calls_only_where_the_center_allows(setup: dict[str, Any], platform: Platform,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from dataclasses import replace

    svc = platform.recordings
    monkeypatch.setattr(svc, "config", replace(svc.config, agent_listen=frozenset({GD})))
    own = _client(setup["app"], "agent-own")
    status, listen, export = _links(own, setup["rec"])
    assert status == 200 and listen and export is None  # listen yes, download no
    assert own.get(listen).status_code == 200
    assert _links(_client(setup["app"], "agent-other"), setup["rec"])[0] == 403
    assert setup["rec"] in [r.id for r in svc.visible_to(SimpleNamespace(id=setup["people"]["agent-own"].id,
                                                                         roles=frozenset({"agent"}),
                                                                         province_scope=GD))]


def test_links_are_bound_to_their_user_and_expire(setup: dict[str, Any], platform: Platform, clock) -> None:
    app, rec_id = setup["app"], setup["rec"]
    gd = _client(app, "sup-gd")
    _, listen, export = _links(gd, rec_id)
    other = _client(app, "sup-national")  # may hear it, but not through someone else's link
    assert other.get(listen).status_code == 404
    assert gd.get(listen).status_code == 200
    full = gd.get(export)
    assert full.status_code == 200 and "attachment" in full.headers["Content-Disposition"]
    clock.advance(301)
    assert gd.get(listen).status_code == 404
    listens = platform.audit.entries(action="recording.listen", subject=f"recording:{rec_id}")
    exports = platform.audit.entries(action="recording.export", subject=f"recording:{rec_id}")
    assert [e.actor for e in listens] == [f"user:{setup['people']['sup-gd'].id}"]
    assert len(exports) == 1
    assert platform.audit.verify().ok


def test_a_purged_recording_is_gone(setup: dict[str, Any], platform: Platform, clock) -> None:
    from datetime import timedelta

    gd = _client(setup["app"], "sup-gd")
    _, listen, _ = _links(gd, setup["rec"])
    clock.advance(timedelta(days=181))
    platform.recordings.purge()
    clock.set(clock.now() - timedelta(days=181))
    assert gd.get(listen).status_code == 410
