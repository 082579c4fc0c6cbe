"""Demo data, the `hotline acd` commands and the node's ACD ticker."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from agents.models import Agent
from core.models import User
from hotline.demo import load_demo_users


def test_demo_is_idempotent_and_links_users(platform) -> None:
    load_demo_users(platform)
    from agents.demo import load_demo as agents_demo
    from switch.demo import load_demo as switch_demo

    assert "33 centers" in switch_demo(platform)
    first = agents_demo(platform)
    second = agents_demo(platform)
    assert "(0 new, 0 new users)" in second and first != second
    with platform.db.session() as s:
        assert s.execute(select(func.count(Agent.id))).scalar_one() == 103
        centers = set(s.execute(select(Agent.center_code)).scalars())
        bj7 = s.execute(select(User).where(User.username == "bj-agent-07")).scalar_one()
        assert bj7.is_demo and bj7.has_role("agent") and bj7.province_scope == "11"
    assert centers == {"11", "44", "51", "31", "32", "33", "37", "41", "42", "00"}
    for username, center in (("agent", "11"), ("agent-gd", "44"), ("agent-sc", "51")):
        prof = platform.agents.agent_for_user(platform.accounts.by_username(username).id)
        assert prof is not None and prof.center_code == center
    assert platform.accounts.authenticate("bj-agent-07", "hotline-demo").username == "bj-agent-07"
    endpoints = {p.endpoint.split("/")[0].split(":")[0] for p in platform.agents.profiles()}
    assert endpoints == {"PJSIP", "client"}


def test_acd_cli_in_one_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from hotline.cli import main

    monkeypatch.setenv("HOTLINE_DATA_DIR", str(tmp_path))
    for name in ("DATABASE_URL", "RECORDS_DATABASE_URL", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()
    assert runner.invoke(main, ["init", "--demo"]).exit_code == 0
    listing = runner.invoke(main, ["acd", "agents", "--center", "44"]).output
    assert len(listing.strip().splitlines()) == 11
    status = runner.invoke(main, ["acd", "status", "--scope", "44"]).output
    assert status.startswith("center:44: waiting 0")
    assert "no agent" in runner.invoke(main, ["acd", "login", "nobody"]).output
    out = runner.invoke(main, ["acd", "enqueue", "44-pension", "--call-id", "t1"]).output
    assert "t1 waiting" in out and "您前面没有其他来电" in out
    bad = runner.invoke(main, ["acd", "enqueue", "99-pension", "--call-id", "t2"])
    assert bad.exit_code != 0 and "unknown_queue" in bad.output
    missing = runner.invoke(main, ["acd", "hangup", "nosuchcall"])  # not "ended": there is no such call
    assert missing.exit_code != 0 and "no call nosuchcall" in missing.output


def test_runtime_ticker_drives_timers(platform, clock) -> None:
    from agents.runtime import services
    from tests.agents.conftest import add_agent, call

    agent = add_agent(platform, "a", "44", ("pension",), ready=True)
    platform.agents.enqueue(call("c1", "44-pension"))
    clock.advance(20)
    [svc] = services(platform)
    svc.interval = 0.01

    async def run() -> None:
        await svc.start()
        for _ in range(100):
            await asyncio.sleep(0.01)
            if platform.agents.agent_status(agent).state == "not_ready":
                break
        await svc.stop()

    asyncio.run(run())
    assert platform.agents.agent_status(agent).reason == "no_answer"
