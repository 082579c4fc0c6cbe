"""Supervisor (wallboard, chart, forcing agents, reports and CSV), knowledge editor and reviewer
(draft → preview → submit → approve/reject → searchable), admin (centers, holidays, flows, SMS
templates, agents) — all through the console API on the real services."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from hotline.platform import Platform
from tests.web.conftest import page_csrf
from tests.web.scenario import place_call, records_ready


def _post(client: Any, path: str, **body: Any) -> Any:
    return client.post(path, json=body, headers={"X-CSRFToken": page_csrf(client)})


@pytest.fixture
def floor(platform: Platform, make_user: Any, client_for: Any) -> dict[str, Any]:
    """Two Guangdong agents (one ready), a Guangdong supervisor, a national supervisor."""
    pytest.importorskip("agents.wiring")
    records_ready(platform)
    a1 = make_user("gd-1", ("agent",), "44", agent=True)
    make_user("gd-2", ("agent",), "44", agent=True)
    make_user("sup-gd", ("supervisor",), "44")
    agent_id = platform.agents.agent_for_user(a1.id).id
    platform.agents.login(agent_id)
    platform.agents.set_ready(agent_id)
    return {"agent_id": agent_id, "sup": client_for("sup-gd")}


def test_wallboard_counts_change_with_the_calls(platform: Platform, floor: dict[str, Any]) -> None:
    sup = floor["sup"]
    before = sup.get("/api/v1/supervisor/wallboard").json
    assert before["scope"] == "44" and before["stats"]["agents_by_state"] == {"ready": 1}
    first = place_call(platform, province="44", verify=False)  # offered to the ready agent
    place_call(platform, province="44", verify=False)  # waits
    platform.clock.advance(20)
    board = sup.get("/api/v1/supervisor/wallboard").json
    assert board["stats"]["waiting"] == 1 and board["stats"]["longest_wait"] >= 20
    assert board["stats"]["offered"] == 2 and board["stats"]["agents_by_state"] == {"offered": 1}
    (agent,) = board["agents"]
    assert agent["state"] == "offered" and agent["time_in_state"] == 20
    platform.agents.accept(floor["agent_id"], first)
    assert sup.get("/api/v1/supervisor/wallboard").json["stats"]["answered"] == 1
    html = sup.get("/api/v1/supervisor/wallboard", headers={"HX-Request": "1"}).get_data(as_text=True)
    assert 'id="wb-waiting"' in html and "强制置忙" in html
    assert sup.get("/api/v1/supervisor/wallboard", query_string={"province": "11"}).status_code == 403


def test_forcing_an_agent_is_audited_and_scoped(platform: Platform, floor: dict[str, Any], make_user: Any,
                                                client_for: Any) -> None:
    sup = floor["sup"]
    aid = floor["agent_id"]
    done = _post(sup, f"/api/v1/supervisor/agents/{aid}/not-ready", province="44", reason="meeting")
    assert done.status_code == 200
    status = platform.agents.agent_status(aid)
    assert (status.state, status.reason) == ("not_ready", "meeting")
    assert _post(sup, f"/api/v1/supervisor/agents/{aid}/logout", province="44").status_code == 200
    assert platform.agents.agent_status(aid).state == "logged_out"
    actions = [e.action for e in platform.audit.entries(subject=f"agent:{aid}")]
    assert actions == ["acd.force_logout", "acd.force_not_ready"]
    make_user("sup-bj", ("supervisor",), "11")
    other = client_for("sup-bj")  # claims its own province, but the agent is in Guangdong
    assert _post(other, f"/api/v1/supervisor/agents/{aid}/not-ready", province="11").status_code == 403


def test_day_chart_and_reports_with_csv(platform: Platform, floor: dict[str, Any]) -> None:
    sup = floor["sup"]
    call_id = place_call(platform, province="44", verify=False)
    platform.clock.advance(5)
    platform.agents.accept(floor["agent_id"], call_id)
    platform.clock.advance(60)
    platform.agents.end_call(call_id)
    platform.agents.wrap_up(floor["agent_id"], "resolved")
    place_call(platform, province="44", verify=False)  # offered, then the caller hangs up
    start = int(platform.clock.time() // 900 * 900)
    platform.clock.advance(900)
    platform.agents.flush_interval(start)  # the closed interval, stored for reports (the ACD's timer does this)

    chart = sup.get("/api/v1/supervisor/intervals", headers={"HX-Request": "1"}).get_data(as_text=True)
    assert chart.count('class="bar"') >= 1 and "<svg" in chart and "offered 2" in chart
    by_day = sup.get("/api/v1/supervisor/reports", query_string={"by": "day"}).json["rows"]
    assert by_day[-1]["offered"] == 2 and by_day[-1]["answered"] == 1 and by_day[-1]["asa"] == 5.0
    by_agent = sup.get("/api/v1/supervisor/reports", query_string={"by": "agent"}).json["rows"]
    assert [(r["agent_id"], r["handled"]) for r in by_agent] == [(floor["agent_id"], 1)]
    by_queue = sup.get("/api/v1/supervisor/reports", query_string={"by": "queue"}).json["rows"]
    assert [r["queue_id"] for r in by_queue] == ["44-pension"]
    exported = sup.get("/api/v1/supervisor/reports", query_string={"by": "interval", "format": "csv"})
    assert exported.mimetype == "text/csv" and "attachment" in exported.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows and rows[0]["offered"] == "2"
    assert sup.get("/api/v1/supervisor/reports", query_string={"by": "day", "from": "2026-12-01",
                                                              "to": "2026-11-01"}).status_code == 422
    assert sup.get("/api/v1/supervisor/reports", query_string={"by": "week"}).status_code == 400
    assert sup.get("/api/v1/supervisor/satisfaction").status_code == 200


def test_editor_and_reviewer_publish_and_search_finds_it(platform: Platform, web_app: Any, make_user: Any,
                                                          client_for: Any) -> None:
    pytest.importorskip("knowledge.wiring")
    make_user("kb-ed", ("editor",), "44")
    make_user("kb-rv", ("reviewer",), "00")
    make_user("kb-agent", ("agent",), "44", agent=True)
    editor, reviewer, agent = client_for("kb-ed"), client_for("kb-rv"), client_for("kb-agent")
    draft = {"title": "失业保险金申领", "short_answer": "离职后60日内到参保地经办机构申领失业保险金。",
             "body_html": "<p>携带身份证办理</p><script>alert(1)</script>", "category": "employment",
             "province": "44", "questions": ["失业金怎么领", "失业保险金申请"]}
    preview = _post(editor, "/api/v1/kb/preview", **draft).json
    assert "<script" not in preview["body_html"] and "身份证" in preview["body_html"] and preview["sms_parts"] == 1
    assert _post(editor, "/api/v1/kb/articles", **{**draft, "province": "11"}).status_code == 403
    saved = _post(editor, "/api/v1/kb/articles", **draft)
    assert saved.status_code == 200, saved.json
    rev = saved.json["revision"]
    assert rev["questions"] == ["失业金怎么领", "失业保险金申请"]
    changed = _post(editor, f"/api/v1/kb/revisions/{rev['id']}", short_answer="离职后60日内申领失业保险金。")
    assert changed.json["revision"]["short_answer"] == "离职后60日内申领失业保险金。"
    assert _post(reviewer, f"/api/v1/kb/revisions/{rev['id']}/approve").status_code == 409  # still a draft
    assert _post(editor, f"/api/v1/kb/revisions/{rev['id']}/submit").json["revision"]["status"] == "in_review"
    assert _post(editor, f"/api/v1/kb/revisions/{rev['id']}/approve").status_code == 403  # editors don't publish
    found = agent.get("/api/v1/kb/search", query_string={"q": "失业金怎么领", "province": "44"}).json
    assert rev["article_id"] not in [h["article_id"] for h in found["hits"]]
    approved = _post(reviewer, f"/api/v1/kb/revisions/{rev['id']}/approve", comment="ok")
    assert approved.json["revision"]["status"] == "published"
    found = agent.get("/api/v1/kb/search", query_string={"q": "失业金怎么领", "province": "44"}).json
    assert found["hits"][0]["article_id"] == rev["article_id"]

    listed = editor.get("/api/v1/kb/articles", query_string={"status": "published"}).json["articles"]
    assert [a["article_id"] for a in listed] == [rev["article_id"]]
    second = _post(editor, "/api/v1/kb/articles", article_id=rev["article_id"], short_answer="改后的答案。")
    assert second.json["revision"]["number"] == 2
    diff = editor.get("/api/v1/kb/diff", query_string={"a": rev["id"], "b": second.json["revision"]["id"]}).json
    assert [f["field"] for f in diff["fields"]] == ["short_answer"]
    _post(editor, f"/api/v1/kb/revisions/{second.json['revision']['id']}/submit")
    rejected = _post(reviewer, f"/api/v1/kb/revisions/{second.json['revision']['id']}/reject", comment="不准确")
    assert (rejected.json["revision"]["status"], rejected.json["revision"]["review_comment"]) == ("draft", "不准确")
    page = editor.get(f"/editor/articles/{rev['article_id']}").get_data(as_text=True)
    assert "不准确" in page and "失业保险金申领" in page
    notices = _post(editor, "/api/v1/kb/notices", title="系统升级", body="今晚停机维护", province="44").json
    assert [(n["title"], n["status"]) for n in notices["notices"]] == [("系统升级", "pending")]
    waiting = agent.get("/api/v1/kb/search", query_string={"q": "失业金怎么领", "province": "44"}).json
    assert waiting["notices"] == []  # four-eyes: nothing shows before a reviewer approves it
    _post(reviewer, f"/api/v1/kb/notices/{notices['notices'][0]['id']}/approve")
    found = agent.get("/api/v1/kb/search", query_string={"q": "失业金怎么领", "province": "44"}).json
    assert found["notices"][0]["title"] == "系统升级"


def test_admin_centers_holidays_flows_templates_agents(platform: Platform, make_user: Any, client_for: Any) -> None:
    make_user("root", ("admin",), "00")
    admin = client_for("root")
    centers = admin.get("/api/v1/admin/centers").json["centers"]
    assert len(centers) == 33 and centers[0]["hours_state"] is not None
    closed = _post(admin, "/api/v1/admin/centers/44", emergency_closed=True, emergency_text="台风停业")
    assert closed.status_code == 200 and platform.switch.center("44").emergency_closed
    assert _post(admin, "/api/v1/admin/centers/44", mode="sideways").status_code == 400
    holidays = _post(admin, "/api/v1/admin/holidays", day="2026-12-31", kind="holiday", name="测试").json
    assert [(o["day"], o["kind"]) for o in holidays["overrides"]] == [("2026-12-31", "holiday")]
    assert _post(admin, "/api/v1/admin/holidays", day="31/12", kind="holiday").status_code == 400

    user = make_user("fresh-agent", ("agent",), "44")
    made = _post(admin, "/api/v1/admin/agents", user_id=user.id, center_code="44", skills=["pension"])
    assert made.status_code == 200 and platform.agents.agent_for_user(user.id).skills == ("pension",)
    assert _post(admin, "/api/v1/admin/agents", user_id=user.id, center_code="44",
                 skills=["pension"]).status_code == 422  # already has one

    if platform.sms.templates.get("kb_answer") is None:
        platform.sms.templates.seed_defaults()
    templates = admin.get("/api/v1/admin/sms-templates").json["templates"]
    kb = next(t for t in templates if t["name"] == "kb_answer")
    assert kb["parts"] >= 1
    assert _post(admin, "/api/v1/admin/sms-templates/kb_answer", text="只有{title}").status_code == 422
    assert _post(admin, "/api/v1/admin/sms-templates/kb_answer", text="{title}：{answer}").status_code == 200
    assert platform.sms.templates.get("kb_answer").body == "{title}：{answer}"

    flows = admin.get("/api/v1/admin/flows")
    assert flows.status_code == 200
    assert admin.get("/admin/").status_code == 200


def test_editors_see_top_queries_and_queries_without_an_answer(platform: Platform, make_user: Any,
                                                                 client_for: Any) -> None:
    pytest.importorskip("knowledge.wiring")
    from knowledge.demo import load_demo

    load_demo(platform)
    make_user("q-ed", ("editor",), "44")
    make_user("q-agent", ("agent",), "44", agent=True)
    editor, agent = client_for("q-ed"), client_for("q-agent")
    asked = {"失业金怎么领": 2, "火星移民签证怎么办": 1}
    answered = {}
    for query, times in asked.items():
        for _ in range(times):
            found = agent.get("/api/v1/kb/search", query_string={"q": query, "province": "44"}).json
        answered[query] = not found["no_answer"]
    assert answered == {"失业金怎么领": True, "火星移民签证怎么办": False}

    assert agent.get("/api/v1/kb/queries").status_code == 403
    stats = editor.get("/api/v1/kb/queries", query_string={"days": 7}).json
    assert stats["days"] == 7
    top = {row["query"]: (row["count"], row["no_answer"]) for row in stats["top"]}
    assert top["失业金怎么领"] == (2, 0) and top["火星移民签证怎么办"] == (1, 1)
    assert [row["query"] for row in stats["unanswered"]] == ["火星移民签证怎么办"]
    html = editor.get("/api/v1/kb/queries", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "未找到答案的问题" in html and "火星移民签证怎么办" in html
    assert "/api/v1/kb/queries" in editor.get("/editor/").get_data(as_text=True)  # the editor page loads it


def test_wallboard_counts_overdue_and_nearly_due_tickets(platform: Platform, floor: dict[str, Any]) -> None:
    from datetime import timedelta

    user = platform.accounts.create_user("t-office-gd", "pw", ["supervisor"], province_scope="44")
    platform.tickets.open_ticket(user, caller="13612345678", topic="养老金", description="请核实。", province="44")
    sup = floor["sup"]
    assert sup.get("/api/v1/supervisor/wallboard").json["tickets"] == {"overdue": 0, "due_soon": 0}
    platform.clock.advance(timedelta(days=3))  # Tue → Fri: the Thursday due date has passed
    assert sup.get("/api/v1/supervisor/wallboard").json["tickets"] == {"overdue": 1, "due_soon": 0}
    html = sup.get("/api/v1/supervisor/wallboard", headers={"HX-Request": "1"}).get_data(as_text=True)
    assert 'id="wb-tickets-overdue"' in html and "超期工单" in html
