"""The in-process store drops expired keys without their being read again (per-call state must not pile
up on a busy node without Redis), and an ended Asterisk call's keys expire soon."""

from __future__ import annotations

from core.clock import FakeClock
from core.state import MemoryStore


def test_expired_keys_are_swept_by_later_writes() -> None:
    clock = FakeClock()
    store = MemoryStore(clock)
    for n in range(500):
        store.hset(f"asterisk:call:ast-{n}", {"state": "ivr"})
        store.expire(f"asterisk:call:ast-{n}", 60)
        store.set(f"asterisk:chan:{n}", f"ast-{n}", ttl=60)
    store.set("keep", "1")
    assert len(store._data) == 1001
    clock.advance(61)
    store.set("other", "x")  # any write after SWEEP_EVERY_S sweeps; nothing read the old keys
    assert set(store._data) == {"keep", "other"}
    assert store.sweep() == 0


def test_an_ended_asterisk_call_is_forgotten_soon(platform) -> None:  # type: ignore[no-untyped-def]
    from ivr.asterisk import calls

    class _Ivr:
        def hangup(self, call_id: str, reason: str) -> None:
            pass

    platform.__dict__["ivr"] = _Ivr()
    calls.register(platform, "ast-1", "1795.1", "PJSIP/trunk-1", "n")
    assert platform.store.ttl("asterisk:call:ast-1") > 3600
    calls.end_call(platform, "ast-1", "caller_hangup")
    assert platform.store.ttl("asterisk:call:ast-1") <= calls.ENDED_TTL_S
    assert platform.store.ttl("asterisk:chan:1795.1") <= calls.ENDED_TTL_S


def test_hotline_timezone_is_honoured(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from core.clock import china_now, set_timezone
    from hotline.platform import Platform
    from tests.conftest import make_settings

    clock = FakeClock()  # 02:00 UTC
    try:
        Platform(make_settings(tmp_path, timezone="Asia/Urumqi"), clock=clock, store=MemoryStore(clock)).close()
        assert china_now(clock).hour == 8
        Platform(make_settings(tmp_path, timezone="Asia/Shanghai"), clock=clock, store=MemoryStore(clock)).close()
        assert china_now(clock).hour == 10
        with pytest.raises(ValueError):
            set_timezone("Mars/Olympus")
    finally:
        set_timezone("Asia/Shanghai")
