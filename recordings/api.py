"""The contract of `platform.recordings`: what other homes and the front ends may call."""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Protocol

from core.kernel import Kernel

if TYPE_CHECKING:
    from collections.abc import Iterator
    from datetime import datetime
    from pathlib import Path
    from typing import Any

    from agents.api import AcdApi
    from recordings import links, retention
    from recordings.config import RecordingConfig
    from recordings.service import LegStart
    from recordings.views import RecordingView


class RecordingsApi(Protocol):
    """`platform.recordings`."""

    @property
    def config(self) -> RecordingConfig: ...

    def active_leg(self, call_id: str) -> RecordingView | None: ...

    def after_store(self, recording_id: int) -> None: ...

    def audit_access(
        self, user: Any, rec: RecordingView, purpose: str, outcome: str = ..., detail: dict | None = ...
    ) -> None: ...

    def by_source_ref(self, source_ref: str, channel: str) -> int | None:
        """The recording already made (or being stored) from the provider's recording `source_ref` (e.g. a
        RecordingSid); an open one that only knows its provider id does not count.
        """

    def check_link(self, token: str) -> links.Link | None: ...

    def consent_required(self, entry: str) -> bool:
        """Whether the flow of `entry` announces recording before the agent leg."""

    def discard_leg(self, recording_id: int, reason: str = ...) -> None:
        """The agent never answered (or recording could not start): drop the row and any file."""

    def end_call(self, call_id: str, reason: str = ...) -> None:
        """Close every open leg of a call (the call ended)."""

    def end_leg(self, recording_id: int, reason: str = ..., *, ingest: bool = ...) -> None:
        """The agent leg ended (hang-up or transfer): close the row and ingest the file when it is ready."""

    def get(self, recording_id: int) -> RecordingView | None: ...

    def hold(self, recording_id: int, *, reason: str, reference: str = ..., actor: str) -> int: ...

    def hold_call(self, call_id: str, *, reason: str, reference: str = ..., actor: str) -> builtins.list[int]: ...

    def holds(self, recording_id: int) -> builtins.list[dict[str, Any]]: ...

    def ingest_now(self, recording_id: int, wait_s: float = ...) -> bool:
        """Ingest a closed Asterisk leg as soon as its file has settled (else the timer will)."""

    def ingest_pending(self) -> int: ...

    def link(self, user: Any, recording_id: int, purpose: str = ...) -> str: ...

    def list(
        self,
        *,
        province: str | None = ...,
        agent_id: int | None = ...,
        call_id: str | None = ...,
        since: datetime | None = ...,
        until: datetime | None = ...,
        status: str | None = ...,
        limit: int = ...,
    ) -> builtins.list[RecordingView]: ...

    def may_export(self, user: Any, rec: RecordingView) -> bool: ...

    def may_listen(self, user: Any, rec: RecordingView) -> bool: ...

    def mime(self, rec: RecordingView) -> str: ...

    def note_source_ref(self, recording_id: int, call_id: str, source_ref: str) -> bool:
        """The provider started the recording of an open row and named it (Twilio's in-progress callback): keep the
        name, so a pause can address this very recording.
        """

    def open(self, rec: RecordingView, start: int = ..., length: int | None = ...) -> Iterator[bytes]: ...

    def open_source_refs(self, call_id: str) -> builtins.list[str | None]:
        """The provider ids of the call's open recordings (None where the provider has not named it yet)."""

    def own_agent_id(self, user: Any) -> int | None: ...

    def pause(self, call_id: str, *, actor: str) -> RecordingView: ...

    def purge(self, *, dry_run: bool = ..., actor: str = ...) -> retention.PurgeReport: ...

    def release(self, recording_id: int, *, actor: str, hold_id: int | None = ...) -> int: ...

    def resume(self, call_id: str, *, actor: str) -> RecordingView: ...

    def search_transcripts(self, user: Any, text: str, limit: int = ...) -> builtins.list[RecordingView]:
        """Reviewers search masked transcripts (their provinces only)."""

    def shutdown(self) -> None: ...

    def start_leg(
        self,
        call_id: str,
        *,
        channel: str,
        agent_id: int | None = ...,
        caller: str | None = ...,
        kind: str = ...,
        source_ref: str | None = ...,
        province: str | None = ...,
    ) -> LegStart | None:
        """The agent answered (or a whole-call recording starts): open a recording row."""

    def store_file(
        self,
        call_id: str,
        source: Path,
        *,
        channel: str,
        agent_id: int | None = ...,
        source_ref: str | None = ...,
        started_at: datetime | None = ...,
        caller: str | None = ...,
        channels: int | None = ...,
        recording_id: int | None = ...,
        kind: str = ...,
    ) -> int: ...

    def transcribe(self, recording_id: int) -> str | None: ...

    def transcript(self, recording_id: int) -> str | None: ...

    def visible_to(self, user: Any, **filters: Any) -> builtins.list[RecordingView]:
        """The recordings a console user may see (see recordings.access)."""

    def whole_call(self, entry: str) -> bool: ...


class RecordingsHost(Kernel, Protocol):
    """What `recordings` takes from the node: the kernel and the homes it calls."""

    @property
    def recordings(self) -> RecordingsApi: ...

    @property
    def agents(self) -> AcdApi: ...
