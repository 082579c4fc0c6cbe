"""The console's own queries and the services it drives, on PostgreSQL: a call handled and wrapped
up, the by-agent report (a join and aggregate over the ACD's wrap-ups), tickets and audit."""

from __future__ import annotations

from typing import Any

import pytest

from hotline.platform import Platform
from tests.web.conftest import page_csrf
from tests.web.scenario import place_call, records_ready

pytestmark = pytest.mark.postgres


@pytest.fixture
def platform(pg_platform: Platform) -> Platform:
    return pg_platform


def test_call_report_and_tickets_on_postgres(platform: Platform, make_user: Any, client_for: Any) -> None:
    records_ready(platform)
    make_user("pg-agent", ("agent",), "44", agent=True)
    make_user("pg-sup", ("supervisor",), "44")
    agent, sup = client_for("pg-agent"), client_for("pg-sup")
    headers = {"X-CSRFToken": page_csrf(agent)}
    assert agent.post("/api/v1/agent/ready", headers=headers).json["state"] == "ready"
    call_id = place_call(platform, province="44", verify=False)
    assert agent.post(f"/api/v1/agent/calls/{call_id}/accept", headers=headers).status_code == 200
    platform.clock.advance(30)
    ticket = agent.post("/api/v1/tickets", json={"subject": "社保卡补办进度", "details": "请经办机构回电",
                                                 "call_id": call_id}, headers=headers).json["ticket"]
    done = agent.post("/api/v1/agent/wrap-up", json={"disposition": "ticket"}, headers=headers).json
    assert done["today"] == {"ticket": 1, "handled": 1}
    rows = sup.get("/api/v1/supervisor/reports", query_string={"by": "agent"}).json["rows"]
    assert [(r["name"], r["handled"], r["aht"]) for r in rows] == [("pg-agent", 1, 30.0)]
    center = sup.get("/api/v1/tickets", query_string={"list": "center"}).json["tickets"]
    assert [t["id"] for t in center] == [ticket["id"]]
    closed = sup.post(f"/api/v1/tickets/{ticket['id']}/close", json={"resolution": "已回电"},
                      headers={"X-CSRFToken": page_csrf(sup)})
    assert closed.json["status"] == "closed"
    assert platform.audit.verify().ok
