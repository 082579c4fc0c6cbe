"""Tickets that are watched: due by the next working day and overdue tickets raise one `ticket.alert`
each (per level) for the owning province, counted for the wallboard; the SLA uses the database's
official calendar (the 2027 Spring Festival, known only from the database, is not a working day)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from tickets.runtime import watch


@pytest.fixture
def people(platform):  # type: ignore[no-untyped-def]
    acc = platform.accounts
    return {"gd": acc.create_user("w-gd", "pw", ["agent"], province_scope="44"),
            "bj": acc.create_user("w-bj", "pw", ["agent"], province_scope="11")}


def _open(platform, user, province: str):  # type: ignore[no-untyped-def]
    return platform.tickets.open_ticket(user, caller="13612345678", topic="养老金未到账", description="请核实。",
                                        province=province)


def test_alerts_once_per_level_for_the_owning_province(platform, people, clock) -> None:
    alerts: list = []
    platform.bus.subscribe(alerts.append, ("ticket.alert",))
    gd = _open(platform, people["gd"], "44")  # Tue 24 Nov 2026: due Thu 26 Nov
    _open(platform, people["bj"], "11")
    assert platform.tickets.watch() == [] and platform.tickets.alert_counts("44") == {"overdue": 0, "due_soon": 0}
    clock.advance(timedelta(days=1))  # Wed: due by the next working day
    raised = platform.tickets.watch()
    assert [(a["ticket_id"], a["level"], a["province"]) for a in raised] == [(gd.id, "due_soon", "44"),
                                                                           (gd.id + 1, "due_soon", "11")]
    assert platform.tickets.watch() == []  # once per level
    assert platform.tickets.alert_counts("44") == {"overdue": 0, "due_soon": 1}
    assert platform.tickets.alert_counts("00") == {"overdue": 0, "due_soon": 2}
    clock.advance(timedelta(days=2))  # Fri: past Thursday's due date
    watch(platform)  # the node timer
    assert [a.data["level"] for a in alerts if a.data["ticket_id"] == gd.id] == ["due_soon", "overdue"]
    assert "已超过办结期限" in alerts[-1].data["text"]
    assert platform.tickets.alert_counts("44") == {"overdue": 1, "due_soon": 0}
    platform.tickets.close(people["gd"], gd.id, "已核实并答复")
    assert platform.tickets.alert_counts("44") == {"overdue": 0, "due_soon": 0}


def test_the_sla_counts_with_the_databases_calendar(platform, people, clock) -> None:
    clock.set(datetime(2027, 2, 4, 2, 0, tzinfo=UTC))  # Thu 4 Feb 2027, 10:00 Beijing
    t = _open(platform, people["gd"], "44")
    # Fri 5 Feb is the first day of the (provisional) 2027 Spring Festival, 8 Feb its last: due Wed 10 Feb
    assert t.due_date == date(2027, 2, 10)
