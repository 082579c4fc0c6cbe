"""Kannel's HTTP sendsms interface (smsbox `sendsms-port`), with delivery reports to our webhook.

The dlr-url carries our own message id, the same on every resend, so a receipt always finds its
message and a de-duplicating gateway (our loopback sink does) can drop a resend after a crash.

Kannel splits long messages itself, every 67 UTF-16 units, which cuts a character outside the BMP
in two when it straddles a boundary. Such messages are sent as our own parts instead (UTF-16BE
text with our concatenation UDH, one request per part, the receipt asked for on the last part).
"""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import quote

import requests

from sms.api import SmsHost
from sms.encoding import UCS2
from sms.providers import Outgoing, ProviderError

DLR_MASK = 31  # delivered, failed, buffered, SMSC accepted, SMSC rejected


class KannelProvider:
    def __init__(self, *, platform: SmsHost, config: Any, name: str = "kannel") -> None:
        if not config.kannel_url:
            raise ValueError("HOTLINE_SMS_KANNEL_URL is not set (e.g. http://127.0.0.1:13013/cgi-bin/sendsms)")
        self.name = name
        self.url = config.kannel_url
        self.config = config
        self.public_url = platform.settings.public_url.rstrip("/")
        from core.settings import sms_webhook_token

        self.token = sms_webhook_token(platform.settings.data_dir)
        self._local = threading.local()

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session

    def dlr_url(self, msg: Outgoing, part: str = "") -> str:
        # Kannel expands %d (report type), %A (SMSC answer) and %T (time) when it calls back.
        extra = f"&part={part}" if part else ""
        return (f"{self.public_url}/webhooks/kannel/dlr?id={quote(msg.dedup_id)}{extra}&type=%d&answer=%A&ts=%T"
                f"&token={quote(self.token)}")

    def params(self, msg: Outgoing) -> dict[str, str]:
        params = {
            "username": self.config.kannel_username, "password": self.config.kannel_password,
            "from": self.config.sender_id, "to": msg.to, "text": msg.text, "charset": "UTF-8",
            "coding": "2" if msg.encoding == UCS2 else "0", "dlr-mask": str(DLR_MASK),
            "dlr-url": self.dlr_url(msg),
        }
        if self.config.kannel_smsc:
            params["smsc"] = self.config.kannel_smsc
        return params

    @staticmethod
    def needs_own_parts(msg: Outgoing) -> bool:
        return msg.encoding == UCS2 and any(ord(ch) > 0xFFFF for ch in msg.text) and len(msg.segments()) > 1

    def part_params(self, msg: Outgoing) -> list[dict[str, Any]]:
        out = []
        for part in msg.segments():
            params: dict[str, Any] = {
                "username": self.config.kannel_username, "password": self.config.kannel_password,
                "from": self.config.sender_id, "to": msg.to, "text": part.text.encode("utf-16-be"),
                "charset": "UTF-16BE", "coding": "2", "udh": part.udh,
                "dlr-url": self.dlr_url(msg, f"{part.seq}/{part.total}"),
            }
            if part.seq == part.total:
                params["dlr-mask"] = str(DLR_MASK)
            if self.config.kannel_smsc:
                params["smsc"] = self.config.kannel_smsc
            out.append(params)
        return out

    def send(self, msg: Outgoing) -> str:
        requests_params = self.part_params(msg) if self.needs_own_parts(msg) else [self.params(msg)]
        result = msg.dedup_id
        for params in requests_params:
            result = self._request(params, msg)
        return result

    def _request(self, params: dict[str, Any], msg: Outgoing) -> str:
        try:
            resp = self._session().get(self.url, params=params, timeout=10)
        except requests.RequestException as exc:
            raise ProviderError(f"kannel unreachable: {exc.__class__.__name__}") from exc
        body = resp.text.strip()
        if resp.status_code in (200, 202):
            return resp.headers.get("X-Kannel-Message-ID") or msg.dedup_id
        # 4xx other than auth/throttling means the request itself is wrong: retrying cannot help.
        permanent = 400 <= resp.status_code < 500 and resp.status_code not in (401, 403, 429)
        raise ProviderError(f"kannel {resp.status_code}: {body[:200]}", permanent=permanent)

    def close(self) -> None:
        session = getattr(self._local, "session", None)
        if session is not None:
            session.close()
