"""The contract of `platform.sms`: what other homes and the front ends may call."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from core.kernel import Kernel

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from datetime import datetime
    from typing import Any

    from sms import encoding
    from sms.config import SmsConfig
    from sms.service import BulkReport
    from sms.templates import TemplateStore


class SmsApi(Protocol):
    """`platform.sms`."""

    @property
    def config(self) -> SmsConfig: ...

    @property
    def templates(self) -> TemplateStore: ...

    def apply_early_receipts(self, provider_message_ids: list[str]) -> int: ...

    def bulk(
        self,
        template: str,
        recipients: Iterable[tuple[str, dict[str, Any]]],
        *,
        category: str = ...,
        batch_id: str,
        common: dict[str, Any] | None = ...,
        chunk: int = ...,
        progress: Callable[[int], None] | None = ...,
    ) -> BulkReport:
        """Queue one message per (number, variables); the key `bulk:<batch_id>:<number>` makes a re-run of the same
        batch add nothing. Bad lines are reported, the rest still go.
        """

    def close(self) -> None: ...

    @property
    def dispatcher(self) -> Any: ...

    def link_reply(self, inbound_id: int, outbox_id: int) -> None:
        """The reply to an inbound message: its `replied_at` is set when this outbox message is sent."""

    def log_inbound(
        self, sender: str, text: str, *, provider: str, action: str, received_at: datetime | None = ...
    ) -> int:
        """Log one received message (its text scrubbed of personal numbers) with the action the channel took for it;
        returns its id, to which `link_reply` ties the reply (reply times, GB/T 33358).
        """

    def opt_in(self, number: str) -> bool: ...

    def opt_out(self, number: str, keyword: str) -> bool:
        """Put a number on the suppression list (notices are no longer sent to it)."""

    def preview(self, text: str) -> encoding.Preview:
        """Parts and encoding of a text as it will be sent (the signature counted)."""

    def purge(self, days: float | None = ..., *, dry_run: bool = ..., actor: str = ...) -> Any:
        """Blank the texts of finished messages older than `days` (default: the configured retention); metadata stays
        for statistics. Audited unless `dry_run`. Returns a `retention.PurgeReport`.
        """

    def receipt(
        self,
        *,
        state: str,
        message_id: int | None = ...,
        provider_message_id: str | None = ...,
        detail: str = ...,
        provider: str | None = ...,
    ) -> int | None:
        """Apply a delivery receipt. With `provider` (webhooks), only to a message handed to it."""

    def recent(self, limit: int = ...) -> list[dict[str, Any]]: ...

    def render(self, template: str, variables: dict[str, Any]) -> str: ...

    def send(
        self,
        to: str,
        template: str,
        variables: dict[str, Any],
        *,
        category: str = ...,
        idempotency_key: str | None = ...,
        session_id: str | None = ...,
        provider: str | None = ...,
    ) -> int:
        """Queue one message; returns its outbox id (the same id again for a repeated key). `provider` is a preference
        (tried first when configured), e.g. the gateway a question came in on.
        """

    def send_text(
        self,
        to: str,
        text: str,
        *,
        category: str = ...,
        idempotency_key: str | None = ...,
        session_id: str | None = ...,
        provider: str | None = ...,
    ) -> int:
        """A free-text message (replies, agent messages) through the `free_text` template."""

    def status(self, message_id: int) -> dict[str, Any] | None: ...


class InboundReceiver(Protocol):
    """Who answers a message a provider delivers over the gateway's own connection (SMPP `deliver_sm`):
    the SMS conversation channel, which the composition root puts here (`Platform.sms_receiver`), so
    that the gateway knows no channel. (The webhooks hand theirs to the channel directly.)"""

    def handle_inbound(
        self, from_number: str, text: str, *, provider: str, received_at: datetime | None = ...
    ) -> str | None: ...


class SmsHost(Kernel, Protocol):
    """What `sms` takes from the node: the kernel and where received messages go (the gateway calls
    no other home)."""

    @property
    def sms(self) -> SmsApi: ...

    @property
    def sms_receiver(self) -> InboundReceiver: ...
