"""Import and export of articles: JSON lines (the format of ../shared/kb-eval/corpus.jsonl) and
Markdown files with YAML front matter. Every record is checked before anything is written, so a bad
file is refused whole, with the line (or file) and field named. `Importer.import_article` is the trusted
load of one article (`platform.knowledge.import_article`), outside the review workflow."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select

from knowledge.articles import ARTICLE_ID, ArticleStore, content_args
from knowledge.content import CONTENT_FIELDS, html_to_text, validate
from knowledge.errors import InvalidState, KnowledgeError
from knowledge.events import KbPublished
from knowledge.models import KbArticle, KbRevision


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    published: int = 0  # unchanged content whose draft was published by this import
    unchanged: int = 0
    went_live: int = 0  # revisions this import published (new, updated or earlier drafts)
    errors: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (f"imported: {self.created} new, {self.updated} updated, {self.unchanged} unchanged; "
                f"{self.went_live} published by this import")


def _record_content(rec: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    article_id = str(rec.get("id") or "").strip()
    if not ARTICLE_ID.match(article_id):
        raise KnowledgeError(f"id: missing or not a plain identifier: {article_id!r}")
    content = {
        "title": rec.get("title"), "body_html": rec.get("body_html") or rec.get("body"),
        "short_answer": rec.get("short_answer"), "category": rec.get("category"),
        "province": str(rec.get("province") or "00"), "city": rec.get("city"),
        "keywords": rec.get("keywords"), "synonyms": rec.get("synonyms"), "questions": rec.get("questions"),
        "effective_from": rec.get("effective_from"), "effective_to": rec.get("effective_to"),
        "links": rec.get("links") or [],
    }
    validate(dict(content))  # raises with the field named
    return article_id, content


def _markdown_to_html(text: str) -> str:
    """Enough Markdown for answers: paragraphs, '-'/'1.' lists, '#' headings, **bold**."""
    out: list[str] = []
    list_tag: str | None = None
    for raw in text.splitlines():
        line = raw.strip()
        item = re.match(r"^([-*]|\d+[.、])\s+(.*)$", line)
        tag = ("ol" if item.group(1)[0].isdigit() else "ul") if item else None
        if list_tag and tag != list_tag:
            out.append(f"</{list_tag}>")
            list_tag = None
        if not line:
            continue
        line = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", item.group(2) if item else line)
        if item:
            if list_tag is None:
                out.append(f"<{tag}>")
                list_tag = tag
            out.append(f"<li>{line}</li>")
        elif line.startswith("#"):
            out.append(f"<h4>{line.lstrip('#').strip()}</h4>")
        else:
            out.append(f"<p>{line}</p>")
    if list_tag:
        out.append(f"</{list_tag}>")
    return "".join(out)


def read_markdown(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    m = re.match(r"^---\s*\n(.*?)\n---\s*\n?(.*)$", text, re.S)
    if not m:
        raise KnowledgeError("no YAML front matter (--- ... ---) at the top")
    try:
        meta = yaml.safe_load(m.group(1)) or {}
    except yaml.YAMLError as exc:
        raise KnowledgeError(f"front matter is not valid YAML: {exc}") from exc
    if not isinstance(meta, dict):
        raise KnowledgeError("front matter must be a mapping")
    meta = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in meta.items()}
    meta.setdefault("id", path.stem)
    meta["body_html"] = _markdown_to_html(m.group(2))
    return meta


def read_records(path: Path) -> list[tuple[str, dict[str, Any]]]:
    """Parse and check a .jsonl file, a .md file or a folder of .md files; raises listing every problem."""
    sources: list[tuple[str, Any]] = []
    errors: list[str] = []
    files = sorted(path.glob("*.md")) if path.is_dir() else [path]
    for f in files:
        if f.suffix.lower() in (".md", ".markdown"):
            try:
                sources.append((str(f), read_markdown(f)))
            except (KnowledgeError, UnicodeDecodeError) as exc:
                errors.append(f"{f}: {exc}")
            continue
        for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                errors.append(f"{f}:{n}: not JSON ({exc.msg})")
                continue
            if not isinstance(rec, dict):
                errors.append(f"{f}:{n}: expected a JSON object")
                continue
            sources.append((f"{f}:{n}", rec))
    records: list[tuple[str, dict[str, Any]]] = []
    seen: set[str] = set()
    for where, rec in sources:
        try:
            article_id, content = _record_content(rec)
        except KnowledgeError as exc:
            errors.append(f"{where}: {exc}")
            continue
        if article_id in seen:
            errors.append(f"{where}: id {article_id} appears twice")
        seen.add(article_id)
        records.append((article_id, content))
    if errors:
        raise KnowledgeError("nothing imported:\n" + "\n".join(errors[:50]))
    return records


class Importer:
    def __init__(self, store: ArticleStore) -> None:
        self.store = store

    def import_article(self, article_id: str, content: dict[str, Any], *, publish: bool,
                       user_id: int | None = None, reason: str = "import", announce: bool = True) -> str:
        """Trusted bulk load (the `hotline kb import` operator): a new revision when the content differs
        from the newest one, published at once with `publish`. Returns created/updated/published/unchanged.
        With `announce=False` the caller rebuilds the index once at the end (bulk loads)."""
        st = self.store
        fields = validate(content_args(content))
        now = st.now()
        with st.db.session() as s:
            art = s.get(KbArticle, article_id)
            latest = st.latest(s, article_id) if art is not None else None
            if latest is not None and all(getattr(latest, f) == fields[f] for f in CONTENT_FIELDS):
                if not publish or latest.status == "published":
                    return "unchanged"
                rev, outcome = latest, "published"
            else:
                if art is None:
                    art = KbArticle(id=article_id, created_at=now, created_by=user_id, archived=False)
                    s.add(art)
                    s.flush()
                elif s.execute(select(KbRevision.id).where(KbRevision.article_id == article_id,
                                                           KbRevision.status.in_(("draft", "in_review")))).first():
                    raise InvalidState(f"{article_id} has a draft or a revision in review; not imported")
                rev = KbRevision(article_id=art.id, number=(latest.number + 1) if latest else 1, status="draft",
                                 author_id=user_id, change_reason=reason, created_at=now, updated_at=now,
                                 review_comment="", **fields)
                s.add(rev)
                s.flush()
                st.log(s, art.id, rev.id, "import", user_id, reason)
                outcome = "updated" if latest else "created"
            if publish:
                st.publish(s, rev, user_id, reason)
            rev_id = rev.id
        if publish and announce:
            st.announce(KbPublished, article_id, rev_id)
        return outcome


def import_file(kb: Any, path: str | Path, *, publish: bool = False, user_id: int | None = None) -> ImportReport:
    path = Path(path)
    if not path.exists():
        raise KnowledgeError(f"{path}: no such file")
    records = read_records(path)
    report = ImportReport()
    for article_id, content in records:
        outcome = kb.import_article(article_id, content, publish=publish, user_id=user_id,
                                    reason=f"import {path.name}", announce=False)
        setattr(report, outcome, getattr(report, outcome) + 1)
        if publish and outcome != "unchanged":
            report.went_live += 1
    if publish and (report.created or report.updated or report.published):
        kb.index.rebuild()
    return report


def export_records(kb: Any) -> list[dict[str, Any]]:
    """The current content of every article: its published revision, else its newest one."""
    out = []
    with kb.db.session() as s:
        arts = s.execute(select(KbArticle).order_by(KbArticle.id)).scalars().all()
        for art in arts:
            rev = s.get(KbRevision, art.published_revision_id) if art.published_revision_id else None
            if rev is None:
                rev = s.execute(select(KbRevision).where(KbRevision.article_id == art.id)
                                .order_by(KbRevision.number.desc()).limit(1)).scalar_one_or_none()
            if rev is None:
                continue
            out.append({
                "id": art.id, "title": rev.title, "category": rev.category, "province": rev.province,
                "keywords": list(rev.keywords), "short_answer": rev.short_answer, "body": html_to_text(rev.body_html),
                "body_html": rev.body_html,
                "effective_from": rev.effective_from.isoformat() if rev.effective_from else None,
                "effective_to": rev.effective_to.isoformat() if rev.effective_to else None,
                "questions": list(rev.questions), "synonyms": list(rev.synonyms), "city": rev.city,
                "links": list(rev.links), "status": "archived" if art.archived else rev.status,
            })
    return out


def export_file(kb: Any, path: str | Path) -> int:
    rows = export_records(kb)
    Path(path).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return len(rows)
