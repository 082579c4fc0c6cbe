"""The recording notice of the default flow: heard before the agent leg, off for the entry numbers a
center lists in HOTLINE_RECORDING_NO_CONSENT_ENTRIES."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from hotline.platform import Platform
from ivr.actions import Digits, Hold
from ivr.service import DEFAULT_FLOW, IvrService


@pytest.fixture
def ivr(platform: Platform) -> IvrService:
    service = IvrService(platform)
    text = DEFAULT_FLOW.read_text(encoding="utf-8")
    service.publish(text, "12333", by="test")
    service.publish(text, "95533", by="test")
    return service


def _to_queue(ivr: IvrService, call_id: str, called: str) -> Any:
    ivr.start_call(call_id=call_id, caller="13800138000", called=called, channel="twilio")
    ivr.resume(call_id, Digits("0"))
    return ivr.resume(call_id, Digits("1"))


def test_notice_before_the_agent_unless_the_entry_opts_out(platform: Platform, ivr: IvrService,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    svc = platform.recordings
    monkeypatch.setattr(svc, "config", replace(svc.config, no_consent_entries=frozenset({"95533"})))
    with_notice = _to_queue(ivr, "c-1", "12333")
    assert isinstance(with_notice, Hold)
    notice = with_notice.prompts[0]
    assert notice.id == "recording_notice" and notice.text == "为了提高服务质量，您的通话可能会被录音。"
    without = _to_queue(ivr, "c-2", "95533")
    assert isinstance(without, Hold) and "recording_notice" not in [p.id for p in without.prompts]
