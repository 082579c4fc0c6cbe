"""The contract of `platform.records`: what other homes and the front ends may call."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from core.kernel import Kernel

if TYPE_CHECKING:
    from typing import Any

    from agents.api import AcdApi
    from records.outcomes import RecordOutcome, Verification
    from records.passwords import PasswordBook


class RecordsApi(Protocol):
    """`platform.records`."""

    @property
    def passwords(self) -> PasswordBook: ...

    def agent_view(
        self,
        user: Any,
        id_number: str,
        *,
        call_id: str | None,
        reason: str | None,
        transferred: bool = ...,
        reveal: bool = ...,
        channel: str = ...,
    ) -> RecordOutcome: ...

    def audit(
        self,
        *,
        action: str,
        outcome: str,
        channel: str,
        subject: str | None,
        session_id: str | None,
        actor: str = ...,
        fields: list[str] | None = ...,
        **detail: Any,
    ) -> None: ...

    def change_password(self, session_id: str, old: str, new: str, repeat: str, *, channel: str) -> Verification: ...

    def close(self) -> None: ...

    def end_session(self, session_id: str) -> None: ...

    def insured_region(self, session_id: str, *, channel: str = ...) -> dict[str, Any] | None: ...

    def is_verified(self, session_id: str) -> str | None: ...

    def offers_otp(
        self, id_number: str, caller: str | None, *, session_id: str | None = ..., channel: str = ...
    ) -> bool:
        """Whether the caller's own number is the registered mobile (the IVR may then offer the code first). Reads only
        the mobile (audited); invalid IDs, failures and unknown persons answer False.
        """

    def self_service_summary(self, session_id: str, *, channel: str) -> RecordOutcome: ...

    def send_otp(self, session_id: str, id_number: str, *, channel: str, caller: str | None = ...) -> Verification: ...

    def sms_summary(self, session_id: str, *, channel: str = ...) -> RecordOutcome:
        """Send the summary by SMS, always and only to the registered mobile of the verified person."""

    def verify_otp(self, session_id: str, id_number: str | None, code: str, *, channel: str) -> Verification: ...

    def verify_password(
        self, session_id: str, id_number: str, password: str, *, channel: str, caller: str | None = ...
    ) -> Verification: ...


class CodeSender(Protocol):
    """How records reaches a citizen's registered mobile: a one-time code, and the record summary after
    verification. Records knows no SMS gateway; the composition root meets this port with an adapter over
    it (`hotline/adapters.py: SmsCodeSender`). A failure to queue raises (any exception): records turns
    it into a speakable outcome."""

    def send_code(self, phone: str, code: str, *, minutes: int, session_id: str) -> None:
        """Send a one-time code valid for `minutes` to `phone` (the registered mobile)."""

    def send_summary(self, phone: str, summary: str, *, session_id: str) -> None:
        """Send the speakable record summary to `phone` (only ever the registered mobile)."""


class RecordsHost(Kernel, Protocol):
    """What `records` takes from the node: the kernel and the homes it calls."""

    @property
    def records(self) -> RecordsApi: ...

    @property
    def agents(self) -> AcdApi: ...

    @property
    def code_sender(self) -> CodeSender: ...
