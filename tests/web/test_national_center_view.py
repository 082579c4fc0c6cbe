"""Issue 19: a national supervisor sees the national center (00) on its own, apart from the national
total: its own agents, waiting calls, statistics and tickets, not the provinces'."""

from __future__ import annotations

from typing import Any

import pytest

from hotline.platform import Platform
from tests.web.scenario import place_call

pytestmark = pytest.mark.usefixtures("web_app")


def test_the_national_center_apart_from_the_national_total(platform: Platform, make_user: Any,
                                                           client_for: Any) -> None:
    make_user("nat-sup", ("supervisor",), "00")
    national_agent = make_user("nat-agent", ("agent",), "00", agent=True)
    gd_agent = make_user("gd-agent", ("agent",), "44", agent=True)
    for user in (national_agent, gd_agent):
        platform.agents.login(platform.agents.agent_for_user(user.id).id)
    at_national = place_call(platform, province="00", topic="general", caller="13800138000", verify=False)
    at_gd = place_call(platform, province="44", caller="13911112222", verify=False)
    sup = client_for("nat-sup")

    total = sup.get("/api/v1/supervisor/wallboard", query_string={"province": "00"}).json
    own = sup.get("/api/v1/supervisor/wallboard", query_string={"province": "00", "own": "1"}).json
    assert {a["name"] for a in total["agents"]} >= {"nat-agent", "gd-agent"}
    assert [a["name"] for a in own["agents"]] == ["nat-agent"]
    assert own["own"] is True and total["own"] is False
    assert own["stats"]["waiting"] == 1 and total["stats"]["waiting"] == 2

    waiting_total = str(sup.get("/api/v1/supervisor/waiting", query_string={"province": "00"}).json)
    waiting_own = sup.get("/api/v1/supervisor/waiting", query_string={"province": "00", "own": "true"}).json
    assert at_national in waiting_total and at_gd in waiting_total
    assert at_national in str(waiting_own) and at_gd not in str(waiting_own)
    assert all(q.startswith("00-") for q in waiting_own["targets"])

    page = sup.get("/supervisor/", query_string={"province": "00", "own": "1"}).get_data(as_text=True)
    assert "仅全国中心本身" in page and 'name="own" value="1" checked' in page
    assert "own=1" in page  # the live parts reload the national center alone
    assert "全国合计" in sup.get("/supervisor/", query_string={"province": "00"}).get_data(as_text=True)
