"""Learning from use in the console: an agent's "used this" / "not helpful" reaches the editors' review
queue; an editor turns a suggestion into a draft (reviewed before publishing) or dismisses it."""

from __future__ import annotations

from typing import Any

import pytest

from hotline.platform import Platform
from tests.web.test_supervisor_editor_admin import _post


def test_agent_feedback_reaches_the_editors_queue_and_becomes_a_draft(platform: Platform, make_user: Any,
                                                                      client_for: Any) -> None:
    pytest.importorskip("knowledge.wiring")
    from knowledge.demo import load_demo

    load_demo(platform)
    make_user("fb-ed", ("editor",), "00")  # national articles: a national editor
    make_user("fb-agent", ("agent",), "44", agent=True)
    editor, agent = client_for("fb-ed"), client_for("fb-agent")
    html = agent.get("/api/v1/kb/search", query_string={"q": "社保卡不见了咋整", "province": "44"},
                     headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "/api/v1/kb/feedback" in html and "用了这条" in html  # the buttons are on every hit
    res = _post(agent, "/api/v1/kb/feedback", article_id="demo-sk-02", used=True, helpful=True,
                query="社保卡不见了咋整", call_id="call-1")
    assert res.status_code == 200, res.get_data(as_text=True)
    assert _post(agent, "/api/v1/kb/feedback", article_id="demo-sk-02", helpful=True,
                 query="社保卡不见了咋整").status_code == 200
    assert _post(agent, "/api/v1/kb/feedback", article_id="demo-nope", helpful=True).status_code == 404
    assert agent.get("/api/v1/kb/suggestions").status_code == 403  # editors only

    queue = editor.get("/api/v1/kb/suggestions").json["suggestions"]
    [entry] = [s for s in queue if s["article_id"] == "demo-sk-02"]
    assert entry["kind"] == "add_question" and entry["used"] == 1 and entry["helpful"] == 2
    page = editor.get("/editor/").get_data(as_text=True)
    assert "/api/v1/kb/suggestions" in page
    listed = editor.get("/api/v1/kb/suggestions", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "社保卡不见了咋整" in listed and "加入草稿" in listed

    done = _post(editor, f"/api/v1/kb/suggestions/{entry['id']}/accept", question="社保卡不见了怎么办")
    assert done.status_code == 200, done.get_data(as_text=True)
    draft = done.json["draft"]
    assert draft["status"] == "draft" and "社保卡不见了怎么办" in draft["questions"]
    assert "社保卡不见了怎么办" not in platform.knowledge.article("demo-sk-02").questions  # not published
    assert all(s["article_id"] != "demo-sk-02" for s in done.json["suggestions"])
