"""Issue 15 item 4: overdue and nearly-due tickets show as a badge in the console's top bar of the
owning province's agents and supervisors (refreshed on each `ticket.alert` event, which also shows as
a toast); another province sees nothing of them, a national supervisor sees them all."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hotline.platform import Platform


def _badge(client: Any) -> str:
    response = client.get("/api/v1/tickets/alerts", headers={"HX-Request": "true"})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_top_bar_badge_counts_my_provinces_due_tickets(platform: Platform, make_user: Any, client_for: Any,
                                                           clock: Any) -> None:
    gd = make_user("badge-gd", ("agent",), "44", agent=True)
    make_user("badge-bj", ("supervisor",), "11")
    make_user("badge-nat", ("supervisor",), "00")
    ticket = platform.tickets.open_ticket(gd, caller="13612345678", topic="养老金未到账", description="请核实。",
                                          province="44")
    agent, other, national = client_for("badge-gd"), client_for("badge-bj"), client_for("badge-nat")
    page = agent.get("/agent/").get_data(as_text=True)
    assert 'id="ticket-alerts"' in page and "hl-ticket-alert from:body" in page  # the bar reloads on the event
    assert "ticket-alert-count" not in _badge(agent)  # nothing due yet: no badge

    clock.advance(timedelta(days=3))  # past the 2-working-day due date
    platform.tickets.watch()
    mine = _badge(agent)
    assert 'data-overdue="1"' in mine and 'data-due-soon="0"' in mine and 'href="/agent/tickets"' in mine
    assert "ticket-alert-count" not in _badge(other)  # Beijing does not see Guangdong's tickets
    assert 'data-overdue="1"' in _badge(national)
    assert agent.get("/api/v1/tickets/alerts").json == {"overdue": 1, "due_soon": 0}

    platform.tickets.close(gd, ticket.id, "已核实并答复")
    assert "ticket-alert-count" not in _badge(agent)
