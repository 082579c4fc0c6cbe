"""Notices shown above answers until they expire, agents' flags, and the query log."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from knowledge.errors import KnowledgeError, PermissionDenied
from knowledge.models import KbQuery
from tests.knowledge.conftest import publish


def test_notices_show_until_they_expire(kb, users, clock) -> None:  # type: ignore[no-untyped-def]
    publish(kb, users, article_id="kb-u1")
    now = clock.now()
    with pytest.raises(PermissionDenied):
        kb.create_notice(users["agent"], title="x", body="y", ends_at=now + timedelta(days=1))
    with pytest.raises(KnowledgeError):
        kb.create_notice(users["editor"], title="x", body="y", ends_at=now - timedelta(days=1))
    gd = kb.create_notice(users["editor"], title="广东系统升级", body="<p>11月25日暂停办理<script>x</script></p>",
                          province="44", ends_at=now + timedelta(days=2))
    nat = kb.create_notice(users["editor"], title="失业金申领调整", body="<p>即日起全程网办。</p>",
                           article_id="kb-u1", ends_at=now + timedelta(hours=5))
    later = kb.create_notice(users["editor"], title="明天开始", body="<p>.</p>",
                             starts_at=now + timedelta(days=1), ends_at=now + timedelta(days=3))
    assert "<script" not in gd.body_html
    assert [n.id for n in kb.notices("44")] == [nat.id, gd.id]  # same start: the later one first
    assert [n.id for n in kb.notices("51")] == [nat.id]
    assert [n.title for n in kb.article("kb-u1").notices] == ["失业金申领调整"]
    clock.advance(timedelta(hours=6))
    assert kb.article("kb-u1").notices == []
    clock.advance(timedelta(days=1))
    assert [n.id for n in kb.notices("44")] == [later.id, gd.id]  # newest first
    kb.withdraw_notice(users["editor"], gd.id)
    assert [n.id for n in kb.notices("44")] == [later.id]
    edited = kb.update_notice(users["editor"], later.id, title="改期")
    assert edited.title == "改期" and len(kb.list_notices()) == 3


def test_agents_flag_answers_and_editors_resolve_them(kb, users) -> None:  # type: ignore[no-untyped-def]
    rev = publish(kb, users, article_id="kb-f1")
    with pytest.raises(KnowledgeError):
        kb.flag("kb-f1", users["agent"].id, "boring")
    kb.flag("kb-f1", users["agent"].id, "outdated", "标准已调整")
    [flag] = kb.flags()
    assert flag.revision_id == rev.id and flag.reason == "outdated"
    with pytest.raises(PermissionDenied):
        kb.resolve_flag(users["agent"], flag.id, "done")
    with pytest.raises(KnowledgeError):
        kb.resolve_flag(users["editor"], flag.id, "")
    done = kb.resolve_flag(users["editor"], flag.id, "已更新为新标准")
    assert done.resolved_by == users["editor"].id and kb.flags() == []
    assert len(kb.flags(open_only=False)) == 1
    assert kb.get("kb-f1")["open_flags"] == []


def test_query_log_scrubs_personal_data_and_feeds_analytics(kb, users, platform) -> None:  # type: ignore[no-untyped-def]
    publish(kb, users, article_id="kb-q1")
    for _ in range(3):
        kb.search("失业保险金怎么申领", province="44", channel="ivr")
    kb.search("住房公积金怎么提取", channel="sms")
    kb.search("我的身份证110105194912310025 手机13912345678 公积金", channel="console")
    top = kb.top_queries()
    assert (top[0].query, top[0].count, top[0].no_answer) == ("失业保险金怎么申领", 3, 0)
    unanswered = {q.query for q in kb.unanswered_queries()}
    assert "住房公积金怎么提取" in unanswered and "失业保险金怎么申领" not in unanswered
    with platform.db.session() as s:
        stored = " ".join(s.execute(select(KbQuery.query)).scalars())
    assert "110105194912310025" not in stored and "13912345678" not in stored
    assert "139****5678" in stored
