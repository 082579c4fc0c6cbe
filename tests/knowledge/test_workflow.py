"""Editorial workflow: roles, the four-eyes rule, immutable revisions, history, diff and rollback."""

from __future__ import annotations

import pytest

from knowledge.errors import InvalidState, KnowledgeError, NotFound, PermissionDenied
from tests.knowledge.conftest import content, publish


def test_only_editors_write_and_only_reviewers_publish(kb, users) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PermissionDenied):
        kb.create_draft(users["agent"], **content())
    with pytest.raises(PermissionDenied):
        kb.create_draft(users["reviewer"], **content())
    with pytest.raises(PermissionDenied):
        kb.create_draft(None, **content())
    rev = kb.create_draft(users["editor"], **content())
    with pytest.raises(PermissionDenied):
        kb.submit(users["agent"], rev.id)
    kb.submit(users["editor"], rev.id)
    with pytest.raises(PermissionDenied):
        kb.approve(users["editor2"], rev.id)  # an editor is not a reviewer
    with pytest.raises(PermissionDenied):
        kb.approve(users["agent"], rev.id)
    published = kb.approve(users["reviewer"], rev.id, "looks right")
    assert published.status == "published" and published.reviewer_id == users["reviewer"].id
    assert kb.article(rev.article_id).revision_id == rev.id


def test_a_reviewer_never_publishes_their_own_revision(kb, users) -> None:  # type: ignore[no-untyped-def]
    own = kb.create_draft(users["both"], **content())
    kb.submit(users["both"], own.id)
    with pytest.raises(PermissionDenied, match="wrote or edited"):
        kb.approve(users["both"], own.id)
    # Editing someone else's draft also counts as writing it.
    other = kb.create_draft(users["editor"], **content(title="失业登记怎么办？"))
    kb.update_draft(users["both"], other.id, short_answer="到经办机构或网上办理失业登记。", reason="更简洁")
    kb.submit(users["editor"], other.id)
    with pytest.raises(PermissionDenied):
        kb.approve(users["both"], other.id)
    assert kb.approve(users["reviewer"], other.id).status == "published"
    assert kb.approve(users["reviewer"], own.id).status == "published"


def test_revisions_are_immutable_once_submitted(kb, users) -> None:  # type: ignore[no-untyped-def]
    rev = kb.create_draft(users["editor"], **content())
    kb.update_draft(users["editor"], rev.id, title="失业金怎么领？")
    kb.submit(users["editor"], rev.id)
    with pytest.raises(InvalidState):
        kb.update_draft(users["editor"], rev.id, title="changed after submit")
    with pytest.raises(InvalidState):
        kb.submit(users["editor"], rev.id)
    assert kb.revision(rev.id).title == "失业金怎么领？"


def test_reject_needs_a_comment_and_returns_the_draft(kb, users) -> None:  # type: ignore[no-untyped-def]
    rev = kb.create_draft(users["editor"], **content())
    kb.submit(users["editor"], rev.id)
    with pytest.raises(KnowledgeError):
        kb.reject(users["reviewer"], rev.id, "  ")
    back = kb.reject(users["reviewer"], rev.id, "请补充办理材料")
    assert back.status == "draft" and back.review_comment == "请补充办理材料"
    kb.update_draft(users["editor"], rev.id, body="<p>带身份证和社保卡办理失业登记。</p>")
    kb.submit(users["editor"], rev.id)
    assert kb.approve(users["reviewer"], rev.id).status == "published"
    actions = [c.action for c in kb.history(rev.article_id)]
    assert actions == ["create", "submit", "reject", "update", "submit", "publish"]


def test_bad_content_is_refused_with_the_field_named(kb, users) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(KnowledgeError, match="short_answer"):
        kb.create_draft(users["editor"], **content(short_answer="长" * 61))
    with pytest.raises(KnowledgeError, match="province"):
        kb.create_draft(users["editor"], **content(province="99"))
    with pytest.raises(KnowledgeError, match="effective_to"):
        kb.create_draft(users["editor"], **content(effective_from="2026-01-01", effective_to="2025-01-01"))
    with pytest.raises(KnowledgeError, match="article id"):
        kb.create_draft(users["editor"], article_id="bad id!", **content())
    with pytest.raises(KnowledgeError, match="unknown fields"):
        kb.create_draft(users["editor"], **content(colour="red"))
    assert kb.list() == []


def test_rich_text_is_sanitised(kb, users) -> None:  # type: ignore[no-untyped-def]
    rev = kb.create_draft(users["editor"], **content(
        body='<p onclick="x()">办理<script>alert(1)</script><a href="javascript:evil()">链接</a>'
             '<a href="https://si.12333.gov.cn">官网</a></p>'))
    assert "script" not in rev.body_html and "onclick" not in rev.body_html and "javascript" not in rev.body_html
    assert 'href="https://si.12333.gov.cn"' in rev.body_html


def test_new_revision_supersedes_and_diff_shows_changes(kb, users) -> None:  # type: ignore[no-untyped-def]
    r1 = publish(kb, users, article_id="kb-t1")
    r2 = kb.create_draft(users["editor"], article_id="kb-t1", reason="标准调整",
                         short_answer="失业登记后申领失业保险金，全程网办。", keywords=["失业金", "网上申领"])
    assert r2.number == 2 and r2.title == r1.title  # untouched fields are carried over
    with pytest.raises(InvalidState):
        kb.create_draft(users["editor"], article_id="kb-t1", **content())  # one open draft per article
    kb.submit(users["editor"], r2.id)
    kb.approve(users["reviewer"], r2.id)
    statuses = [(r.number, r.status) for r in kb.revisions("kb-t1")]
    assert statuses == [(1, "superseded"), (2, "published")]
    diff = {d.field: d for d in kb.diff(r1.id, r2.id)}
    assert set(diff) == {"short_answer", "keywords"}
    assert any(line.startswith("+网上申领") for line in diff["keywords"].unified)
    assert kb.history("kb-t1")[-1].action == "publish"


def test_rollback_publishes_an_older_revision_as_a_new_one(kb, users) -> None:  # type: ignore[no-untyped-def]
    r1 = publish(kb, users, article_id="kb-t2")
    r2 = kb.create_draft(users["editor"], article_id="kb-t2", short_answer="错误的新口径。")
    kb.submit(users["editor"], r2.id)
    kb.approve(users["reviewer"], r2.id)
    with pytest.raises(PermissionDenied):
        kb.rollback(users["editor"], "kb-t2", 1)
    with pytest.raises(NotFound):
        kb.rollback(users["reviewer"], "kb-t2", 9)
    r3 = kb.rollback(users["reviewer"], "kb-t2", 1, reason="新口径有误")
    assert r3.number == 3 and r3.status == "published" and r3.short_answer == r1.short_answer
    assert kb.article("kb-t2").revision_id == r3.id
    assert kb.diff(r1.id, r3.id) == []
    assert [r.status for r in kb.revisions("kb-t2")] == ["superseded", "superseded", "published"]
    assert kb.history("kb-t2")[-2].reason == "新口径有误"


def test_archive_withdraws_the_article(kb, users) -> None:  # type: ignore[no-untyped-def]
    publish(kb, users, article_id="kb-t3")
    assert not kb.search("失业保险金怎么申领", log_query=False).no_answer
    with pytest.raises(PermissionDenied):
        kb.archive(users["editor"], "kb-t3")
    kb.archive(users["reviewer"], "kb-t3", "政策废止")
    assert kb.article("kb-t3") is None
    assert kb.search("失业保险金怎么申领", log_query=False).no_answer
    with pytest.raises(InvalidState):
        kb.archive(users["reviewer"], "kb-t3")
    assert [a.article_id for a in kb.list(status="archived")] == ["kb-t3"]


def test_list_filters(kb, users, clock) -> None:  # type: ignore[no-untyped-def]
    publish(kb, users, article_id="kb-a", category="失业保险", province="00")
    publish(kb, users, article_id="kb-b", category="养老保险", province="44", title="广东养老金",
            effective_to=(clock.now().date().replace(year=clock.now().year + 1)).isoformat())
    publish(kb, users, article_id="kb-c", category="养老保险", province="44", title="广东退休",
            effective_to="2026-12-10")
    kb.create_draft(users["editor"], article_id="kb-d", **content(title="草稿"))
    kb.flag("kb-a", users["agent"].id, "outdated", "金额已调整")
    ids = lambda **f: sorted(a.article_id for a in kb.list(**f))  # noqa: E731
    assert ids(category="养老保险") == ["kb-b", "kb-c"]
    assert ids(province="44") == ["kb-b", "kb-c"]
    assert ids(status="draft") == ["kb-d"]
    assert ids(status="published") == ["kb-a", "kb-b", "kb-c"]
    assert ids(expiring_soon=True) == ["kb-c"]
    assert ids(flagged=True) == ["kb-a"]
    summary = {a.article_id: a for a in kb.list()}
    assert summary["kb-a"].open_flags == 1 and summary["kb-d"].published_revision_id is None
