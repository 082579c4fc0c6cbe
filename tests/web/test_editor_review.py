"""The editor's and reviewer's pages: history in the console's language, revisions compared side
by side as rendered content with translated field names, the reviewer sees the rendered article
before approving, dates typed as yyyy-mm-dd."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.scenario import publish_article

pytestmark = pytest.mark.usefixtures("web_app")


def test_review_page_and_side_by_side_diff(platform: Any, make_user: Any, client_for: Any) -> None:
    from web.app import SessionUser

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
