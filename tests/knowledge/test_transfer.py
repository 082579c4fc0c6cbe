"""Import and export (JSON lines and Markdown), and the `hotline kb` commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from knowledge.errors import KnowledgeError
from knowledge.transfer import export_file, export_records, import_file

RECORDS = [
    {"id": "kb-9001", "title": "失业保险金怎么申领？", "category": "失业保险", "province": "00",
     "keywords": ["失业金", "申领"], "short_answer": "办理失业登记后申领失业保险金。",
     "body": "失业后办理失业登记，再向参保地经办机构申领失业保险金。", "effective_from": "2022-01-01",
     "effective_to": None},
    {"id": "kb-9002", "title": "广东省失业保险金标准是多少？", "category": "失业保险", "province": "44",
     "keywords": ["失业金标准", "广东"], "short_answer": "按当地最低工资标准的90%发放（示例）。",
     "body": "广东省失业保险金按最低工资标准的90%按月发放。", "effective_from": "2024-01-01",
     "effective_to": None},
    {"id": "kb-9003", "title": "旧的失业金标准", "category": "失业保险", "province": "00",
     "keywords": ["失业金标准"], "short_answer": "旧标准。", "body": "已经废止的旧标准。",
     "effective_from": "2010-01-01", "effective_to": "2015-12-31"},
]


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_jsonl_round_trip(kb, tmp_path) -> None:  # type: ignore[no-untyped-def]
    report = import_file(kb, write_jsonl(tmp_path / "in.jsonl", RECORDS), publish=True)
    assert (report.created, report.unchanged) == (3, 0)
    assert kb.article("kb-9002").province == "44"
    export_file(kb, tmp_path / "out.jsonl")
    exported = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    for original, back in zip(RECORDS, exported, strict=True):
        for key in ("id", "title", "category", "province", "keywords", "short_answer", "body",
                    "effective_from", "effective_to"):
            assert back[key] == original[key], key
    again = import_file(kb, tmp_path / "out.jsonl", publish=True)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)  # nothing changed, nothing written
    assert [r.number for r in kb.revisions("kb-9001")] == [1]


def test_import_without_publish_leaves_drafts_and_changed_content_makes_a_revision(kb, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import_file(kb, write_jsonl(tmp_path / "a.jsonl", RECORDS[:1]))
    assert kb.article("kb-9001") is None and kb.revisions("kb-9001")[0].status == "draft"
    assert kb.search("失业保险金怎么申领", log_query=False).no_answer
    changed = [{**RECORDS[0], "short_answer": "新的简短答复。"}]
    with pytest.raises(KnowledgeError, match="draft"):
        import_file(kb, write_jsonl(tmp_path / "b.jsonl", changed), publish=True)
    report = import_file(kb, write_jsonl(tmp_path / "c.jsonl", RECORDS[:1]), publish=True)
    assert report.published == 1 and kb.article("kb-9001").revision_number == 1
    assert report.went_live == 1 and "1 published by this import" in report.line()
    report = import_file(kb, write_jsonl(tmp_path / "d.jsonl", changed), publish=True)
    assert report.updated == 1 and kb.article("kb-9001").short_answer == "新的简短答复。"
    assert kb.search("失业保险金怎么申领", log_query=False).hits[0].short_answer == "新的简短答复。"


def test_a_bad_file_is_refused_whole(kb, tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(RECORDS[0], ensure_ascii=False) + "\n{not json\n"
                   + json.dumps({**RECORDS[1], "short_answer": "x" * 80}, ensure_ascii=False) + "\n",
                   encoding="utf-8")
    with pytest.raises(KnowledgeError) as err:
        import_file(kb, bad, publish=True)
    assert "bad.jsonl:2" in str(err.value) and "bad.jsonl:3" in str(err.value) and "short_answer" in str(err.value)
    assert export_records(kb) == []


def test_markdown_with_front_matter(kb, tmp_path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "md"
    folder.mkdir()
    (folder / "kb-md1.md").write_text(
        "---\ntitle: 社保卡丢了怎么挂失？\ncategory: 社会保障卡\nprovince: '11'\nkeywords: [挂失, 社保卡丢失]\n"
        "short_answer: 拨打12333或在网上先临时挂失。\neffective_from: 2021-01-01\n---\n"
        "# 办理方式\n\n- 拨打 **12333** 临时挂失\n- 到银行网点正式挂失\n\n挂失后可补办新卡。\n", encoding="utf-8")
    report = import_file(kb, folder, publish=True)
    assert report.created == 1
    art = kb.article("kb-md1")
    assert art.province == "11" and art.effective_from.isoformat() == "2021-01-01"
    assert "<li>拨打 <strong>12333</strong> 临时挂失</li>" in art.body_html
    assert kb.search("社保卡丢了", province="11", log_query=False).hits[0].article_id == "kb-md1"


def test_cli_import_search_batch_eval_reindex(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from hotline.cli import main

    monkeypatch.setenv("HOTLINE_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    runner = CliRunner()
    corpus = write_jsonl(tmp_path / "in.jsonl", RECORDS)
    res = runner.invoke(main, ["kb", "import", str(corpus), "--publish"])
    assert res.exit_code == 0, res.output
    assert "3 new" in res.output
    res = runner.invoke(main, ["kb", "search", "失业金标准是多少", "--province", "44", "--json"])
    out = json.loads(res.output)
    assert out["no_answer"] is False and out["hits"][0]["id"] == "kb-9002"
    assert {"id", "title", "score", "snippet"} <= set(out["hits"][0])
    assert "kb-9003" not in [h["id"] for h in out["hits"]]  # superseded
    res = runner.invoke(main, ["kb", "search", "驾驶证怎么换", "--json"])
    assert json.loads(res.output)["no_answer"] is True
    queries = write_jsonl(tmp_path / "q.jsonl", [
        {"q": "失业金怎么领", "province": "00", "gold": ["kb-9001"], "kind": "keyword"},
        {"q": "广东失业金标准", "province": "44", "gold": ["kb-9002", "kb-9001"], "kind": "keyword"},
        {"q": "护照过期在哪里换", "province": "11", "gold": [], "kind": "out_of_scope"},
    ])
    res = runner.invoke(main, ["kb", "search", "--batch", str(queries), "--json"])
    lines = [json.loads(line) for line in res.output.splitlines()]
    assert [set(line) for line in lines] == [{"q", "province", "ids", "no_answer"}] * 3
    assert lines[0]["ids"][0] == "kb-9001" and lines[1]["ids"][0] == "kb-9002" and lines[2]["no_answer"]
    res = runner.invoke(main, ["kb", "eval", str(queries), "--json"])
    metrics = json.loads(res.output)["sets"]["q"]
    assert metrics["ours"]["mrr5"] == 1.0 and metrics["ours"]["oos_rejected"] == 1.0
    assert "plain_bm25" in metrics and "cross_validated" not in metrics  # one set: nothing to cross-check
    other = write_jsonl(tmp_path / "q2.jsonl", [
        {"q": "喂 你好 我被裁了 失业保险金去哪里申请", "province": "00", "gold": ["kb-9001"], "kind": "spoken"},
        {"q": "公积金怎么提取", "province": "00", "gold": [], "kind": "out_of_scope"},
    ])
    res = runner.invoke(main, ["kb", "eval", str(queries), str(other)])
    assert res.exit_code == 0, res.output
    assert "cross-val" in res.output and "tuned on q2" in res.output and "tuned on q" in res.output
    assert "plain BM25" in res.output and "q2: 2 queries" in res.output
    res = runner.invoke(main, ["kb", "reindex"])
    assert res.exit_code == 0 and "indexed 3 published articles" in res.output
    res = runner.invoke(main, ["kb", "export", str(tmp_path / "out.jsonl")])
    assert "exported 3" in res.output
    res = runner.invoke(main, ["kb", "import", str(tmp_path / "nope.jsonl")])
    assert res.exit_code != 0
