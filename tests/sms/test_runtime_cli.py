"""The dispatcher as a node service, the rate limiter on both state stores, and the bulk/status CLI."""

from __future__ import annotations

import asyncio
import json
import time

from click.testing import CliRunner

from core.clock import FakeClock
from sms.config import SmsConfig
from sms.dispatcher import RateLimiter
from sms.runtime import DispatcherService, services
from tests.sms.helpers import RecordingProvider, dispatcher


def test_node_service_sends_in_the_background(platform) -> None:  # type: ignore[no-untyped-def]
    prov = RecordingProvider("p")
    dispatcher(platform, prov, poll_interval=0.05)
    assert [s.name for s in services(platform)] == ["sms-dispatcher", "sms-retention"]

    async def scenario() -> None:
        svc = DispatcherService(platform)
        await svc.start()
        platform.sms.send("13800138000", "card_ready", {"place": "x"}, category="reply")
        deadline = time.monotonic() + 5
        while not prov.sent and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        await svc.stop()

    asyncio.run(scenario())
    assert len(prov.sent) == 1


def test_rate_limiter_shares_the_budget_across_dispatchers(any_store, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    cfg = SmsConfig(rate_per_second={"kannel": 5})
    a, b = RateLimiter(any_store, clock, cfg), RateLimiter(any_store, clock, cfg)
    taken = [x.try_take("kannel") for x in (a, b) * 4]
    assert taken.count(True) == 5
    assert a.try_take("smpp")  # another provider has its own budget
    clock.advance(1)
    assert b.try_take("kannel")


def test_cli_bulk_status_and_stats(platform, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from hotline.cli import main

    prov = RecordingProvider("p")
    dispatcher(platform, prov)
    csv_file = tmp_path / "pension.csv"
    csv_file.write_text("phone,amount\n13900000001,3000.50\n13900000002,2800\nnot-a-number,1\n", encoding="utf-8")
    runner = CliRunner()
    obj = {"platform": platform}
    result = runner.invoke(main, ["sms", "bulk", "--template", "pension_paid", "--recipients", str(csv_file),
                                  "--var", "month=2026年11月", "--batch", "nov", "--dispatch"], obj=obj)
    assert result.exit_code == 0, result.output
    assert "queued 2" in result.output and "rejected 1" in result.output and "line 3" in result.output
    assert "1 part(s), UCS-2" in result.output and len(prov.sent) == 2
    again = runner.invoke(main, ["sms", "bulk", "--template", "pension_paid", "--recipients", str(csv_file),
                                 "--var", "month=2026年11月", "--batch", "nov"], obj=obj)
    assert "queued 0, already queued 2" in again.output
    status = runner.invoke(main, ["sms", "status", str(prov.sent[0].id), "--json"], obj=obj)
    data = json.loads(status.output)
    assert data["status"] == "sent" and data["to"].startswith("139****")
    assert "3000.50" in data["text"] or "2800" in data["text"]
    assert runner.invoke(main, ["sms", "status", "999"], obj=obj).exit_code != 0
    stats = runner.invoke(main, ["sms", "stats", "--json"], obj=obj)
    assert json.loads(stats.output)["outbox"] == {"sent": 2}
    preview = runner.invoke(main, ["sms", "preview", "你" * 64], obj=obj)
    assert preview.output.startswith("2 part(s), UCS-2, 71 units")


def test_cli_send_shows_the_text_and_parts(platform) -> None:  # type: ignore[no-untyped-def]
    from hotline.cli import main
    from sms import outbox

    dispatcher(platform, RecordingProvider("p"))
    runner = CliRunner()
    obj = {"platform": platform}
    result = runner.invoke(main, ["sms", "send", "--to", "13900000000", "--template", "kb_answer", "--var", "title=T",
                                  "--var", "answer=" + "长" * 80, "--category", "reply", "--yes"], obj=obj)
    assert result.exit_code == 0, result.output
    assert "2 part(s), UCS-2" in result.output and "sent" in result.output
    bad = runner.invoke(main, ["sms", "send", "--to", "13900000000", "--template", "kb_answer", "--yes"], obj=obj)
    assert bad.exit_code != 0 and "缺少变量" in bad.output
    assert outbox.counts(platform.db)["sent"] == 1
    assert runner.invoke(main, ["sms", "inbound", "--from", "13800138000", "--text", "TD"], obj=obj).exit_code != 0
