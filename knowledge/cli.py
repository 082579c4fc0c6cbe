"""`hotline kb ...`: import/export, search (one query or a batch), relevance evaluation, reindex."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import click

from core.cli import echo_json, platform_from_ctx
from knowledge.errors import KnowledgeError


def _kb() -> Any:
    return platform_from_ctx().knowledge


@click.group("kb")
def kb_group() -> None:
    """Knowledge base: import, export, search, evaluate, reindex."""


@kb_group.command("import")
@click.argument("file", type=click.Path(exists=True, path_type=Path))
@click.option("--publish", is_flag=True, help="Publish on import (trusted bulk loads; skips review).")
def import_command(file: Path, publish: bool) -> None:
    """Import FILE: JSON lines (kb-eval corpus format), a Markdown file with YAML front matter, or a
    folder of them. A file with any bad record is refused whole."""
    from knowledge.transfer import import_file

    try:
        report = import_file(_kb(), file, publish=publish)
    except KnowledgeError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(report.line())


@kb_group.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def export_command(file: Path) -> None:
    """Write every article's current content to FILE (JSON lines, the import format)."""
    from knowledge.transfer import export_file

    click.echo(f"exported {export_file(_kb(), file)} articles to {file}")


def _batch(kb: Any, path: Path, limit: int) -> list[dict[str, Any]]:
    from knowledge.evaluation import load_queries

    out = []
    for row in load_queries(path):
        province = row.get("province")
        res = kb.search(row["q"], province=province, limit=limit, channel="cli", log_query=False)
        out.append({"q": row["q"], "province": province, "ids": [h.article_id for h in res.hits],
                    "no_answer": res.no_answer})
    return out


@kb_group.command("search")
@click.argument("query", required=False)
@click.option("--province", default=None, help="The caller's province code, e.g. 44.")
@click.option("--limit", default=5, show_default=True)
@click.option("--all-provinces", is_flag=True, help="Also offer other provinces' variants.")
@click.option("--batch", "batch", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="JSON-lines queries ({\"q\", \"province\"}); prints one JSON line per query.")
@click.option("--json", "as_json", is_flag=True)
def search_command(query: str | None, province: str | None, limit: int, all_provinces: bool,
                   batch: Path | None, as_json: bool) -> None:
    """Search the published, currently effective articles."""
    kb = _kb()
    if batch is not None:
        try:
            rows = _batch(kb, batch, limit)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=False))
        return
    if not query:
        raise click.UsageError("give a QUERY or --batch FILE")
    res = kb.search(query, province=province, limit=limit, channel="cli", include_other_provinces=all_provinces)
    if as_json:
        if res.no_answer:
            echo_json({"no_answer": True, "query": res.query, "province": res.province,
                       "confidence": round(res.confidence, 4), "hits": []})
        else:
            echo_json({"no_answer": False, "query": res.query, "province": res.province,
                       "confidence": round(res.confidence, 4), "hits": [h.to_dict() for h in res.hits]})
        return
    if res.no_answer:
        click.echo(f"no answer (confidence {res.confidence:.2f})")
        return
    for i, h in enumerate(res.hits, 1):
        click.echo(f"{i}. {h.article_id} [{h.province}] {h.title}  score={h.score:.2f}")
        click.echo(f"   {h.short_answer}")


@kb_group.command("eval")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True)
def eval_command(file: Path, as_json: bool) -> None:
    """Relevance on a labelled query set (kb-eval dev.jsonl format): ours beside plain BM25 over jieba."""
    from knowledge.evaluation import PlainBM25, evaluate, load_queries

    kb = _kb()
    try:
        queries = load_queries(file)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    if len(kb.index.searcher.backend) == 0:
        raise click.ClickException("the knowledge base has no published articles (hotline kb import FILE --publish)")

    def ours(q: str, province: str | None) -> tuple[list[str], bool]:
        res = kb.search(q, province=province, limit=5, channel="cli", log_query=False)
        return [h.article_id for h in res.hits], res.no_answer

    started = time.perf_counter()
    mine = evaluate(ours, queries)
    elapsed = time.perf_counter() - started
    docs = [(d.article_id, f"{d.title} {d.tokens.get('keywords', '')} {d.body_text}")
            for d in kb.index.searcher.backend.docs()]
    base = PlainBM25(docs)
    plain = evaluate(base.rank, queries)
    if as_json:
        echo_json({"file": str(file), "ours": mine.to_dict(), "plain_bm25": plain.to_dict()})
        return
    click.echo(f"{len(queries)} queries ({mine.answerable} answerable, {mine.out_of_scope} out of scope), "
               f"{len(docs)} published articles; ours {1000 * elapsed / max(len(queries), 1):.2f} ms/query")
    click.echo(f"{'metric':<34}{'ours':>8}{'plain BM25':>12}")
    for label, key in (("MRR@5", "mrr5"), ("P@1 (gold[0])", "p1"), ("recall@5", "recall5"),
                       ("out-of-scope answered no-answer", "oos_rejected"),
                       ("answerable wrongly rejected", "answerable_rejected")):
        click.echo(f"{label:<34}{getattr(mine, key):>8.3f}{getattr(plain, key):>12.3f}")
    click.echo("MRR@5 by kind: " + ", ".join(f"{k} {v['mrr5']:.3f} (n={v['n']:.0f})" for k, v in mine.by_kind.items()))


@kb_group.command("reindex")
def reindex_command() -> None:
    """Rebuild the search index from the database (other nodes follow via the event bus)."""
    kb = _kb()
    count = kb.reindex()
    click.echo(f"indexed {count} published articles in {kb.index.last_rebuild_seconds:.2f} s")


@kb_group.command("publish-due")
def publish_due_command() -> None:
    """Publish scheduled revisions whose effective date has come (the node's timer does this too)."""
    published = _kb().publish_due()
    click.echo(f"published {len(published)} scheduled revisions")


@kb_group.command("queries")
@click.option("--days", default=30, show_default=True)
@click.option("--unanswered", is_flag=True, help="Only queries that found no answer.")
@click.option("--limit", default=20, show_default=True)
def queries_command(days: int, unanswered: bool, limit: int) -> None:
    """Top queries (or those with no answer) for editors."""
    kb = _kb()
    stats = kb.unanswered_queries(days, limit) if unanswered else kb.top_queries(days, limit)
    for st in stats:
        click.echo(f"{st.count:>6} {st.no_answer:>6}  {st.query}")
    if not stats:
        click.echo("no queries logged", err=True)
    sys.stdout.flush()
