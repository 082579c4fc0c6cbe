"""The contract of `platform.smschat`, the SMS conversation channel: what the webhooks, the CLI and
other front ends may call, and what it takes from the node."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from core.kernel import Kernel

if TYPE_CHECKING:
    from datetime import datetime
    from typing import Any

    from knowledge.api import KnowledgeApi
    from records.api import RecordsApi
    from sms.api import SmsApi
    from switch.api import SwitchApi


@dataclass(frozen=True)
class Command:
    """A keyword command: the keyword (upper case), its action and, for a fixed answer, the reply."""

    keyword: str
    action: str
    reply: str | None = None
    description: str = ""


@dataclass
class InboundResult:
    """What one received message led to: the reply text (None: nothing to say by SMS), the action, the
    inbound log row (`platform.sms.log_inbound`) and the outbox ids of the replies."""

    reply: str | None
    action: str
    inbound_id: int
    outbox_ids: list[int] = field(default_factory=list)


class SmsChatApi(Protocol):
    """`platform.smschat`."""

    def commands(self) -> dict[str, Command]:
        """The enabled keyword commands (the table, or `keywords.yaml` while the table is empty)."""

    def handle(
        self, from_number: str, text: str, *, provider: str, received_at: datetime | None = ...
    ) -> InboundResult:
        """Answer one received SMS: logged by the gateway, the replies queued in its outbox."""

    def handle_inbound(
        self, from_number: str, text: str, *, provider: str, received_at: datetime | None = ...
    ) -> str | None:
        """`handle`, returning only the reply text."""

    def session(self, sender: str) -> dict[str, Any]:
        """The conversation state of a sender (E.164): the CX step, the last answer."""


class SmsChatHost(Kernel, Protocol):
    """What `smschat` takes from the node: the kernel and the homes it calls."""

    @property
    def smschat(self) -> SmsChatApi: ...

    @property
    def sms(self) -> SmsApi: ...

    @property
    def knowledge(self) -> KnowledgeApi: ...

    @property
    def records(self) -> RecordsApi: ...

    @property
    def switch(self) -> SwitchApi: ...
