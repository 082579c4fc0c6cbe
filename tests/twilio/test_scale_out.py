"""Two nodes sharing PostgreSQL and Redis: any node answers any webhook, and an agent accepting on
one node connects a caller whose webhooks another node answered."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.clock import FakeClock
from core.events import RedisBus
from core.state import RedisStore
from hotline.platform import Platform
from ivr.service import DEFAULT_FLOW
from ivr.twilio.runtime import TwilioBridge
from tests import services
from tests.conftest import make_settings
from tests.support.emulators.twilio import FakeTwilioApi, TwilioCallEmulator
from tests.twilio.conftest import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_URL, flask_post, make_agent

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture
def two_nodes(tmp_path: Path, clock: FakeClock, fake_api: FakeTwilioApi,
              twilio_env: dict[str, str]) -> Iterator[tuple[Platform, Platform]]:
    services.require("redis")
    prefix = services.redis_prefix()
    with services.fresh_pg_database() as url:
        nodes = []
        for name in ("node-a", "node-b"):
            settings = make_settings(tmp_path / name, database_url=url, node_id=name,
                                     twilio_account_sid=ACCOUNT_SID, twilio_auth_token=AUTH_TOKEN,
                                     twilio_api_base=fake_api.url, public_url=PUBLIC_URL)
            settings.data_dir.mkdir()
            nodes.append(Platform(settings, clock=clock, store=RedisStore(services.REDIS_URL, prefix=prefix),
                                  bus=RedisBus(services.REDIS_URL, name, clock, channel=prefix + "events")))
        a, b = nodes
        a.migrate()
        a.switch.ensure_directory()
        a.ivr.publish(DEFAULT_FLOW.read_text(encoding="utf-8"), "12333", by="test")
        try:
            yield a, b
        finally:
            for node in nodes:
                node.close()
            services.flush_prefix(prefix)


def test_webhooks_alternate_between_nodes_and_accept_crosses_nodes(two_nodes, fake_api) -> None:  # type: ignore[no-untyped-def]
    from web.app import create_app

    a, b = two_nodes
    clients = [create_app(node, {"TESTING": True}).test_client() for node in (a, b)]
    turn = {"n": 0}

    def post(path: str, form: dict[str, str], headers: dict[str, str]) -> tuple[int, str]:
        client = clients[turn["n"] % 2]  # a load balancer without stickiness
        turn["n"] += 1
        return flask_post(client)(path, form, headers)

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    bridge = TwilioBridge(a)  # only node A runs the bridge; the accept happens on node B
    asyncio.run_coroutine_threadsafe(bridge.start(), loop).result(timeout=5)
    call = TwilioCallEmulator(post, public_url=PUBLIC_URL, account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN,
                              api=fake_api, from_="+8613910001234")
    try:
        call.start()            # node A
        call.press("0")         # node B
        call.press("1")         # node A: confirmed Beijing, now queued
        assert b.agents.call_status(call.sid).state == "waiting"
        before = call.find("Redirect").text  # type: ignore[union-attr]
        call.wait()             # node B: the hold loop goes on, one step further
        after = call.find("Redirect").text  # type: ignore[union-attr]
        assert before.endswith("n=3") and after.endswith("n=4")  # type: ignore[union-attr]

        agent_id = make_agent(b, "bj-scale-01", endpoint="client:bj-scale-01")
        b.agents.login(agent_id)
        b.agents.set_ready(agent_id)
        b.agents.accept(agent_id, call.sid)  # on node B; node A hears it over Redis and pushes
        deadline = time.monotonic() + 5
        while not fake_api.calls[call.sid].twiml and time.monotonic() < deadline:
            time.sleep(0.02)
        asyncio.run_coroutine_threadsafe(bridge.drain(), loop).result(timeout=10)
        assert len(fake_api.calls[call.sid].twiml) == 1
        for _ in range(3):
            if call.find("Dial") is not None:
                break
            call.wait()
        assert call.dial_target() == ("Client", "bj-scale-01")
        call.dial_ends("completed")
        call.press("2")
        call.hang_up("completed")
        assert a.agents.call_status(call.sid).state == "ended"
        # the node that ended the call writes its log row behind (ivr/journal.py): another node reads
        # it within the writer's interval (200 ms), not at once
        deadline = time.monotonic() + 10
        while (a.ivr.transcript(call.sid) or {}).get("outcome") != "completed":
            assert time.monotonic() < deadline, "node A never read the call log row"
            time.sleep(0.05)
        assert turn["n"] >= 7  # start, 0, 1, hold tick, agent leg ended, survey, status: both nodes served
    finally:
        call.close()
        asyncio.run_coroutine_threadsafe(bridge.stop(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
        loop.close()
