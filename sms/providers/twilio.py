"""Twilio Programmable Messaging over REST (twilio.rest.Client). The API base URL can be pointed at
a local server (settings.twilio_api_base) for tests. Status callbacks come back signed to
/webhooks/twilio/sms/status. Twilio splits long messages itself; it offers no idempotency key for
message creation, so a resend after a crash can reach the handset twice (documented)."""

from __future__ import annotations

import threading
from typing import Any

from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client

from sms.api import SmsHost
from sms.providers import Outgoing, ProviderError


class TwilioProvider:
    receipts_by_provider_id = True

    def __init__(self, *, platform: SmsHost, config: Any, name: str = "twilio") -> None:
        settings = platform.settings
        if not (settings.twilio_account_sid and settings.twilio_auth_token):
            raise ValueError("TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN must be set for the twilio SMS provider")
        if not (config.twilio_from or config.twilio_messaging_service_sid):
            raise ValueError("set HOTLINE_SMS_TWILIO_FROM or HOTLINE_SMS_TWILIO_MESSAGING_SERVICE")
        self.name = name
        self.settings = settings
        self.config = config
        self.status_callback = settings.public_url.rstrip("/") + "/webhooks/twilio/sms/status"
        self._local = threading.local()

    def _client(self) -> Client:
        client = getattr(self._local, "client", None)
        if client is None:
            client = Client(self.settings.twilio_account_sid, self.settings.twilio_auth_token)
            if self.settings.twilio_api_base:
                client.api.base_url = self.settings.twilio_api_base.rstrip("/")
            self._local.client = client
        return client

    def send(self, msg: Outgoing) -> str:
        kwargs: dict[str, Any] = {"to": msg.to, "body": msg.text, "status_callback": self.status_callback}
        if self.config.twilio_messaging_service_sid:
            kwargs["messaging_service_sid"] = self.config.twilio_messaging_service_sid
        else:
            kwargs["from_"] = self.config.twilio_from
        try:
            message = self._client().messages.create(**kwargs)
        except TwilioRestException as exc:
            # 400/404: the request itself is wrong (e.g. 21211 invalid 'To'); 401/403/429/5xx may pass later
            raise ProviderError(f"twilio {exc.status} {exc.code}: {exc.msg}"[:300],
                                permanent=exc.status in (400, 404)) from exc
        except (TwilioException, OSError) as exc:
            raise ProviderError(f"twilio unreachable: {exc.__class__.__name__}") from exc
        return str(message.sid)

    def close(self) -> None:
        pass
