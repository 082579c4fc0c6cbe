"""Item 18: record look-ups the console refuses are audited. Item 22: declining a call that is not
offered to you is a 409 with the reason."""

from __future__ import annotations

from typing import Any

import pytest

from hotline.platform import Platform
from tests.web.conftest import page_csrf
from tests.web.scenario import place_call, records_ready

ID = "11010519491231002X"


@pytest.fixture
def two_agents(platform: Platform, make_user: Any, client_for: Any) -> dict[str, Any]:
    pytest.importorskip("agents.wiring")
    records_ready(platform)
    make_user("bj-1", ("agent",), "11", agent=True)
    make_user("bj-2", ("agent",), "11", agent=True)
    make_user("ed-x", ("editor",), "11")
    out = {}
    for name in ("bj-1", "bj-2", "ed-x"):
        client = client_for(name)
        out[name] = {"client": client, "csrf": page_csrf(client)}
    return out


def _post(ctx: dict[str, Any], path: str, **body: Any) -> Any:
    return ctx["client"].post(path, json=body, headers={"X-CSRFToken": ctx["csrf"]})


def test_refused_lookups_are_audited(platform: Platform, two_agents: dict[str, Any]) -> None:
    one, two = two_agents["bj-1"], two_agents["bj-2"]
    _post(one, "/api/v1/agent/ready")
    call_id = place_call(platform, province="11", verify=False)
    assert platform.agents.call_status(call_id).state == "offered"
    before = len(platform.audit.entries(action="record.lookup", limit=1000))
    # another agent's call
    assert _post(two, "/api/v1/records/lookup", call_id=call_id, id_number=ID, reason="x").status_code == 403
    # no reason given
    assert _post(two, "/api/v1/records/lookup", id_number=ID).status_code == 422
    # a role that may not look anyone up
    assert _post(two_agents["ed-x"], "/api/v1/records/lookup", id_number=ID, reason="curious").status_code == 403
    refused = [e for e in platform.audit.entries(action="record.lookup", limit=1000) if e.outcome == "refused"]
    assert len(platform.audit.entries(action="record.lookup", limit=1000)) - before == 3 == len(refused)
    by_status = sorted(e.detail["status"] for e in refused)
    assert by_status == [400, 403, 403]
    not_mine = next(e for e in refused if e.session_id == call_id)
    assert not_mine.subject == ID and not_mine.actor.startswith("user:")
    assert platform.audit.verify().ok


def test_declining_a_call_not_offered_to_me_is_409(platform: Platform, two_agents: dict[str, Any]) -> None:
    one, two = two_agents["bj-1"], two_agents["bj-2"]
    _post(one, "/api/v1/agent/ready")
    call_id = place_call(platform, province="11", verify=False)
    _post(two, "/api/v1/agent/ready")
    refused = _post(two, f"/api/v1/agent/calls/{call_id}/decline")
    assert refused.status_code == 409 and "not offered" in refused.json["error"]
    assert platform.agents.call_status(call_id).state == "offered"  # nothing changed
    assert _post(two, "/api/v1/agent/calls/no-such-call/decline").status_code == 404
    assert _post(one, f"/api/v1/agent/calls/{call_id}/decline").status_code == 200
