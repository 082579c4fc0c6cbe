"""An SMS "RG" callback request after hours reaches the real ACD's callback list (not only the SMS list)."""

from __future__ import annotations

from datetime import UTC, datetime

from sms.demo import load_demo as load_sms
from smschat.demo import load_demo as load_smschat
from switch.demo import load_demo as load_switch


def test_after_hours_rg_request_becomes_an_acd_callback(platform, clock) -> None:  # type: ignore[no-untyped-def]
    load_switch(platform)
    load_sms(platform)
    load_smschat(platform)
    clock.set(datetime(2026, 11, 24, 14, 30, tzinfo=UTC))  # 22:30 in Beijing: every center closed
    assert not platform.switch.route(caller="13800138000").queue_id
    reply = platform.smschat.handle_inbound("13800138000", "RG", provider="test")
    assert "回电" in reply
    booked = platform.agents.callbacks(status="queued", center_code="11")
    assert len(booked) == 1 and booked[0]["queue_id"] == "11-general"
    assert platform.agents.call_status(booked[0]["call_id"]).state == "callback"
    assert platform.store.zscore("sms:callbacks", "13800138000") is None
    assert platform.store.zscore("sms:callbacks", "+8613800138000") is None
