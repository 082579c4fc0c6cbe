"""The caller blocklist: national or per province, with a reason and an expiry, audited; a blocked
caller hears a neutral message and reaches no menu."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ivr.actions import Hangup
from ivr.service import DEFAULT_FLOW, IvrService
from switch.blocklist import BlockError


@pytest.fixture
def ivr(platform):  # type: ignore[no-untyped-def]
    service = IvrService(platform)
    service.publish(DEFAULT_FLOW.read_text(encoding="utf-8"), "12333", by="test")
    return service


def test_a_blocked_caller_hears_a_neutral_message_until_the_block_expires(platform, ivr, clock) -> None:
    block = platform.switch.blocklist.block("+86 139 1000 1234", reason="多次辱骂坐席", actor="user:7", days=7)
    assert block.number_masked == "+86139****1234" or "****" in block.number_masked
    first = ivr.start_call(call_id="b-1", caller="13910001234", called="12333", channel="twilio")
    assert isinstance(first, Hangup) and first.reason == "blocked"
    assert [p.id for p in first.prompts] == ["blocked_notice"]
    assert "屏蔽" not in first.prompts[0].text and "辱骂" not in first.prompts[0].text  # neutral: no reason given
    other = ivr.start_call(call_id="b-2", caller="13800138000", called="12333", channel="twilio")
    assert not isinstance(other, Hangup)
    clock.advance(timedelta(days=7, seconds=1))
    later = ivr.start_call(call_id="b-3", caller="13910001234", called="12333", channel="twilio")
    assert not isinstance(later, Hangup)


def test_a_provincial_block_applies_to_that_province_only(platform) -> None:
    bl = platform.switch.blocklist
    bl.block("13910001234", reason="骚扰", actor="user:3", scope="44", days=1)
    assert platform.switch.blocked("13910001234", entry_center="00") is None  # a Beijing number, national entry
    assert platform.switch.blocked("13910001234", entry_center="44") is not None  # came in at Guangdong
    bl.block("18620001234", reason="骚扰", actor="user:3", scope="44", days=1)
    assert platform.switch.blocked("18620001234", entry_center="00") is not None  # a Guangdong number


def test_changes_are_audited_and_bad_input_is_refused(platform) -> None:
    bl = platform.switch.blocklist
    block = bl.block("13910001234", reason="骚扰", actor="user:3", days=1)
    bl.lift(block.id, actor="user:4")
    assert platform.switch.blocked("13910001234") is None
    entries = [e for e in platform.audit.entries(limit=20) if e.action.startswith("switch.")]
    assert sorted((e.action, e.actor) for e in entries) == [("switch.block", "user:3"), ("switch.unblock", "user:4")]
    assert all("13910001234" not in (e.subject or "") for e in entries)  # masked in the audit trail
    for kwargs, code in (({"number": "abc"}, "invalid_number"), ({"scope": "99"}, "invalid_scope"),
                         ({"reason": " "}, "no_reason"), ({"days": 0}, "bad_expiry"), ({"days": 400}, "bad_expiry")):
        args = {"number": "13910001234", "reason": "骚扰", "actor": "user:3", "days": 1, **kwargs}
        with pytest.raises(BlockError) as refused:
            bl.block(args.pop("number"), **args)
        assert refused.value.code == code
    with pytest.raises(BlockError):
        bl.lift(block.id, actor="user:4")  # already lifted


def test_a_block_made_on_another_node_applies_here_by_its_event_or_within_the_snapshot_time(
        tmp_path, clock, redis_bus_pair) -> None:  # type: ignore[no-untyped-def]
    """`blocked()` answers from a snapshot (it runs on every call): another node's change reaches it
    by the `switch.block.*` event on the shared bus, or after Blocklist.SNAPSHOT_S without it."""
    from core.events import InProcessBus
    from core.state import MemoryStore
    from hotline.platform import Platform
    from switch.blocklist import Blocklist
    from tests.conftest import make_settings

    settings = make_settings(tmp_path)
    a = Platform(settings, clock=clock, store=MemoryStore(clock), bus=redis_bus_pair[0])
    a.migrate()
    b = Platform(settings, clock=clock, store=MemoryStore(clock), bus=redis_bus_pair[1])
    try:
        assert b.switch.blocked("13910001234") is None  # b's snapshot: nothing blocked
        a.switch.blocklist.block("13910001234", reason="骚扰", actor="user:3", days=1)
        import time

        deadline = time.monotonic() + 5  # the Redis bus delivers the event to b
        while b.switch.blocked("13910001234") is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert b.switch.blocked("13910001234") is not None

        # a node that gets no event (its own in-process bus): the snapshot is read again after SNAPSHOT_S
        deaf = Platform(settings, clock=clock, store=MemoryStore(clock), bus=InProcessBus("deaf", clock))
        try:
            assert deaf.switch.blocked("13800138000") is None
            a.switch.blocklist.block("13800138000", reason="骚扰", actor="user:3", days=1)
            assert deaf.switch.blocked("13800138000") is None  # still its snapshot
            clock.advance(timedelta(seconds=Blocklist.SNAPSHOT_S + 1))
            assert deaf.switch.blocked("13800138000") is not None
        finally:
            deaf.close()
    finally:
        b.close()
        a.close()
