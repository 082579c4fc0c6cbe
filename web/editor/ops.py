"""Knowledge editor and reviewer operations (/api/v1/kb/...), all through platform.knowledge's service
API: list with filters, article with revisions and history, drafts with a sanitised preview, diff,
submit, approve or reject with a comment, scheduling (effective dates), notices and flags.

Province scope: a provincial editor works on its own province's articles and national ones stay
read-only for it; the knowledge service enforces the roles (editor writes, reviewer publishes)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flask import abort
from flask_login import current_user

from core.clock import local_zone
from web.apikit import op
from web.extensions import platform_of
from web.i18n import translate_code
from web.permissions import Param
from web.services import BadInput, to_jsonable

KB_STAFF = ("editor", "reviewer")
CONTENT = (
    Param("title"), Param("short_answer", description="≤ 60 characters, read out and sent by SMS"),
    Param("body_html", description="HTML, sanitised on save"), Param("category"),
    Param("province", description="00 = national"), Param("city"),
    Param("questions", kind="array", description="ways callers ask it (one per line in the form)"),
    Param("keywords", kind="array"), Param("synonyms", kind="array"),
    Param("effective_from", description="YYYY-MM-DD: scheduled publication"), Param("effective_to"),
    Param("reason", description="why this change"),
    Param("body_format", enum=("html", "markdown"), description="markdown: body_html is Markdown (the editor's)"),
)


def _lines(value: Any) -> list[str] | None:
    if value is None:
        return None
    items = value if isinstance(value, list) else [value]
    return [line.strip() for item in items for line in str(item).replace("，", ",").splitlines() if line.strip()]


def _content(fields: dict[str, Any]) -> dict[str, Any]:
    markdown = fields.get("body_format") == "markdown"
    out = {k: v for k, v in fields.items() if v is not None and k not in ("reason", "body_format")}
    if markdown and "body_html" in out:
        from web.editor.markdown import to_html

        out["body_html"] = to_html(str(out["body_html"]))
    for name in ("questions", "keywords", "synonyms"):
        if name in out:
            out[name] = _lines(out[name])
    return out


def _check_scope(province: str | None) -> None:
    if province and not current_user.can_see_province(province):
        abort(403, description=f"province {province} is outside your scope")


def _article_province(article_id: str) -> str | None:
    data = platform_of().knowledge.get(article_id)
    latest = data.get("latest")
    return getattr(latest, "province", None)


@op("/kb/articles", roles=KB_STAFF, scope="province", tag="knowledge", template="editor/_list.html",
    params=(Param("category", where="query"), Param("province", where="query"),
            Param("status", where="query", enum=("draft", "in_review", "scheduled", "published", "superseded",
                                                  "archived")),
            Param("expiring", kind="boolean", where="query", description="published and ending within 30 days"),
            Param("flagged", kind="boolean", where="query"), Param("text", where="query")))
def kb_articles(category: str | None, province: str | None, status: str | None, expiring: bool | None,
                flagged: bool | None, text: str | None) -> dict:
    """The editors' list with filters (category, province, status, expiring soon, flagged)."""
    rows = platform_of().knowledge.list(category=category, province=province, status=status,
                                        expiring_soon=bool(expiring), flagged=bool(flagged), text=text)
    rows = [r for r in to_jsonable(rows) if current_user.is_national or r["province"] in ("00", current_user
                                                                                           .province_scope)]
    return {"articles": rows, "filters": {"category": category, "province": province, "status": status,
                                          "expiring": bool(expiring), "flagged": bool(flagged), "text": text}}


@op("/kb/articles/<article_id>", roles=KB_STAFF, tag="knowledge", template="editor/_article.html")
def kb_article(article_id: str) -> dict:
    """One article for editing: published and newest revision, all revisions, history, flags, notices."""
    data = to_jsonable(platform_of().knowledge.get(article_id))
    data["revisions"] = to_jsonable(platform_of().knowledge.revisions(article_id))
    return data


@op("/kb/articles", method="POST", roles=("editor",), scope="province", tag="knowledge",
    template="editor/_saved.html", params=(Param("article_id", description="new revision of this article"),
                                           *CONTENT))
def kb_create_draft(article_id: str | None, reason: str | None, **fields: Any) -> dict:
    """Start a draft: a new article, or the next revision of an existing one."""
    if article_id:
        _check_scope(_article_province(article_id))
    rev = platform_of().knowledge.create_draft(current_user, article_id=article_id, reason=reason or "",
                                               **_content(fields))
    return {"ok": True, "revision": to_jsonable(rev), "message": f"草稿已保存 / draft saved (r{rev.number})"}


@op("/kb/revisions/<int:revision_id>", method="POST", roles=("editor",), scope="province", tag="knowledge",
    template="editor/_saved.html", params=CONTENT)
def kb_update_draft(revision_id: int, reason: str | None, **fields: Any) -> dict:
    """Change a draft (only drafts change; submitted revisions are immutable)."""
    current = platform_of().knowledge.revision(revision_id)
    _check_scope(current.province)
    rev = platform_of().knowledge.update_draft(current_user, revision_id, reason=reason or "", **_content(fields))
    return {"ok": True, "revision": to_jsonable(rev), "message": f"草稿已保存 / draft saved (r{rev.number})"}


@op("/kb/preview", method="POST", roles=KB_STAFF, tag="knowledge", template="editor/_preview.html",
    params=(Param("body_html", required=True), Param("title"), Param("short_answer"),
            Param("body_format", enum=("html", "markdown"))))
def kb_preview(body_html: str, title: str | None, short_answer: str | None, body_format: str | None = None,
               **_: Any) -> dict:
    """Preview a body as agents will see it (sanitised) and the answer SMS's part count."""
    from knowledge.content import clean_html

    if body_format == "markdown":
        from web.editor.markdown import to_html

        body_html = to_html(body_html)

    result: dict[str, Any] = {"title": title or "", "short_answer": short_answer or "",
                              "body_html": clean_html(body_html)}
    try:
        preview = platform_of().sms.preview(f"{title or ''}：{short_answer or ''}")
        result["sms_parts"], result["sms_encoding"] = preview.parts, preview.encoding
    except Exception:  # noqa: BLE001 - the SMS home is optional for a preview
        result["sms_parts"] = None
    return result


@op("/kb/diff", roles=KB_STAFF, tag="knowledge", template="editor/_diff.html",
    params=(Param("a", kind="integer", where="query", required=True), Param("b", kind="integer", where="query",
                                                                             required=True)))
def kb_diff(a: int, b: int) -> dict:
    """The fields that differ between two revisions, with unified diffs."""
    numbers = {}
    for rev_id in (a, b):
        try:
            numbers[rev_id] = getattr(platform_of().knowledge.revision(rev_id), "number", None)
        except (KeyError, LookupError):
            numbers[rev_id] = None
    return {"a": a, "b": b, "a_number": numbers[a], "b_number": numbers[b],
            "fields": to_jsonable(platform_of().knowledge.diff(a, b))}


def _step(step: Callable[..., Any], revision_id: int, *args: Any) -> dict:
    """Submit, approve or reject (`step`, a method of platform.knowledge) a revision in my scope."""
    current = platform_of().knowledge.revision(revision_id)
    _check_scope(current.province)
    rev = step(current_user, revision_id, *args)
    message = f"r{rev.number}: {translate_code('revision', rev.status)}"
    return {"ok": True, "revision": to_jsonable(rev), "message": message}


@op("/kb/revisions/<int:revision_id>/submit", method="POST", roles=("editor",), tag="knowledge",
    template="_done.html", params=(Param("reason"),))
def kb_submit(revision_id: int, reason: str | None) -> dict:
    """Submit a draft for review."""
    return _step(platform_of().knowledge.submit, revision_id, reason or "")


@op("/kb/revisions/<int:revision_id>/approve", method="POST", roles=("reviewer",), tag="knowledge",
    template="_done.html", params=(Param("comment"),))
def kb_approve(revision_id: int, comment: str | None) -> dict:
    """Approve: publish now, or on its effective date (scheduled)."""
    return _step(platform_of().knowledge.approve, revision_id, comment or "")


@op("/kb/revisions/<int:revision_id>/reject", method="POST", roles=("reviewer",), tag="knowledge",
    template="_done.html", params=(Param("comment", required=True),))
def kb_reject(revision_id: int, comment: str) -> dict:
    """Send a revision back to the editor with a comment."""
    return _step(platform_of().knowledge.reject, revision_id, comment)


@op("/kb/queries", roles=KB_STAFF, tag="knowledge", template="editor/_queries.html",
    params=(Param("days", kind="integer", where="query", description="look-back window, 1-365 (default 30)"),))
def kb_queries(days: int | None) -> dict:
    """What citizens and agents asked: the top queries and the queries that found no answer."""
    window = min(max(days or 30, 1), 365)
    return {"days": window,
            "top": to_jsonable(platform_of().knowledge.top_queries(days=window, limit=20)),
            "unanswered": to_jsonable(platform_of().knowledge.unanswered_queries(days=window, limit=20))}


@op("/kb/notices", roles=KB_STAFF, tag="knowledge", template="editor/_notices.html")
def kb_notices() -> dict:
    """All notices (active, scheduled, ended, withdrawn)."""
    rows = to_jsonable(platform_of().knowledge.list_notices(include_inactive=True))
    return {"notices": [n for n in rows if current_user.can_see_province(n["province"]) or n["province"] == "00"]}


@op("/kb/notices", method="POST", roles=KB_STAFF, scope="province", tag="knowledge",
    template="editor/_notices.html",
    params=(Param("title", required=True), Param("body", required=True), Param("province"),
            Param("hours", kind="integer", description="how long it shows (default 72 h)"),
            Param("starts_at", description="YYYY-MM-DDTHH:MM Beijing time (default now)"), Param("article_id"),
            Param("urgent", kind="boolean", description="a reviewer publishes at once (audited); "
                                                           "otherwise the notice waits for a reviewer")))
def kb_create_notice(title: str, body: str, province: str | None, hours: int | None, starts_at: str | None,
                     article_id: str | None, urgent: bool | None = None) -> dict:
    """Post a notice shown on top of search results (and read out by the IVR). It follows the
    review workflow: pending until a reviewer other than its author approves it, unless a reviewer
    posts it as urgent."""
    if urgent and not current_user.has_role("reviewer"):
        abort(403, description="only a reviewer may publish an urgent notice directly")
    if not urgent and not current_user.has_role("editor"):
        abort(403, description="a reviewer posts notices as urgent; editors' notices wait for review")
    now = platform_of().clock.now()
    start = now
    if starts_at:
        try:
            start = datetime.fromisoformat(starts_at)
        except ValueError:
            raise BadInput(f"not a time: {starts_at}") from None
        if start.tzinfo is None:
            start = start.replace(tzinfo=local_zone())
    ends = start + timedelta(hours=max(1, min(hours or 72, 24 * 365)))
    notice = platform_of().knowledge.create_notice(current_user, title=title, body=body, starts_at=start,
                                                   ends_at=ends, province=province or current_user.province_scope,
                                                   article_id=article_id or None,
                                                   status="urgent" if urgent else "pending")
    if urgent:
        platform_of().audit.record(actor=f"user:{current_user.id}", channel="console", action="kb.notice_urgent",
                                   outcome="ok", subject=f"notice:{notice.id}",
                                   detail={"province": notice.province, "title": notice.title[:100]})
    return kb_notices()


@op("/kb/notices/<int:notice_id>/approve", method="POST", roles=("reviewer",), tag="knowledge",
    template="editor/_notices.html")
def kb_approve_notice(notice_id: int) -> dict:
    """Approve a pending notice (a reviewer other than its author, in scope): it goes live."""
    notice = next((n for n in platform_of().knowledge.list_notices(include_inactive=True) if n.id == notice_id), None)
    if notice is None:
        abort(404, description=f"no notice {notice_id}")
    _check_scope(notice.province)
    platform_of().knowledge.approve_notice(current_user, notice_id)
    return kb_notices()


@op("/kb/notices/<int:notice_id>/withdraw", method="POST", roles=("editor",), tag="knowledge",
    template="editor/_notices.html")
def kb_withdraw_notice(notice_id: int) -> dict:
    """Withdraw a notice (a provincial editor: its own province's notices only)."""
    notice = next((n for n in platform_of().knowledge.list_notices(include_inactive=True) if n.id == notice_id), None)
    if notice is None:
        abort(404, description=f"no notice {notice_id}")
    _check_scope(notice.province)
    platform_of().knowledge.withdraw_notice(current_user, notice_id)
    return kb_notices()


@op("/kb/flags/<int:flag_id>/resolve", method="POST", roles=("editor",), tag="knowledge", template="_done.html",
    params=(Param("resolution", required=True),))
def kb_resolve_flag(flag_id: int, resolution: str) -> dict:
    """Close a flag, saying what was done (on an article in my scope, as for editing it)."""
    flag = next((f for f in platform_of().knowledge.flags(open_only=False) if f.id == flag_id), None)
    if flag is None:
        abort(404, description=f"no flag {flag_id}")
    _check_scope(_article_province(flag.article_id))
    platform_of().knowledge.resolve_flag(current_user, flag_id, resolution)
    return {"ok": True, "message": "已处理 / resolved"}


# ---- learning from use: the review queue built from feedback -----------------------------------

@op("/kb/suggestions", roles=KB_STAFF, tag="knowledge", template="editor/_suggestions.html",
    params=(Param("limit", kind="integer", where="query", description="at most this many (default 50)"),))
def kb_suggestions(limit: int | None) -> dict:
    """The review queue from callers' and agents' feedback: questions to add as alternative questions,
    and answers marked not helpful."""
    province = None if current_user.province_scope in (None, "", "00") else current_user.province_scope
    rows = platform_of().knowledge.suggestions(limit=min(max(limit or 50, 1), 500), province=province)
    return {"suggestions": [r.to_dict() for r in rows]}


@op("/kb/suggestions/<int:feedback_id>/accept", method="POST", roles=("editor",), tag="knowledge",
    template="editor/_suggestions.html",
    params=(Param("question", description="the question as the editor wants it (default: as asked)"),))
def kb_accept_suggestion(feedback_id: int, question: str | None) -> dict:
    """Add the suggested question to a draft of the article (it is published only after review)."""
    _check_scope(_article_province(_suggestion_article(feedback_id)))
    draft = to_jsonable(platform_of().knowledge.accept_suggestion(current_user, feedback_id, question or None))
    return {**kb_suggestions(None), "draft": draft}


@op("/kb/suggestions/<int:feedback_id>/dismiss", method="POST", roles=("editor",), tag="knowledge",
    template="editor/_suggestions.html")
def kb_dismiss_suggestion(feedback_id: int) -> dict:
    """Take an entry off the queue without changing the article."""
    _check_scope(_article_province(_suggestion_article(feedback_id)))
    platform_of().knowledge.dismiss_suggestion(current_user, feedback_id)
    return kb_suggestions(None)


def _suggestion_article(feedback_id: int) -> str:
    for row in platform_of().knowledge.suggestions(limit=10_000):
        if feedback_id in row.feedback_ids:
            return str(row.article_id)
    abort(404, description=f"no open suggestion with feedback {feedback_id}")
