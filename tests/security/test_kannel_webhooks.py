"""Item 7: Kannel webhooks need the shared secret by default (even from loopback); a receipt never
applies to a message not handed to that provider; a huge `ts` is a clear answer, not a 500."""

from __future__ import annotations

from urllib.parse import urlencode

from core.settings import sms_webhook_token
from hotline.platform import Platform
from tests.sms.helpers import RecordingProvider, dispatcher
from tests.sms.test_webhooks import webhook_app


def test_loopback_without_the_token_cannot_opt_out_or_forge_receipts(platform: Platform) -> None:
    platform.sms.templates.seed_defaults()
    client = webhook_app(platform).test_client()
    r = client.get("/webhooks/kannel/inbound?" + urlencode({"from": "13800138000", "text": "TD"}),
                   environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert r.status_code == 403 and not platform.sms.suppressions.contains("+8613800138000")
    queued = platform.sms.send("13800138000", "card_ready", {"place": "x"}, category="notice")
    r = client.get(f"/webhooks/kannel/dlr?id=hl-{queued}&type=1", environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert r.status_code == 403 and platform.sms.status(queued)["status"] == "queued"
    token = sms_webhook_token(platform.settings.data_dir)
    assert len(token) >= 32 and (platform.settings.data_dir / "secrets" / "sms_webhook_token").exists()


def test_a_receipt_for_a_message_not_handed_to_kannel_is_refused(platform: Platform) -> None:
    platform.sms.templates.seed_defaults()
    client = webhook_app(platform).test_client()
    t = "&token=" + sms_webhook_token(platform.settings.data_dir)
    queued = platform.sms.send("13800138000", "card_ready", {"place": "x"}, category="notice")
    assert client.get(f"/webhooks/kannel/dlr?id=hl-{queued}&type=1{t}").status_code == 404
    assert platform.sms.status(queued)["status"] == "queued"  # it will still be sent
    dispatcher(platform, RecordingProvider("smpp")).run_once()
    assert platform.sms.status(queued)["status"] == "sent"
    assert client.get(f"/webhooks/kannel/dlr?id=hl-{queued}&type=1{t}").status_code == 404  # went via SMPP
    assert platform.sms.status(queued)["status"] == "sent"
    other = platform.sms.send("13800138001", "card_ready", {"place": "x"}, category="notice")
    dispatcher(platform, RecordingProvider("kannel")).run_once()
    assert client.get(f"/webhooks/kannel/dlr?id=hl-{other}&type=1{t}").status_code == 200
    assert platform.sms.status(other)["status"] == "delivered"


def test_the_dlr_url_we_hand_kannel_carries_the_token(platform: Platform) -> None:
    from sms.providers import Outgoing
    from sms.providers.kannel import KannelProvider

    config = platform.sms.config.with_(kannel_url="http://127.0.0.1:1/cgi-bin/sendsms")
    provider = KannelProvider(platform=platform, config=config)
    url = provider.dlr_url(Outgoing(id=1, to="+8613800138000", text="x", encoding="GSM", dedup_id="hl-1"))
    assert url.endswith("&token=" + sms_webhook_token(platform.settings.data_dir))


def test_a_huge_kannel_ts_is_not_a_500(platform: Platform) -> None:
    client = webhook_app(platform).test_client()
    t = sms_webhook_token(platform.settings.data_dir)
    r = client.get("/webhooks/kannel/inbound?" + urlencode({"from": "13800138000", "text": "你好", "token": t,
                                                            "ts": "9" * 40}))
    assert r.status_code == 200
