"""Quality review: weighted scoring with critical failures, the weekly sample per agent plus flagged
calls, comments, one acknowledgement or dispute, reports with CSV, and the CLI."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

from hotline.platform import Platform
from qa import scoring
from qa.service import QaError
from tests.recordings.helpers import stereo_wav


def test_scoring_weights_and_critical_failures() -> None:
    crit = scoring.validate(scoring.DEFAULT_CRITERIA)
    marks = {c["key"]: "pass" for c in crit}
    assert scoring.score(crit, marks).total == 100.0
    assert scoring.score(crit, {**marks, "courtesy": "partial"}).total == 92.5
    failed = scoring.score(crit, {**marks, "policy": "fail"})
    assert failed.total == 0.0 and failed.critical_failed
    assert scoring.score(crit, {**marks, "closing": "fail"}).total == 85.0
    with pytest.raises(ValueError, match="greeting"):
        scoring.score(crit, {k: v for k, v in marks.items() if k != "greeting"})
    with pytest.raises(ValueError, match="twice"):
        scoring.validate([{"key": "a", "weight": 1}, {"key": "a", "weight": 2}])
    assert scoring.parse_lines("greet|问候|10|no\nid|核验|20|是")[1]["critical"] is True


class _Acd:
    """Agent 1 and 2 of Guangdong; console user 501 is agent 1."""

    def call_status(self, call_id: str) -> None:
        return None

    def profile(self, agent_id: int) -> object:
        return SimpleNamespace(id=agent_id, user_id=500 + agent_id, center_code="44")

    def agent_for_user(self, user_id: int) -> object | None:
        return SimpleNamespace(id=user_id - 500) if user_id in (501, 502) else None


@pytest.fixture
def week_of_calls(platform: Platform, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    monkeypatch.setitem(platform.__dict__, "agents", _Acd())
    wav = stereo_wav(tmp_path / "c.wav", 1.0)
    ids = []
    for n in range(10):
        ids.append(platform.recordings.store_file(f"call-{n}", wav, channel="import", agent_id=1 + n % 2,
                                                  source_ref=f"q{n}"))
    return ids


def test_sample_per_agent_plus_flags(platform: Platform, week_of_calls: list[int]) -> None:
    qa = platform.qa
    platform.recordings.hold(week_of_calls[3], reason="complaint", reference="TS-9", actor="user:1")
    plan = qa.sample(rate=0.02, minimum=2)
    summary = plan.summary()
    assert summary["flag:complaint"] == 1 and plan.picks[week_of_calls[3]] == "flag:complaint"
    sampled = [rid for rid, src in plan.picks.items() if src == "sample"]
    agents = [platform.recordings.get(r).agent_id for r in sampled]
    assert sorted(agents) == [1, 1, 2, 2]  # 2 each at random; flagged calls come on top
    again = qa.sample(rate=0.02, minimum=2)
    assert again.picks == {}  # nothing queued twice
    reviewer = SimpleNamespace(id=9, roles=frozenset({"qa"}), province_scope="44")
    other = SimpleNamespace(id=10, roles=frozenset({"qa"}), province_scope="11")
    assert len(qa.queue(reviewer)) == len(plan.picks) and qa.queue(other) == []


def test_review_ack_dispute_once_and_report(platform: Platform, week_of_calls: list[int], clock) -> None:
    qa = platform.qa
    qa.sample(minimum=1)
    reviewer = SimpleNamespace(id=9, roles=frozenset({"qa"}), province_scope="44")
    items = qa.queue(reviewer)
    first = next(r for r in items if r["agent_id"] == 1)
    qa.comment(first["id"], reviewer, 12.5, "未核验身份即告知参保信息")
    marks = {"greeting": "pass", "identity": "fail", "policy": "pass", "courtesy": "pass", "closing": "pass"}
    done = qa.submit(first["id"], reviewer, marks)
    assert done["total"] == 0.0 and done["critical_failed"] and done["ack_status"] == "pending"
    with pytest.raises(QaError):
        qa.submit(first["id"], reviewer, marks)
    agent1 = SimpleNamespace(id=501, roles=frozenset({"agent"}), province_scope="44")
    agent2 = SimpleNamespace(id=502, roles=frozenset({"agent"}), province_scope="44")
    assert [r["id"] for r in qa.mine(agent1)] == [first["id"]] and qa.mine(agent2) == []
    with pytest.raises(QaError):
        qa.acknowledge(first["id"], agent2)  # not their call
    disputed = qa.dispute(first["id"], agent1, "已核验，录音第10秒可听到")
    assert disputed["ack_status"] == "disputed"
    with pytest.raises(QaError):
        qa.acknowledge(first["id"], agent1)  # one response only
    resolved = qa.resolve(first["id"], reviewer, "复听确认已核验", total=100)
    assert resolved["ack_status"] == "resolved" and resolved["total"] == 100
    assert qa.review(first["id"])["comments"][0]["offset_s"] == 12.5

    second = next(r for r in items if r["agent_id"] == 2)
    qa.submit(second["id"], reviewer, {**marks, "identity": "pass", "courtesy": "partial"})
    qa.acknowledge(second["id"], agent2)
    by_agent = {r["key"]: r for r in qa.report("agent")}
    assert by_agent["1"]["average"] == 100.0 and by_agent["1"]["disputes"] == 1
    assert by_agent["2"]["average"] == 92.5 and by_agent["2"]["critical_failures"] == 0
    crit = {r["key"]: r for r in qa.report("criterion")}
    assert crit["identity"]["fails"] == 1 and crit["courtesy"]["score_pct"] == 75.0
    csv_text = qa.to_csv(qa.report("province"))
    assert csv_text.splitlines()[0] == "week,key,reviews,average,critical_failures,disputes"
    assert ",44,2," in csv_text
    assert {e.action for e in platform.audit.entries(limit=50)} >= {"qa.review", "qa.disputed", "qa.acknowledged",
                                                                   "qa.resolve", "qa.sample"}


def test_cli(platform: Platform, week_of_calls: list[int], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from hotline.cli import main

    runner = CliRunner()
    obj = {"platform": platform}
    out = runner.invoke(main, ["qa", "forms"], obj=obj)
    assert out.exit_code == 0 and "policy" in out.output
    form = tmp_path / "f.yaml"
    form.write_text("name: 广东质检表\nprovince: '44'\ncriteria:\n  - {key: greeting, label: 问候, weight: 1}\n",
                    encoding="utf-8")
    out = runner.invoke(main, ["qa", "forms", "--add", str(form)], obj=obj)
    assert out.exit_code == 0 and "created" in out.output
    out = runner.invoke(main, ["qa", "sample", "--min", "1"], obj=obj)
    assert out.exit_code == 0 and "queued" in out.output
    assert platform.qa.queue(SimpleNamespace(id=1, roles={"qa"}, province_scope="00"))[0]["form_id"] != 1
    out = runner.invoke(main, ["recordings", "list"], obj=obj)
    assert out.exit_code == 0 and "call-0#1" in out.output
    out = runner.invoke(main, ["recordings", "hold", str(week_of_calls[0]), "--reference", "TS-1"], obj=obj)
    assert out.exit_code == 0 and "placed" in out.output
    out = runner.invoke(main, ["recordings", "show", str(week_of_calls[0])], obj=obj)
    assert out.exit_code == 0 and '"reason": "complaint"' in out.output
    platform.clock.advance(timedelta(days=181))
    out = runner.invoke(main, ["recordings", "purge"], obj=obj)
    assert out.exit_code == 0 and "deleted 9 recording(s); 1 expired but held" in out.output
    out = runner.invoke(main, ["recordings", "release", str(week_of_calls[0])], obj=obj)
    assert out.exit_code == 0 and "released 1" in out.output
    out = runner.invoke(main, ["qa", "report", "--by", "agent", "--csv"], obj=obj)
    assert out.exit_code == 0
