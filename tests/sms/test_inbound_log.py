"""The gateway's inbound log: what arrived (scrubbed), the action the conversation channel took, and when
the linked reply left (GB/T 33358 reply times); a message an SMPP connection delivers goes to whatever
the root put behind `SmsHost.sms_receiver`. The gateway knows no channel: these tests use none."""

from __future__ import annotations

from core.events import Event
from sms.models import InboundMessage
from sms.stats import reply_times
from tests.sms.helpers import RecordingProvider, dispatcher

SENDER = "+8613800138000"


def test_logged_scrubbed_and_the_reply_time_kept(platform, clock) -> None:  # type: ignore[no-untyped-def]
    seen: list[Event] = []
    platform.bus.subscribe(seen.append, types=("sms.inbound",))
    d = dispatcher(platform, RecordingProvider("p"))
    received = clock.now()
    clock.advance(2)
    inbound = platform.sms.log_inbound(SENDER, "我的身份证11010519491231002X", provider="test", action="question",
                                       received_at=received)
    reply = platform.sms.send_text(SENDER, "收到")
    platform.sms.link_reply(inbound, reply)
    clock.advance(3)
    d.run_once()
    with platform.db.session() as s:
        row = s.get(InboundMessage, inbound)
        assert "11010519491231002X" not in row.text and row.action == "question" and row.reply_outbox_id == reply
        assert row.replied_at is not None
    figures = reply_times(platform.db)
    assert figures["replied"] == 1 and figures["p50_seconds"] == 5.0
    assert [(e.data["action"], e.data["provider"]) for e in seen] == [("question", "test")]
    assert SENDER not in str(seen[0].data)  # masked


def test_the_smpp_inbound_goes_to_the_receiver_the_root_put_there(platform) -> None:  # type: ignore[no-untyped-def]
    from types import SimpleNamespace

    from sms.providers.smpp import SmppProvider

    got: list[tuple[str, str, str]] = []

    class Receiver:
        def handle_inbound(self, from_number: str, text: str, *, provider: str, received_at: object = None) -> None:
            got.append((from_number, text, provider))

    provider = SmppProvider.__new__(SmppProvider)  # no connection: only its hand-over of a deliver_sm
    provider.platform, provider.name = SimpleNamespace(sms_receiver=Receiver()), "smpp"
    provider._inbound("13800138000", "BZ")
    assert got == [("13800138000", "BZ", "smpp")]
    assert platform.sms_receiver is platform.smschat  # what the composition root puts there
