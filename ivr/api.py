"""The contract of `platform.ivr`: what other homes and the front ends may call."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from core.kernel import Kernel

if TYPE_CHECKING:
    from typing import Any

    from agents.api import AcdApi
    from ivr.engine import Engine
    from ivr.publishing import VersionInfo
    from ivr.service import Action, Result
    from knowledge.api import KnowledgeApi
    from recordings.api import RecordingsApi
    from records.api import RecordsApi
    from sms.api import SmsApi
    from switch.api import SwitchApi


class IvrApi(Protocol):
    """`platform.ivr`."""

    @property
    def engine(self) -> Engine: ...

    def call_context(self, call_id: str) -> dict | None:
        """The screen pop: the live state while the call is on, else the call log row (masked)."""

    def contacts(self, caller: str | None = ..., id_number: str | None = ..., limit: int = ...) -> list[dict]:
        """Earlier calls of this number or this person, newest first (masked)."""

    def hangup(self, call_id: str, reason: str = ...) -> None: ...

    def path_labels(
        self, path: list[str], *, entry: str | None = ..., flow_version: int | None = ..., lang: str = ...
    ) -> list[str]: ...

    def publish(self, text: str, entry: str = ..., *, by: str = ..., note: str = ...) -> VersionInfo: ...

    def resume(self, call_id: str, result: Result) -> Action: ...

    def rollback(self, entry: str = ..., to: int | None = ..., *, by: str = ...) -> VersionInfo: ...

    def start_call(
        self,
        *,
        call_id: str,
        caller: str | None,
        called: str,
        channel: str,
        language: str | None = ...,
        args: dict | None = ...,
    ) -> Action: ...

    def survey_report(self, **kwargs: Any) -> list[dict]: ...

    def surveys(self, limit: int = ...) -> list[dict]: ...

    def sweep(self, older_than_s: float = ...) -> list[str]:
        """Close calls whose channel vanished: the log row is open but the state has expired or not moved for
        `older_than_s` (the ACD is told the caller left). Returns their ids.
        """

    def transcript(self, call_id: str) -> dict | None:
        """A finished call's row with its event list (what `hotline call --json` prints)."""

    def versions(self, entry: str | None = ...) -> list[VersionInfo]: ...


class IvrHost(Kernel, Protocol):
    """What `ivr` takes from the node: the kernel and the homes it calls."""

    @property
    def ivr(self) -> IvrApi: ...

    @property
    def agents(self) -> AcdApi: ...

    @property
    def knowledge(self) -> KnowledgeApi: ...

    @property
    def records(self) -> RecordsApi: ...

    @property
    def recordings(self) -> RecordingsApi: ...

    @property
    def sms(self) -> SmsApi: ...

    @property
    def switch(self) -> SwitchApi: ...

    def service(self, home: str) -> Any:
        """A further service a home registers (`ivr.speech`)."""
