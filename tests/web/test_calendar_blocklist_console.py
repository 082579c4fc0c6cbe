"""The console's calendar (admin) and blocklist (supervisor) panels on the real switch: the loud
warning, editing and importing the official calendar (national admin only), blocking and lifting a
number within the supervisor's scope, numbers masked."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hotline.platform import Platform
from tests.web.conftest import page_csrf

NOTICE = """year: 2027
status: official
source: 国办发明电〔2026〕测试号
holidays:
  - {name: 春节, from: 2027-02-05, to: 2027-02-11, workdays: [2027-02-14]}
"""


def _post(client: Any, path: str, **body: Any) -> Any:
    return client.post(path, json=body, headers={"X-CSRFToken": page_csrf(client)})


def test_admin_sees_the_warning_edits_and_imports_the_calendar(platform: Platform, make_user: Any,
                                                               client_for: Any) -> None:
    platform.clock.set(datetime(2026, 12, 4, 2, 0, tzinfo=UTC))
    make_user("root", ("admin",), "00")
    make_user("adm-gd", ("admin",), "44")
    admin, provincial = client_for("root"), client_for("adm-gd")
    panel = admin.get("/api/v1/admin/calendar").json
    assert any("2027年的节假日安排仅为暂定" in w for w in panel["warnings"])
    assert {y["year"]: y["status"] for y in panel["years"]}[2027] == "provisional"
    html = admin.get("/api/v1/admin/calendar", headers={"HX-Request": "1"}).get_data(as_text=True)
    assert 'role="alert"' in html and "暂定" in html
    assert _post(provincial, "/api/v1/admin/calendar/import", notice=NOTICE).status_code == 403
    bad = _post(admin, "/api/v1/admin/calendar/import", notice="year: 2027\nholidays: []\n")
    assert bad.status_code == 422 and "nothing imported" in bad.get_data(as_text=True)
    done = _post(admin, "/api/v1/admin/calendar/import", notice=NOTICE).json
    assert done["warnings"] == [] and done["year"] == 2027
    assert {"day": "2027-02-14", "kind": "workday", "name": "春节"} in done["days"]
    edited = _post(admin, "/api/v1/admin/calendar/day", day="2027-10-09", kind="workday", name="国庆节").json
    assert {"day": "2027-10-09", "kind": "workday", "name": "国庆节"} in edited["days"]
    assert _post(admin, "/api/v1/admin/calendar/day", day="2031-01-01", kind="holiday").status_code == 422


def test_supervisors_block_within_their_scope(platform: Platform, make_user: Any, client_for: Any) -> None:
    make_user("sup-gd", ("supervisor",), "44")
    make_user("sup-bj", ("supervisor",), "11")
    make_user("sup-all", ("supervisor",), "00")
    gd, bj, national = client_for("sup-gd"), client_for("sup-bj"), client_for("sup-all")
    made = _post(gd, "/api/v1/supervisor/blocklist", number="13910001234", reason="多次骚扰坐席", days=7).json
    (row,) = made["blocks"]
    assert row["scope"] == "44" and row["number"] != "13910001234" and "****" in row["number"]
    assert platform.switch.blocked("13910001234", entry_center="44") is not None
    assert _post(gd, "/api/v1/supervisor/blocklist", number="13910001234", reason="x", scope="*").status_code == 403
    assert _post(gd, "/api/v1/supervisor/blocklist", number="abc", reason="x").status_code == 422
    assert bj.get("/api/v1/supervisor/blocklist").json["blocks"] == []  # another province's block
    assert _post(bj, f"/api/v1/supervisor/blocklist/{row['id']}/lift").status_code == 404
    _post(national, "/api/v1/supervisor/blocklist", number="18620001234", reason="辱骂", scope="*")
    assert len(national.get("/api/v1/supervisor/blocklist").json["blocks"]) == 2
    assert _post(gd, f"/api/v1/supervisor/blocklist/{row['id']}/lift").json["blocks"][0]["scope"] == "*"
    actions = [e.action for e in platform.audit.entries(limit=20) if e.action.startswith("switch.")]
    assert sorted(actions) == ["switch.block", "switch.block", "switch.unblock"]
