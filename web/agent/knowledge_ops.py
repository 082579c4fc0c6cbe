"""Agents' knowledge operations (/api/v1/kb/...): province-aware search with notices, reading an
article, sending an answer by SMS, flags and feedback for the editors."""

from __future__ import annotations

from typing import Any

from flask import abort
from flask_login import current_user

from core import phone
from core.masking import mask_phone
from web.agent.context import (
    AGENT,
    AGENT_SUP,
    QUERY_MAX,
    as_dict,
    call_record,
    caller_number,
    me,
    require_my_call,
    within_limit,
)
from web.apikit import op
from web.extensions import platform_of
from web.permissions import Param
from web.services import BadInput, to_jsonable

# ---- knowledge --------------------------------------------------------------------------------

HIT_FIELDS = ("article_id", "revision_id", "title", "short_answer", "score", "snippet", "province", "category")


def kb_search(q: str, province: str | None, limit: int = 5, all_provinces: bool = False) -> dict[str, Any]:
    result = platform_of().knowledge.search(q, province=province, limit=limit, channel="console",
                                            include_other_provinces=all_provinces)
    notices = platform_of().knowledge.notices(province) if q is not None else []
    hits = []
    for hit in result.hits:
        row = {f: getattr(hit, f) for f in HIT_FIELDS}  # the contract's names, not to_dict()'s
        text = f"{hit.title}：{hit.short_answer}"
        preview = platform_of().sms.preview(text)
        row["sms_parts"], row["sms_encoding"] = preview.parts, preview.encoding
        hits.append(row)
    return {"query": q, "province": province, "no_answer": result.no_answer,
            "hits": hits, "notices": to_jsonable(notices or [])}


@op("/kb/search", roles=("agent", "supervisor", "editor", "reviewer"), tag="knowledge",
    template="agent/_kb_results.html",
    params=(Param("q", required=True, where="query", max_length=200, description="question in Chinese"),
            Param("province", where="query", description="the call's province (answers for it first)"),
            Param("call_id", where="query"), Param("limit", kind="integer", where="query"),
            Param("all_provinces", kind="boolean", where="query",
                  description="also other provinces' answers (marked with their province)")))
def kb_search_op(q: str, province: str | None, call_id: str | None, limit: int | None,
                 all_provinces: bool | None) -> dict:
    """Search the knowledge base, province-aware, with active notices on top."""
    within_limit(q, QUERY_MAX, "检索内容", "query")
    result = kb_search(q, province, min(max(limit or 5, 1), 20), bool(all_provinces))
    result["call_id"] = call_id
    return result


@op("/kb/read/<article_id>", roles=("agent", "supervisor", "editor", "reviewer"), tag="knowledge",
    template="agent/_article.html")
def kb_read(article_id: str) -> dict:
    """An article in full as agents see it: the published revision, its number, effective dates, notices."""
    article = platform_of().knowledge.article(article_id)
    if article is None:
        abort(404, description=f"no published article {article_id}")
    return as_dict(article)


@op("/kb/sms", method="POST", roles=AGENT, tag="knowledge", template="_done.html",
    params=(Param("article_id", required=True), Param("call_id", description="send to this call's caller"),
            Param("to", description="mobile number (when not the caller)")))
def kb_send_sms(article_id: str, call_id: str | None, to: str | None) -> dict:
    """Send a knowledge answer by SMS (template kb_answer) to the caller or a given mobile."""
    number = to
    if not number and call_id:
        require_my_call(call_record(call_id))
        number = caller_number(call_id)
    if not number or not phone.is_mobile(number):
        raise BadInput("需要手机号码 / a mobile number is needed")
    article = platform_of().knowledge.article(article_id)
    if article is None:
        abort(404, description=f"no published article {article_id}")
    answer = as_dict(article)
    variables = {"title": answer.get("title", ""), "answer": answer.get("short_answer") or answer.get("answer", "")}
    outbox_id = platform_of().sms.send(number, "kb_answer", variables, category="reply",
                                       idempotency_key=f"kb:{call_id or number}:{article_id}", session_id=call_id)
    parts = platform_of().sms.preview(f"{variables['title']}：{variables['answer']}").parts
    platform_of().audit.record(actor=f"agent:{me()}", channel="console", action="sms.kb_answer", outcome="queued",
                               session_id=call_id, detail={"article_id": article_id, "outbox_id": outbox_id})
    return {"ok": True, "outbox_id": outbox_id, "parts": parts, "to": mask_phone(number),
            "message": f"短信已提交（{parts} 条）→ {mask_phone(number)}"}


@op("/kb/flag", method="POST", roles=AGENT_SUP, tag="knowledge", template="_done.html",
    params=(Param("article_id", required=True),
            Param("reason", required=True, enum=("wrong", "outdated", "unclear", "other")), Param("note")))
def kb_flag(article_id: str, reason: str, note: str | None) -> dict:
    """Flag an answer as wrong, outdated or unclear (goes to the editors)."""
    platform_of().knowledge.flag(article_id, int(current_user.id), reason, note or "")
    return {"ok": True, "message": "已反馈给知识库编辑 / flagged for the editors"}


@op("/kb/feedback", method="POST", roles=AGENT_SUP, tag="knowledge", template="_done.html",
    params=(Param("article_id", required=True), Param("helpful", kind="boolean", description="did the answer help"),
            Param("used", kind="boolean", description="this is the article I finally used for the call"),
            Param("query", description="what the caller asked"), Param("call_id")))
def kb_feedback(article_id: str, helpful: bool | None, used: bool | None, query: str | None,
                call_id: str | None) -> dict:
    """Say whether an answer helped, or which article was used for a call (feeds the editors' queue)."""
    platform_of().knowledge.feedback(article_id, helpful=helpful, used=bool(used), query=query or "",
                                     source="agent", channel="console", call_id=call_id or None,
                                     user_id=int(current_user.id))
    return {"ok": True, "message": "已记录反馈 / feedback recorded"}
