"""Validation and sanitising of article content (rich text through nh3, short answers ≤ 60 chars)."""

from __future__ import annotations

import functools
import html
import re
from datetime import date
from typing import Any

import nh3

from core.provinces import CENTERS
from knowledge.errors import KnowledgeError

SHORT_ANSWER_MAX = 60
ALLOWED_TAGS = {"p", "br", "ul", "ol", "li", "strong", "em", "b", "i", "u", "a", "h3", "h4", "blockquote",
                "table", "thead", "tbody", "tr", "th", "td", "span", "mark"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
FLAG_REASONS = ("wrong", "outdated", "unclear", "other")

_TAG = re.compile(r"<[^>]+>")
_BLOCK_END = re.compile(r"</(p|li|h3|h4|tr|blockquote)>|<br\s*/?>", re.I)
_SPACES = re.compile(r"[ \t\r\f\v]+")


def clean_html(text: str) -> str:
    """Rich text an editor wrote, with scripts, styles, event handlers and unsafe links removed.
    Plain text (no tags) becomes paragraphs."""
    text = (text or "").strip()
    if "<" not in text:
        paras = [p.strip() for p in text.split("\n") if p.strip()]
        text = "".join(f"<p>{html.escape(p, quote=False)}</p>" for p in paras)
    return nh3.clean(text, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                     url_schemes={"http", "https", "mailto", "tel"}, link_rel="noopener noreferrer")


def html_to_text(text: str) -> str:
    """Plain text of an answer or notice (what the IVR reads and SMS sends). The same notices and answers
    are read on call after call: texts up to 8,000 characters are remembered (at most 2,048 of them)."""
    text = text or ""
    return _text_of_short(text) if len(text) <= 8000 else _text_of(text)


@functools.lru_cache(maxsize=2048)
def _text_of_short(text: str) -> str:
    return _text_of(text)


def _text_of(text: str) -> str:
    text = _BLOCK_END.sub("\n", text)
    text = html.unescape(_TAG.sub("", text))
    return "\n".join(_SPACES.sub(" ", ln).strip() for ln in text.splitlines() if ln.strip())


def parse_date(value: Any, field: str) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise KnowledgeError(f"{field}: not a date (YYYY-MM-DD): {value!r}") from exc


def str_list(value: Any, field: str) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = [v for v in re.split(r"[,，、;\n]", value)]
    if not isinstance(value, (list, tuple)):
        raise KnowledgeError(f"{field}: expected a list of strings")
    return [str(v).strip() for v in value if str(v).strip()]


def validate(fields: dict[str, Any]) -> dict[str, Any]:
    """Check and normalise revision content; raises KnowledgeError naming the bad field."""
    out = dict(fields)
    title = str(out.get("title") or "").strip()
    if not title:
        raise KnowledgeError("title: required")
    if len(title) > 200:
        raise KnowledgeError("title: at most 200 characters")
    out["title"] = title
    short = str(out.get("short_answer") or "").strip()
    if not short:
        raise KnowledgeError("short_answer: required (read out by the IVR and sent by SMS)")
    if len(short) > SHORT_ANSWER_MAX:
        raise KnowledgeError(f"short_answer: at most {SHORT_ANSWER_MAX} characters (has {len(short)})")
    out["short_answer"] = short
    body = clean_html(str(out.get("body_html") or ""))
    if not html_to_text(body):
        raise KnowledgeError("body: required")
    out["body_html"] = body
    category = str(out.get("category") or "").strip()
    if not category:
        raise KnowledgeError("category: required")
    out["category"] = category[:40]
    province = str(out.get("province") or "00").strip()
    if province not in CENTERS:
        raise KnowledgeError(f"province: unknown code {province!r} (00 = national)")
    out["province"] = province
    city = out.get("city")
    out["city"] = str(city).strip()[:40] if city else None
    out["effective_from"] = parse_date(out.get("effective_from"), "effective_from")
    out["effective_to"] = parse_date(out.get("effective_to"), "effective_to")
    if out["effective_from"] and out["effective_to"] and out["effective_to"] < out["effective_from"]:
        raise KnowledgeError("effective_to: before effective_from")
    for name in ("questions", "keywords", "synonyms"):
        out[name] = str_list(out.get(name), name)
    links = out.get("links") or []
    if not isinstance(links, list):
        raise KnowledgeError("links: expected a list")
    clean_links = []
    for link in links:
        if isinstance(link, str):
            link = {"url": link, "title": link}
        url = str(link.get("url", "")).strip()
        if not url.startswith(("http://", "https://")):
            raise KnowledgeError(f"links: only http(s) links are allowed: {url!r}")
        clean_links.append({"url": url, "title": str(link.get("title") or url)[:200]})
    out["links"] = clean_links
    return out


CONTENT_FIELDS = ("title", "questions", "body_html", "short_answer", "category", "keywords", "synonyms",
                  "province", "city", "effective_from", "effective_to", "links")
