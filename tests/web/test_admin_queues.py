"""A queue's maximum wait and overflow action, edited in the admin console: validated with a clear
message, scoped to the admin's province, audited with the values before, and followed by the next
calls on every node (the queue cache's version moves)."""

from __future__ import annotations

from typing import Any

import pytest

from agents.domain import QueuedCall
from core.clock import FakeClock
from hotline.platform import Platform
from tests.web.conftest import page_csrf

pytestmark = pytest.mark.usefixtures("web_app")


def _call(platform: Platform, call_id: str) -> None:
    platform.agents.enqueue(QueuedCall(call_id=call_id, queue_id="44-pension", center_code="44", topic="pension",
                                       caller="13800138000", language="zh"))


def test_an_admin_changes_a_queue_and_the_next_call_follows_it(platform: Platform, clock: FakeClock,
                                                                 make_user: Any, client_for: Any) -> None:
    make_user("adm", ("admin",), "00")
    admin = client_for("adm")
    csrf = page_csrf(admin)
    page = admin.get("/api/v1/admin/queues?center=44", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'data-queue="44-pension"' in page and 'value="600"' in page and "最长等待" in page
    assert 'value="queue:00-pension" selected' in page  # the default: on to the national queue
    _call(platform, "q-before")  # queued with the old 600 s
    saved = admin.post("/api/v1/admin/queues/44-pension", json={"max_wait": 120, "overflow_action": "queue:44-general"},
                       headers={"X-CSRFToken": csrf})
    assert saved.status_code == 200, saved.json
    queue = platform.agents.queue("44-pension")
    assert queue is not None and (queue.max_wait, queue.overflow_action) == (120, "queue:44-general")
    audit = platform.audit.entries(action="queue.update")[0]
    assert audit.subject == "queue:44-pension"
    assert audit.detail == {"before": {"max_wait": 600, "overflow_action": "queue:00-pension"},
                            "after": {"max_wait": 120, "overflow_action": "queue:44-general"}}

    _call(platform, "q-after")
    clock.advance(121)
    platform.agents.tick()
    moved, kept = platform.agents.call_status("q-after"), platform.agents.call_status("q-before")
    assert moved is not None and moved.queue_id == "44-general"  # after 120 s, to the chosen queue
    assert kept is not None and kept.queue_id == "44-pension"  # queued before: its 600 s stand
    shown = admin.get("/api/v1/admin/queues?center=44", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'value="120"' in shown and 'value="queue:44-general" selected' in shown


@pytest.mark.parametrize(("change", "status", "words"), [
    ({"max_wait": 5, "overflow_action": "callback"}, 422, "30–3600"),
    ({"max_wait": 7200, "overflow_action": "callback"}, 422, "30–3600"),
    ({"max_wait": 300, "overflow_action": "queue:44-pension"}, 422, "自身"),
    ({"max_wait": 300, "overflow_action": "queue:99-nowhere"}, 422, "已有队列"),
    ({"max_wait": 300, "overflow_action": "voicemail"}, 422, "已有队列"),
    ({"max_wait": "soon", "overflow_action": "callback"}, 400, "max_wait"),
])
def test_a_bad_change_is_refused_with_a_reason_and_changes_nothing(platform: Platform, make_user: Any,
                                                                  client_for: Any, change: dict, status: int,
                                                                  words: str) -> None:
    make_user("adm", ("admin",), "00")
    admin = client_for("adm")
    refused = admin.post("/api/v1/admin/queues/44-pension", json=change, headers={"X-CSRFToken": page_csrf(admin)})
    assert refused.status_code == status and words in refused.json["error"], refused.json
    queue = platform.agents.queue("44-pension")
    assert queue is not None and (queue.max_wait, queue.overflow_action) == (600, "queue:00-pension")
    assert not platform.audit.entries(action="queue.update")


def test_a_provincial_admin_changes_only_its_own_queues(platform: Platform, make_user: Any, client_for: Any) -> None:
    make_user("gd-adm", ("admin",), "44")
    admin = client_for("gd-adm")
    csrf = page_csrf(admin)
    listed = admin.get("/api/v1/admin/queues").json
    assert listed["queues"] and {q["center_code"] for q in listed["queues"]} == {"44"}
    other = admin.post("/api/v1/admin/queues/11-pension", json={"max_wait": 120, "overflow_action": "callback"},
                       headers={"X-CSRFToken": csrf})
    assert other.status_code == 403
    own = admin.post("/api/v1/admin/queues/44-general", json={"max_wait": 240, "overflow_action": "callback"},
                     headers={"X-CSRFToken": csrf})
    assert own.status_code == 200 and platform.agents.queue("44-general").max_wait == 240  # type: ignore[union-attr]
    no_token = admin.post("/api/v1/admin/queues/44-general", json={"max_wait": 60, "overflow_action": "callback"})
    assert no_token.status_code in (400, 403) and platform.agents.queue("44-general").max_wait == 240  # type: ignore[union-attr]
