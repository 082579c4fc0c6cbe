"""What the web front end takes from the node: the kernel and every home's contract."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from core.kernel import Kernel

if TYPE_CHECKING:
    from agents.api import AcdApi
    from ivr.api import IvrApi
    from knowledge.api import KnowledgeApi
    from qa.api import QaApi
    from recordings.api import RecordingsApi
    from records.api import RecordsApi
    from sms.api import SmsApi
    from smschat.api import SmsChatApi
    from switch.api import SwitchApi
    from tickets.api import TicketsApi


class WebHost(Kernel, Protocol):
    @property
    def agents(self) -> AcdApi: ...

    @property
    def ivr(self) -> IvrApi: ...

    @property
    def knowledge(self) -> KnowledgeApi: ...

    @property
    def qa(self) -> QaApi: ...

    @property
    def recordings(self) -> RecordingsApi: ...

    @property
    def records(self) -> RecordsApi: ...

    @property
    def sms(self) -> SmsApi: ...

    @property
    def smschat(self) -> SmsChatApi: ...

    @property
    def switch(self) -> SwitchApi: ...

    @property
    def tickets(self) -> TicketsApi: ...

    def service(self, home: str) -> Any: ...
