"""Weekly opening hours per center, edited in the admin console: parsed, validated with a clear
message, saved through the switch, audited with the hours before."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import page_csrf

pytestmark = pytest.mark.usefixtures("web_app")


def test_an_admin_edits_a_centers_weekly_hours(platform: Any, make_user: Any, client_for: Any) -> None:
    make_user("adm", ("admin",), "00")
    admin = client_for("adm")
    csrf = page_csrf(admin)
    page = admin.get("/api/v1/admin/centers", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'data-center="44"' in page and "08:30-12:00,13:00-17:30" in page and "修改人工服务时间" in page
    days = {"mon": "08:00-12:00，14:00-18:00", "tue": "08:00-18:00", "wed": "08:00-18:00", "thu": "08:00-18:00",
            "fri": "08:00-18:00", "sat": "09:00-12:00", "sun": ""}
    saved = admin.post("/api/v1/admin/centers/44/hours", json=days, headers={"X-CSRFToken": csrf})
    assert saved.status_code == 200, saved.json
    hours = platform.switch.center("44").weekly_hours
    assert hours["mon"] == [["08:00", "12:00"], ["14:00", "18:00"]] and hours["sat"] == [["09:00", "12:00"]]
    assert hours["sun"] == []
    audit = platform.audit.entries(action="center.hours")[0]
    assert audit.detail["before"]["mon"] == [["08:30", "12:00"], ["13:00", "17:30"]]

    for bad, words in (({"mon": "8-12"}, "08:30-12:00"), ({"mon": "12:00-08:00"}, "晚于"),
                       ({"mon": "08:00-12:00,11:00-13:00"}, "重叠")):
        refused = admin.post("/api/v1/admin/centers/44/hours", json=bad, headers={"X-CSRFToken": csrf})
        assert refused.status_code == 400 and words in refused.json["error"]
    assert platform.switch.center("44").weekly_hours == hours  # a refused change changes nothing
