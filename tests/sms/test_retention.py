"""Privacy retention: old message texts are blanked, the metadata stays, and `hotline sms purge`."""

from __future__ import annotations

import asyncio

from click.testing import CliRunner
from sqlalchemy import select

from sms.models import InboundMessage, OutboxMessage
from sms.runtime import retention_service, services
from tests.sms.helpers import RecordingProvider, dispatcher

DAY = 86400.0
CITIZEN = "13800138000"


def _outbox(platform) -> dict[int, OutboxMessage]:  # type: ignore[no-untyped-def]
    with platform.db.session() as s:
        rows = list(s.execute(select(OutboxMessage)).scalars())
        s.expunge_all()
    return {r.id: r for r in rows}


def _inbound(platform) -> list[InboundMessage]:  # type: ignore[no-untyped-def]
    with platform.db.session() as s:
        rows = list(s.execute(select(InboundMessage).order_by(InboundMessage.id)).scalars())
        s.expunge_all()
    return rows


def _old_and_new_traffic(platform) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Messages in every state 100 days ago, then a delivered one today."""
    sms, prov = platform.sms, RecordingProvider("p1")
    d = dispatcher(platform, prov)
    ids = {"failed": sms.send(CITIZEN, "card_ready", {"place": "朝阳区社保中心"}),
           "delivered": sms.send(CITIZEN, "pension_paid", {"month": "2026年8月", "amount": "3000.50"})}
    d.run_once()
    sms.receipt(state="failed", provider_message_id=f"p1-{ids['failed']}", detail="unknown subscriber")
    sms.receipt(state="delivered", provider_message_id=f"p1-{ids['delivered']}")
    ids["sent"] = sms.send(CITIZEN, "card_ready", {"place": "海淀区"})  # sent, no receipt: not final
    d.run_once()
    platform.smschat.handle_inbound(CITIZEN, "TD", provider="test")
    platform.clock.advance(100 * DAY)
    ids["recent"] = sms.send(CITIZEN, "card_ready", {"place": "西城区"})
    d.run_once()
    sms.receipt(state="delivered", provider_message_id=f"p1-{ids['recent']}")
    platform.smschat.handle_inbound(CITIZEN, "CX", provider="test")
    return ids


def test_old_texts_are_blanked_and_the_metadata_kept(any_platform) -> None:  # type: ignore[no-untyped-def]
    ids = _old_and_new_traffic(any_platform)
    before = _outbox(any_platform)
    statuses = {k: before[i].status for k, i in ids.items()}
    assert statuses == {"failed": "failed", "delivered": "delivered", "sent": "sent", "recent": "delivered"}
    replies = [i for i in before if i not in ids.values()]  # the keyword replies, old and new

    dry = any_platform.sms.purge(90, dry_run=True)
    assert (dry.outbox, dry.inbound) == (3, 1)  # failed, delivered and the old TD reply; the old TD text
    assert _outbox(any_platform)[ids["delivered"]].text == before[ids["delivered"]].text  # nothing changed

    report = any_platform.sms.purge(90)
    assert (report.outbox, report.inbound) == (3, 1)
    after = _outbox(any_platform)
    for key in ("failed", "delivered"):
        row, old = after[ids[key]], before[ids[key]]
        assert row.text == "" and row.variables == {}
        assert (row.status, row.parts, row.recipient, row.template, row.created_at, row.delivered_at,
                row.failed_at) == (old.status, old.parts, old.recipient, old.template, old.created_at,
                                   old.delivered_at, old.failed_at)
    assert after[ids["sent"]].text == before[ids["sent"]].text and after[ids["sent"]].variables  # not final
    assert after[ids["recent"]].text and after[ids["recent"]].variables == {"place": "西城区"}  # too young
    assert [bool(after[i].text) for i in replies] == [False, True]
    old_in, new_in = _inbound(any_platform)
    assert old_in.text == "" and old_in.action and old_in.received_at and new_in.text == "CX"
    (entry,) = any_platform.audit.entries(action="sms.purge")
    assert entry.detail["outbox"] == 3 and entry.detail["inbound"] == 1

    again = any_platform.sms.purge(90)
    assert (again.outbox, again.inbound) == (0, 0) and len(any_platform.audit.entries(action="sms.purge")) == 1


def test_purge_cli_and_the_retention_timer(platform, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from hotline.cli import main

    ids = _old_and_new_traffic(platform)
    runner = CliRunner()
    obj = {"platform": platform}
    dry = runner.invoke(main, ["sms", "purge", "--days", "30", "--dry-run"], obj=obj)
    assert dry.exit_code == 0, dry.output
    assert "would blank 3 outbox and 1 inbound" in dry.output
    assert _outbox(platform)[ids["failed"]].text  # a dry run changes nothing
    bad = runner.invoke(main, ["sms", "purge", "--days", "0"], obj=obj)
    assert bad.exit_code != 0 and _outbox(platform)[ids["failed"]].text  # refused, nothing lost
    short = runner.invoke(main, ["sms", "purge", "--days", "200"], obj=obj)
    assert short.exit_code == 0 and "blanked 0 outbox and 0 inbound" in short.output

    platform.sms.config = platform.sms.config.with_(retention_days=0)
    assert retention_service(platform) is None and [s.name for s in services(platform)] == ["sms-dispatcher"]
    off = runner.invoke(main, ["sms", "purge"], obj=obj)
    assert off.exit_code != 0 and "HOTLINE_SMS_RETENTION_DAYS" in off.output

    platform.sms.config = platform.sms.config.with_(retention_days=90, retention_interval=3600)
    timer = retention_service(platform)
    assert timer is not None and timer.interval == 3600

    async def one_pass() -> None:
        await timer.start()
        for _ in range(200):
            if not _outbox(platform)[ids["delivered"]].text:
                break
            await asyncio.sleep(0.01)
        await timer.stop()

    asyncio.run(one_pass())
    after = _outbox(platform)
    assert after[ids["delivered"]].text == "" and after[ids["recent"]].text
    assert platform.audit.entries(action="sms.purge")[0].detail["outbox"] == 3
