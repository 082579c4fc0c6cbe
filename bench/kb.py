"""Knowledge search benchmark: latency on the 130-article evaluation corpus, on the demo knowledge base
and on a synthetic knowledge base (index rebuild time from the database, p50/p99 search latency), and optionally the
relevance figures beside plain BM25.

    hotline bench kb                              # CI-sized: corpus + 2,000 synthetic articles
    hotline bench kb --articles 100000 --relevance  # the figures in docs/knowledge.md
"""

from __future__ import annotations

import json
import random
import statistics
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import click

from bench.cli import machine_line
from hotline.platform import Platform

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "kb-eval"
DEMO = Path(__file__).resolve().parent.parent / "knowledge" / "demo_data" / "articles.jsonl"


def _platform(tmp: Path) -> Any:
    from core.clock import FakeClock
    from core.events import InProcessBus
    from core.settings import Settings
    from core.state import MemoryStore
    from hotline.platform import Platform

    clock = FakeClock(datetime(2026, 11, 24, 2, 0, tzinfo=UTC))
    settings = Settings(data_dir=tmp, database_url=f"sqlite:///{tmp / 'bench.db'}",
                        records_database_url=f"sqlite:///{tmp / 'records.db'}", redis_url=None,
                        secret_key="bench", handoff_secret="bench", node_id="bench")
    p = Platform(settings, clock=clock, store=MemoryStore(clock), bus=InProcessBus("bench", clock))
    p.migrate()
    return p


def _percentiles(samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    p99 = ms[min(len(ms) - 1, round(0.99 * (len(ms) - 1)))]
    return f"p50 {statistics.median(ms):.3f} ms, p99 {p99:.3f} ms, max {ms[-1]:.3f} ms (n={len(ms)})"


def _latency(kb: Any, queries: list[tuple[str, str | None]], passes: int) -> str:
    """Wall-clock and on-CPU (thread time) percentiles: on a shared machine the wall clock also
    counts time spent waiting for a core, which the CPU figure leaves out."""
    for q, prov in queries[:20]:  # warm-up
        kb.search(q, province=prov, log_query=False)
    wall, cpu = [], []
    for _ in range(passes):
        for q, prov in queries:
            t0, c0 = time.perf_counter(), time.thread_time()
            kb.search(q, province=prov, channel="ivr")
            cpu.append(time.thread_time() - c0)
            wall.append(time.perf_counter() - t0)
    return f"wall {_percentiles(wall)}; on-CPU {_percentiles(cpu)}"


def _queries(path: Path) -> list[tuple[str, str | None]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if "q" in rows[0]:
        return [(r["q"], None if r.get("province") in (None, "00") else r["province"]) for r in rows]
    return [(r["title"], None if r["province"] == "00" else r["province"]) for r in rows]


def _synthetic_rows(n: int, seed: int = 7) -> list[dict[str, Any]]:
    """Articles stitched from domain terms, places and question patterns (CPU-cheap, varied)."""
    from core.provinces import PROVINCES
    from knowledge.analysis import default_analyzer

    rnd = random.Random(seed)
    terms = default_analyzer().domain_terms
    provinces = ["00"] * 6 + list(PROVINCES)
    cats = ["养老保险", "医疗保险", "失业保险", "工伤保险", "生育保险", "社会保障卡", "就业服务", "劳动关系",
            "工资与休假", "人事人才", "12333服务"]
    asks = ["怎么办理", "需要什么材料", "在哪里办", "标准是多少", "有什么条件", "多久能办好", "能不能线上办"]
    verbs = ["申请", "办理", "查询", "领取", "缴纳", "转移", "认定", "补办"]
    rows = []
    for i in range(n):
        a, b, c = rnd.sample(terms, 3)
        prov = rnd.choice(provinces)
        place = PROVINCES[prov].short if prov != "00" else ""
        body = "。".join(f"{rnd.choice(terms)}{rnd.choice(verbs)}{rnd.choice(terms)}应当按照规定{rnd.choice(verbs)}"
                        for _ in range(4)) + "。"
        rows.append({"id": f"syn-{i:06d}", "title": f"{place}{a}{b}{rnd.choice(asks)}？", "category": rnd.choice(cats),
                     "province": prov, "keywords": [a, b, c], "short_answer": f"{a}{b}按规定{rnd.choice(verbs)}。",
                     "body": body, "effective_from": "2020-01-01", "effective_to": None})
    return rows


def _bulk_insert(platform: Platform, rows: list[dict[str, Any]]) -> None:
    """Straight into the tables (an import through the workflow would measure the ORM, not the index)."""
    from knowledge.content import clean_html
    from knowledge.models import KbArticle, KbRevision

    now = platform.clock.now()
    arts, revs = [], []
    for i, r in enumerate(rows, 1):
        arts.append({"id": r["id"], "created_at": now, "created_by": None, "published_revision_id": i,
                     "archived": False})
        revs.append({"id": i, "article_id": r["id"], "number": 1, "status": "published", "title": r["title"],
                     "questions": [], "body_html": clean_html(r["body"]), "short_answer": r["short_answer"],
                     "category": r["category"], "keywords": r["keywords"], "synonyms": [], "province": r["province"],
                     "city": None, "effective_from": date(2020, 1, 1), "effective_to": None, "links": [],
                     "author_id": None, "change_reason": "bench", "created_at": now, "updated_at": now,
                     "reviewer_id": None, "review_comment": "", "published_at": now})
    with platform.db.engine.begin() as conn:
        for start in range(0, len(rows), 5000):
            conn.execute(KbArticle.__table__.insert(), arts[start:start + 5000])
            conn.execute(KbRevision.__table__.insert(), revs[start:start + 5000])


@click.command("kb")
@click.option("--articles", default=2000, show_default=True, help="Size of the synthetic knowledge base.")
@click.option("--passes", default=3, show_default=True, help="Times each query set is run.")
@click.option("--relevance/--no-relevance", default=False, help="Also print MRR@5/P@1 on dev.jsonl.")
def command(articles: int, passes: int, relevance: bool) -> None:
    """Knowledge search: latency (corpus and synthetic base), index rebuild time, relevance."""
    from knowledge.transfer import import_file

    click.echo(machine_line())
    load = Path("/proc/loadavg")
    if load.exists():
        click.echo(f"load average at start: {' '.join(load.read_text().split()[:3])}")
    corpus = SHARED / "corpus.jsonl" if (SHARED / "corpus.jsonl").exists() else DEMO
    dev = SHARED / "dev.jsonl" if (SHARED / "dev.jsonl").exists() else DEMO
    queries = _queries(dev)
    with tempfile.TemporaryDirectory() as tmp:
        p = _platform(Path(tmp))
        try:
            kb = p.knowledge
            import_file(kb, corpus, publish=True)
            t0 = time.perf_counter()
            count = kb.reindex()
            available = kb.index.searcher.embedder.available
            click.echo("semantic signal: " + ("on (HOTLINE_KB_SEMANTIC=use)" if available else "off"))
            click.echo(f"corpus {corpus.name}: {count} articles, index rebuilt in {time.perf_counter() - t0:.3f} s")
            click.echo(f"  search latency over {len(queries)} queries x {passes}: "
                       f"{_latency(kb, queries, passes)}")
            if relevance:
                from knowledge.evaluation import PlainBM25, evaluate, load_queries

                def ours(q: str, province: str | None) -> tuple[list[str], bool]:
                    res = kb.search(q, province=province, log_query=False)
                    return [h.article_id for h in res.hits], res.no_answer

                rows = load_queries(dev)
                mine = evaluate(ours, rows)
                base = PlainBM25((d.article_id, f"{d.title} {d.tokens.get('keywords', '')} {d.body_text}")
                                 for d in kb.index.searcher.backend.docs())
                plain = evaluate(base.rank, rows)
                click.echo(f"  relevance on {dev.name}: MRR@5 {mine.mrr5:.3f} (plain BM25 {plain.mrr5:.3f}), "
                           f"P@1 {mine.p1:.3f} ({plain.p1:.3f}), recall@5 {mine.recall5:.3f} ({plain.recall5:.3f}), "
                           f"out-of-scope rejected {mine.oos_rejected:.3f}, "
                           f"answerable rejected {mine.answerable_rejected:.3f}")
        finally:
            p.close()
    with tempfile.TemporaryDirectory() as tmp:  # the demo knowledge base, asked the same questions
        p = _platform(Path(tmp))
        try:
            kb = p.knowledge
            import_file(kb, DEMO, publish=True)
            count = kb.reindex()
            extra = SHARED / "dev2.jsonl"
            demo_queries = queries + (_queries(extra) if extra.exists() else [])
            click.echo(f"demo base {DEMO.name}: {count} articles")
            click.echo(f"  search latency over {len(demo_queries)} queries x {passes}: "
                       f"{_latency(kb, demo_queries, passes)}")
        finally:
            p.close()
    with tempfile.TemporaryDirectory() as tmp:
        p = _platform(Path(tmp))
        try:
            t0 = time.perf_counter()
            rows = _synthetic_rows(articles)
            _bulk_insert(p, rows)
            click.echo(f"synthetic base: {articles} articles generated and stored in {time.perf_counter() - t0:.1f} s")
            kb = p.knowledge
            t0 = time.perf_counter()
            _ = kb.index.searcher  # first build, as on node start
            build = time.perf_counter() - t0
            click.echo(f"  index rebuild from the database: {build:.2f} s "
                       f"({articles / build:,.0f} articles/s)")
            click.echo(f"  search latency over {len(queries)} queries x {passes}: "
                       f"{_latency(kb, queries, passes)}")
            t0 = time.perf_counter()
            kb.index.refresh(rows[0]["id"])
            click.echo(f"  one article re-indexed on publish: {1000 * (time.perf_counter() - t0):.1f} ms")
        finally:
            p.close()
