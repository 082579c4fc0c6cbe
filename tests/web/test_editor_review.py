"""The editor's and reviewer's pages: history in the console's language, revisions compared side
by side as rendered content with translated field names, the reviewer sees the rendered article
before approving, dates typed as yyyy-mm-dd."""

from __future__ import annotations

from typing import Any

import pytest

from hotline.platform import Platform
from tests.web.scenario import publish_article

pytestmark = pytest.mark.usefixtures("web_app")


def test_review_page_and_side_by_side_diff(platform: Platform, make_user: Any, client_for: Any) -> None:
    from web.users import SessionUser

    editor, reviewer = make_user("ed", ("editor",), "00"), make_user("rv", ("reviewer",), "00")
    article = publish_article(platform, editor, reviewer, title="社保卡补办", short_answer="携带身份证到银行网点补办。",
                              body="<p>原卡挂失后补办。</p>", questions=["社保卡丢了怎么办"], category="card")
    draft = platform.knowledge.create_draft(SessionUser(editor), article_id=article,
                                            short_answer="可在线上或银行网点补办，需先挂失。",
                                            body_html="<p>先<strong>挂失</strong>，再补办。</p>")
    platform.knowledge.submit(SessionUser(editor), draft.id)
    revisions = platform.knowledge.revisions(article)
    first = next(r for r in revisions if r.number == 1)

    page = client_for("rv").get(f"/editor/articles/{article}").get_data(as_text=True)
    assert 'id="review-rendered"' in page and "<strong>挂失</strong>" in page
    assert "提交审核" in page and ">submit<" not in page and 'data-action="submit"' in page
    assert 'type="date"' not in page and 'placeholder="yyyy-mm-dd"' in page

    diff = client_for("ed").get("/api/v1/kb/diff", query_string={"a": first.id, "b": draft.id},
                                headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "简短答案" in diff and ">short_answer<" not in diff
    assert "修改前 · r1" in diff and "修改后 · r2" in diff and 'class="diff-side"' in diff
    assert "<strong>挂失</strong>" in diff and "原卡挂失后补办" in diff


def test_the_body_is_written_in_markdown_and_saved_as_sanitised_html(platform: Platform, make_user: Any,
                                                                      client_for: Any) -> None:
    from tests.web.conftest import page_csrf

    make_user("ed2", ("editor",), "00")
    client = client_for("ed2")
    csrf = page_csrf(client)
    page = client.get("/editor/new").get_data(as_text=True)
    assert 'data-md="bold"' in page and 'name="body_format" value="markdown"' in page and "editor.js" in page
    body = "### 办理材料\n\n- **身份证**\n- 社保卡\n\n[官网](https://www.12333.gov.cn/)\n\n<script>alert(1)</script>"
    preview = client.post("/api/v1/kb/preview", json={"body_html": body, "body_format": "markdown",
                                                      "title": "t", "short_answer": "s"},
                          headers={"X-CSRFToken": csrf}).json
    assert "<h3>办理材料</h3>" in preview["body_html"] and "<strong>身份证</strong>" in preview["body_html"]
    assert "<script>" not in preview["body_html"]
    saved = client.post("/api/v1/kb/articles", json={"title": "补办社保卡要带什么", "short_answer": "身份证和社保卡。",
                                                     "body_html": body, "body_format": "markdown",
                                                     "category": "card", "province": "00",
                                                     "questions": ["补办社保卡要带什么"]},
                        headers={"X-CSRFToken": csrf})
    assert saved.status_code == 200, saved.json
    article_id = saved.json["revision"]["article_id"]
    stored = platform.knowledge.revisions(article_id)[0].body_html
    assert "<li><strong>身份证</strong></li>" in stored and "<script>" not in stored and "**" not in stored
