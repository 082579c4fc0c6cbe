import time

from core.events import InProcessBus


def test_in_process_bus_filters_by_prefix_and_survives_bad_subscribers(clock) -> None:  # type: ignore[no-untyped-def]
    bus = InProcessBus("n1", clock)
    seen: list[str] = []
    bus.subscribe(lambda e: (_ for _ in ()).throw(RuntimeError("boom")))
    sub = bus.subscribe(lambda e: seen.append(e.type), types=("call.",))
    bus.publish("call.started", call_id="c1")
    bus.publish("sms.sent", id=1)
    sub.close()
    bus.publish("call.ended", call_id="c1")
    assert seen == ["call.started"]


def test_redis_bus_delivers_once_to_each_node(redis_bus_pair) -> None:  # type: ignore[no-untyped-def]
    a, b = redis_bus_pair
    got_a: list[str] = []
    got_b: list[str] = []
    a.subscribe(lambda e: got_a.append(e.data["n"]))
    b.subscribe(lambda e: got_b.append(e.data["n"]))
    time.sleep(0.2)
    a.publish("call.queued", n="1")
    b.publish("call.queued", n="2")
    deadline = time.time() + 5
    while time.time() < deadline and (len(got_a) < 2 or len(got_b) < 2):
        time.sleep(0.05)
    assert sorted(got_a) == ["1", "2"]
    assert sorted(got_b) == ["1", "2"]
