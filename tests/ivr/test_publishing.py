"""Flow versions, the call log and survey reports on SQLite and PostgreSQL; call state on Redis."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from core.clock import FakeClock
from core.events import InProcessBus
from core.state import RedisStore
from hotline.cli import main
from hotline.platform import Platform
from ivr.actions import Collect, Digits
from ivr.flow import FlowError
from ivr.service import DEFAULT_FLOW, IvrService
from ivr.simulator import ScriptedCaller, Simulator
from tests import services
from tests.conftest import make_settings
from tests.ivr.fakes import Homes

V1 = DEFAULT_FLOW.read_text(encoding="utf-8")
# Version 2: the main menu is gone; callers hear the welcome and go straight to an agent.
V2 = V1.replace("    default: main_menu\n  emergency_notice", "    default: agent_general\n  emergency_notice")


def test_publish_changes_new_calls_only_and_rollback(any_platform) -> None:  # type: ignore[no-untyped-def]
    homes = Homes()
    ivr = IvrService(any_platform, homes=homes)
    assert ivr.publish(V1, "12333", note="first").version == 1
    first = ivr.start_call(call_id="old", caller="13800138000", called="12333", channel="asterisk")
    assert isinstance(first, Collect) and first.prompts[-1].id == "main_menu"

    assert ivr.publish(V2, "12333").version == 2
    second = ivr.start_call(call_id="new", caller="13800138000", called="12333", channel="asterisk")
    assert second.prompts[-1].id == "province_confirm"  # v2 skips the menu
    # the running call keeps version 1: its menu still works
    assert ivr.resume("old", Digits("1")).prompts[0].id == "pension_menu"

    info = ivr.rollback("12333")
    assert info.version == 1 and [v.live for v in ivr.versions("12333")] == [True, False]
    third = ivr.start_call(call_id="third", caller="13800138000", called="12333", channel="asterisk")
    assert third.prompts[-1].id == "main_menu"
    assert ivr.rollback("12333", to=2).version == 2
    with pytest.raises(LookupError, match="no version 9"):
        ivr.rollback("12333", to=9)
    with pytest.raises(LookupError):
        ivr.rollback("95588")

    for call_id in ("old", "new", "third"):
        ivr.hangup(call_id)
    versions = {c["call_id"]: c["flow_version"] for c in ivr.contacts(caller="13800138000")}
    assert versions == {"old": 1, "new": 2, "third": 1}


def test_publish_refuses_a_broken_flow(any_platform) -> None:  # type: ignore[no-untyped-def]
    ivr = IvrService(any_platform, homes=Homes())
    with pytest.raises(FlowError) as info:
        ivr.publish(V1.replace("next: survey", "next: surveyy"), "12333")
    assert info.value.problems[0].code == "dangling_target"
    assert ivr.versions() == []


def test_surveys_report(any_platform) -> None:  # type: ignore[no-untyped-def]
    homes = Homes()
    ivr = IvrService(any_platform, homes=homes)
    ivr.publish(V1, "12333")
    for i, score in enumerate(("1", "2", "4")):
        sim = Simulator(any_platform, ScriptedCaller(f"0 1 {score}"), agent=False, ivr=ivr, homes=homes)
        assert sim.run(caller="13800138000", call_id=f"s{i}").outcome == "completed"
    report = ivr.survey_report(group_by="province")
    assert [{k: v for k, v in r.items() if k != "distribution"} for r in report] == [
        {"province": "11", "answers": 3, "mean_score": 2.33, "satisfied_rate": 0.667}]
    assert sum(report[0]["distribution"].values()) == 3
    assert ivr.survey_report(group_by="agent")[0]["agent"] == 7
    assert ivr.contacts(caller="13800138000", limit=2)[0]["caller"] == "138****8000"


def test_call_state_on_redis_serves_two_nodes(tmp_path: Path, redis_url: str) -> None:
    """Twilio's next webhook may reach another node: the state lives in Redis, the flow in the DB."""
    prefix = services.redis_prefix()
    clock = FakeClock()
    settings = make_settings(tmp_path)
    nodes = [Platform(settings, clock=clock, store=RedisStore(redis_url, prefix=prefix),
                      bus=InProcessBus(f"n{i}", clock)) for i in range(2)]
    try:
        nodes[0].migrate()
        homes = Homes()
        a, b = IvrService(nodes[0], homes=homes), IvrService(nodes[1], homes=homes)
        a.publish(V1, "12333")
        a.start_call(call_id="tw-1", caller="13800138000", called="12333", channel="twilio")
        assert b.resume("tw-1", Digits("1")).prompts[0].id == "pension_menu"
        assert a.resume("tw-1", Digits("9")).prompts[0].id == "main_menu"
        b.hangup("tw-1")
        assert a.call_context("tw-1")["outcome"] == "caller_hangup"
    finally:
        for p in nodes:
            p.close()
        services.flush_prefix(prefix)


def test_cli_publish_list_rollback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTLINE_DATA_DIR", str(tmp_path))
    flow = tmp_path / "v2.yaml"
    flow.write_text(V2, encoding="utf-8")
    runner = CliRunner()
    out = runner.invoke(main, ["flow", "publish", str(DEFAULT_FLOW), "--entry", "12333"])
    assert out.exit_code == 0, out.output
    assert "version 1" in out.output
    assert "version 2" in runner.invoke(main, ["flow", "publish", str(flow), "--entry", "12333"]).output
    listing = runner.invoke(main, ["flow", "list"]).output.splitlines()
    assert listing[0].startswith("  12333    v1") and listing[1].startswith("* 12333    v2")
    assert "now runs version 1" in runner.invoke(main, ["flow", "rollback", "--entry", "12333"]).output
    bad = runner.invoke(main, ["flow", "rollback", "--entry", "12333", "--to", "7"])
    assert bad.exit_code == 1 and "no version 7" in bad.output
    assert runner.invoke(main, ["flow", "show", "--version", "2"]).output == V2


def test_the_live_version_snapshot_follows_publishing_on_every_node(platform, clock) -> None:  # type: ignore[no-untyped-def]
    """Call starts read the live version from a per-node snapshot; a publish or roll-back elsewhere
    reaches it by the `ivr.flow.live` event at once, or after `SNAPSHOT_S` on a node the event missed."""
    from core.state import MemoryStore
    from ivr.publishing import FlowRepository

    here, there = IvrService(platform, homes=Homes()), IvrService(platform, homes=Homes())
    here.publish(V1, "12333")
    assert there.flows.live("12333")[0].version == 1
    here.publish(V2, "12333")
    assert there.flows.live("12333")[0].version == 2
    deaf = Platform(platform.settings, clock=clock, store=MemoryStore(clock), bus=InProcessBus("deaf", clock))
    try:
        elsewhere = IvrService(deaf, homes=Homes())
        assert elsewhere.flows.live("12333")[0].version == 2
        here.rollback("12333")
        assert here.flows.live("12333")[0].version == 1 and there.flows.live("12333")[0].version == 1
        assert elsewhere.flows.live("12333")[0].version == 2  # no event reached it
        clock.advance(FlowRepository.SNAPSHOT_S + 0.1)
        assert elsewhere.flows.live("12333")[0].version == 1
        assert elsewhere.flows.live("95588") is None
    finally:
        deaf.close()
