"""Adapters the composition root puts between homes, so that neither knows the other: each meets a port
one home declares in its `api.py` with the service of another.

`SmsCodeSender` meets records' `CodeSender` (`records/api.py`) with the SMS gateway (`sms/api.py:
SmsApi`): the templates, categories and priorities of an SMS are the gateway's business, not records'.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sms.api import SmsApi

CODE_TEMPLATE = "verification_code"  # {code}, {minutes}; category otp (first in the outbox, no quiet hours)
SUMMARY_TEMPLATE = "record_summary"  # {summary}; sent only to the registered mobile


class SmsCodeSender:
    """records' `CodeSender` over the SMS gateway. Takes a callable that returns the gateway, so the
    gateway is built (and, in tests, replaced) when a message is sent, not when records is built."""

    def __init__(self, sms: Callable[[], SmsApi]) -> None:
        self._sms = sms

    def send_code(self, phone: str, code: str, *, minutes: int, session_id: str) -> None:
        self._sms().send(phone, CODE_TEMPLATE, {"code": code, "minutes": minutes}, category="otp",
                         session_id=session_id)

    def send_summary(self, phone: str, summary: str, *, session_id: str) -> None:
        self._sms().send(phone, SUMMARY_TEMPLATE, {"summary": summary}, category="reply", session_id=session_id)
