"""Server-sent events: per-user filtering by role, province and agent; masking; heartbeats;
Last-Event-ID replay and reset; streams end and unregister when the client goes."""

from __future__ import annotations

import json
import threading
from typing import Any

from agents.events import CallOffered, CallQueued
from core.clock import FakeClock
from core.events import InProcessBus
from hotline.platform import Platform
from knowledge.events import KbPublished
from records.events import RecordLookup
from switch.events import RouteDecided
from switch.routing import RoutingDecision
from web.sse import Hub, Viewer, visible

AGENT_44 = Viewer(user_id=7, roles=frozenset({"agent"}), province_scope="44", agent_id=70)
SUP_44 = Viewer(user_id=8, roles=frozenset({"supervisor"}), province_scope="44")
SUP_NATIONAL = Viewer(user_id=9, roles=frozenset({"supervisor"}), province_scope="00")
EDITOR = Viewer(user_id=10, roles=frozenset({"editor"}), province_scope="00")


def _bus() -> InProcessBus:
    return InProcessBus("n", FakeClock())


def test_filtering_by_role_province_and_agent() -> None:
    bus = _bus()
    offered_me = bus.emit(CallOffered(call_id="c1", agent_id=70, center_code="44", caller="13800138000"))
    offered_other = bus.emit(CallOffered(call_id="c2", agent_id=71, center_code="44"))
    queued_11 = bus.emit(CallQueued(call_id="c3", center_code="11"))
    route = bus.emit(RouteDecided.of(RoutingDecision(province="44", center_code="44", queue_id="44-pension",
                                                     topic="pension"), call_id="c4", caller=None))
    published = bus.emit(KbPublished(article_id="kb-1", revision_id=1, origin="n"))
    lookup = bus.emit(RecordLookup(session_id="c5", call_id="c5", channel="console", actor="agent:7", outcome="ok",
                                   subject="11010519491231002X", province="44", fields=["person"]))

    assert visible(AGENT_44, offered_me)["caller"] == "138****8000"
    assert visible(AGENT_44, offered_other) is None  # another agent's offer
    assert visible(SUP_44, offered_other) is not None  # a supervisor of that province sees it
    assert visible(SUP_44, queued_11) is None and visible(SUP_NATIONAL, queued_11) is not None
    assert visible(AGENT_44, route) is None and visible(SUP_44, route) is not None
    assert visible(EDITOR, published) is not None and visible(EDITOR, offered_me) is None
    assert all(visible(v, lookup) is None for v in (AGENT_44, SUP_44, SUP_NATIONAL, EDITOR))


def _frames(stream: Any, count: int) -> list[str]:
    return [next(stream) for _ in range(count)]


def test_stream_delivers_heartbeats_and_events_then_unregisters() -> None:
    bus = _bus()
    hub = Hub(bus, heartbeat=0.01, max_seconds=5)
    stream = hub.stream(SUP_44)
    assert next(stream).startswith("retry: 3000")
    assert hub.client_count == 1
    assert next(stream) == ": hb\n\n"  # nothing happened: a heartbeat comment
    event = bus.emit(CallOffered(call_id="c9", agent_id=71, center_code="44", caller="13900001111"))
    frame = next(stream)
    while frame.startswith(":"):
        frame = next(stream)
    assert frame.startswith(f"id: {event.id}\n")
    payload = json.loads(frame.split("data: ", 1)[1])
    assert payload["type"] == "acd.call.offered" and payload["data"]["caller"] == "139****1111"
    stream.close()  # what the server does when the write to a gone client fails
    assert hub.client_count == 0
    hub.close()


def test_last_event_id_replays_missed_events_or_resets() -> None:
    bus = _bus()
    hub = Hub(bus, heartbeat=0.01, max_seconds=5, buffer=3)
    first = bus.emit(CallQueued(call_id="a", center_code="44"))
    second = bus.emit(CallQueued(call_id="b", center_code="44"))
    bus.emit(CallQueued(call_id="hidden", center_code="11"))  # not for SUP_44
    third = bus.emit(CallQueued(call_id="c", center_code="44"))

    replay = hub.stream(SUP_44, last_event_id=second.id)
    frames = _frames(replay, 2)
    assert frames[1].startswith(f"id: {third.id}\n") and '"hidden"' not in frames[1]
    replay.close()

    for stale in (first.id, "garbage\r\n", "x" * 500):  # fell out of the buffer, or never existed
        stream = hub.stream(SUP_44, last_event_id=stale)
        assert json.loads(_frames(stream, 2)[1].split("data: ", 1)[1]) == {"type": "reset"}
        stream.close()
    assert hub.client_count == 0
    hub.close()


def test_a_slow_client_gets_reset_instead_of_unbounded_memory() -> None:
    bus = _bus()
    hub = Hub(bus, heartbeat=0.01, max_seconds=5, client_queue=2)
    stream = hub.stream(SUP_NATIONAL)
    next(stream)
    for i in range(5):
        bus.emit(CallQueued(call_id=f"q{i}", center_code="44"))
    assert json.loads(next(stream).split("data: ", 1)[1]) == {"type": "reset"}  # not 5 stale events
    assert next(stream, None) is None  # the stream ended; EventSource reconnects
    assert hub.client_count == 0
    hub.close()


def test_stream_ends_after_max_seconds() -> None:
    hub = Hub(_bus(), heartbeat=0.01, max_seconds=0.05)
    frames = list(hub.stream(EDITOR))
    assert frames[0].startswith("retry:") and frames[-1] == ": hb\n\n"
    assert hub.client_count == 0


def test_events_endpoint_streams_for_the_logged_in_user(platform: Platform, web_app: Any, make_user: Any,
                                                        client_for: Any) -> None:
    make_user("sse-sup", ("supervisor",), "44")
    client = client_for("sse-sup")
    response = client.get("/api/v1/events", buffered=False)
    assert response.status_code == 200 and response.mimetype == "text/event-stream"
    assert response.headers["Cache-Control"] == "no-cache"
    chunks = response.response
    assert next(chunks).decode().startswith("retry:")
    timer = threading.Timer(0.05, lambda: platform.bus.emit(CallQueued(call_id="z", center_code="44")))
    timer.start()
    seen = ""
    while '"call_id": "z"' not in seen:
        seen = next(chunks).decode()
    response.close()
    from web.extensions import hub_of

    assert hub_of(web_app).client_count == 0
    anonymous = web_app.test_client().get("/api/v1/events")
    assert anonymous.status_code == 401


def test_events_published_on_another_node_reach_this_nodes_streams(redis_bus_pair: Any) -> None:
    """Scale-out: node B's ACD publishes; a supervisor's stream on node A receives it (RedisBus)."""
    node_a, node_b = redis_bus_pair
    hub = Hub(node_a, heartbeat=0.05, max_seconds=10)
    stream = hub.stream(SUP_44)
    next(stream)
    event = node_b.emit(CallQueued(call_id="remote-1", center_code="44"))
    frame = next(stream)
    while frame.startswith(":"):
        frame = next(stream)
    assert frame.startswith(f"id: {event.id}\n") and '"remote-1"' in frame
    stream.close()
    hub.close()
