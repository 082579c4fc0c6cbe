"""Twilio's REST API for live calls: connect a waiting caller by replacing the call's TwiML.

`api_base` points every Twilio domain at another origin (a local fake in tests, a proxy in some
deployments); the path stays Twilio's, so the fake sees exactly what api.twilio.com would.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from ivr.twilio.config import TwilioConfig

log = logging.getLogger(__name__)

REST_TIMEOUT_S = 10.0


class BaseUrlHttpClient(TwilioHttpClient):
    """The stock HTTP client with scheme and host replaced by `base_url`."""

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        kwargs.setdefault("timeout", REST_TIMEOUT_S)
        super().__init__(**kwargs)
        self.base = urlsplit(base_url.rstrip("/"))

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        parts = urlsplit(url)
        url = urlunsplit((self.base.scheme, self.base.netloc, self.base.path + parts.path, parts.query, ""))
        return super().request(method, url, *args, **kwargs)


def make_client(config: TwilioConfig) -> Client:
    if not config.voice_configured:
        raise RuntimeError("Twilio is not configured: set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN")
    http_client = (BaseUrlHttpClient(config.api_base) if config.api_base
                   else TwilioHttpClient(timeout=REST_TIMEOUT_S))
    return Client(config.account_sid, config.auth_token, http_client=http_client)


@dataclass(frozen=True)
class Joined:
    """A participant Twilio is ringing into a conference."""

    call_sid: str
    conference_sid: str


class CallControl:
    """Redirect or end live calls. Failures are logged and reported as False, never raised: the call
    may have ended a moment ago, and its status callback will tidy up."""

    def __init__(self, config: TwilioConfig, client: Client | None = None) -> None:
        self.config = config
        self._client = client

    @property
    def client(self) -> Client:
        if self._client is None:
            self._client = make_client(self.config)
        return self._client

    def create_call(self, *, to: str, from_: str, url: str, status_callback: str) -> str | None:
        """Dial out (a callback): Twilio fetches `url` for TwiML once `to` answers and posts the final
        status to `status_callback`. The new CallSid, or None when Twilio refused."""
        try:
            call = self.client.calls.create(to=to, from_=from_, url=url, method="POST",
                                            status_callback=status_callback, status_callback_method="POST",
                                            status_callback_event=["completed"])
        except TwilioRestException as exc:
            log.warning("twilio call create failed: status=%s code=%s", exc.status, exc.code)
            return None
        except OSError as exc:
            log.warning("twilio call create failed: error=%s", type(exc).__name__)
            return None
        return str(call.sid)

    def add_participant(self, conference: str, *, from_: str, to: str, label: str,
                        status_callback: str | None = None, **options: Any) -> Joined | None:
        """Ring `to` into the conference named `conference` (Twilio creates it on first use); options
        are the Participants API's (muted, coaching, call_sid_to_coach, end_conference_on_exit, ...).
        The new participant, or None when Twilio refused."""
        extra: dict[str, Any] = {"status_callback": status_callback, "status_callback_method": "POST",
                                 "status_callback_event": ["completed"]} if status_callback else {}
        try:
            participant = self.client.conferences(conference).participants.create(
                from_=from_, to=to, label=label, beep="false", **extra, **options)
        except TwilioRestException as exc:
            log.warning("twilio participant create failed: conference=%s status=%s code=%s", conference,
                        exc.status, exc.code)
            return None
        except OSError as exc:
            log.warning("twilio participant create failed: conference=%s error=%s", conference, type(exc).__name__)
            return None
        return Joined(str(participant.call_sid), str(participant.conference_sid))

    def hold_participant(self, conference_sid: str, call_sid: str, on: bool, hold_url: str) -> bool:
        """Put a conference participant on hold (they hear `hold_url`, nobody hears them) or back."""
        fields: dict[str, Any] = {"hold": on}
        if on:
            fields.update(hold_url=hold_url, hold_method="GET")
        try:
            self.client.conferences(conference_sid).participants(call_sid).update(**fields)
        except TwilioRestException as exc:
            log.warning("twilio participant hold failed: call=%s status=%s code=%s", call_sid, exc.status, exc.code)
            return False
        except OSError as exc:
            log.warning("twilio participant hold failed: call=%s error=%s", call_sid, type(exc).__name__)
            return False
        return True

    def update_twiml(self, call_sid: str, twiml: str) -> bool:
        return self._update(call_sid, twiml=twiml)

    def hangup(self, call_sid: str) -> bool:
        return self._update(call_sid, status="completed")

    def _update(self, call_sid: str, **fields: str) -> bool:
        try:
            self.client.calls(call_sid).update(**fields)
        except TwilioRestException as exc:
            log.warning("twilio call update failed: call=%s status=%s code=%s", call_sid, exc.status, exc.code)
            return False
        except OSError as exc:  # connection refused, timeout (requests' errors derive from OSError)
            log.warning("twilio call update failed: call=%s error=%s", call_sid, type(exc).__name__)
            return False
        return True
