"""The contract of `platform.qa`: what other homes and the front ends may call."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from core.kernel import Kernel

if TYPE_CHECKING:
    from datetime import datetime
    from typing import Any

    from qa import sampling
    from recordings.api import RecordingsApi


class QaApi(Protocol):
    """`platform.qa`."""

    def acknowledge(self, review_id: int, user: Any) -> dict[str, Any]: ...

    def comment(self, review_id: int, user: Any, offset_s: float, body: str) -> None: ...

    def create_form(self, name: str, criteria: list[dict], *, province: str = ..., actor: str) -> dict[str, Any]: ...

    def dispute(self, review_id: int, user: Any, reason: str) -> dict[str, Any]: ...

    def ensure_default_form(self) -> dict[str, Any]: ...

    def form_for(self, province: str) -> dict[str, Any] | None:
        """The province's newest active form, else the newest national one."""

    def forms(self, province: str | None = ..., *, active_only: bool = ...) -> list[dict[str, Any]]: ...

    def is_own(self, user: Any, review: dict[str, Any]) -> bool: ...

    def may_review(self, user: Any, review: dict[str, Any]) -> bool: ...

    def mine(self, user: Any) -> list[dict[str, Any]]:
        """The agent's completed reviews."""

    def queue(self, user: Any, *, status: str = ...) -> list[dict[str, Any]]: ...

    def report(
        self, group: str, *, province: str | None = ..., since: datetime | None = ..., until: datetime | None = ...
    ) -> list[dict[str, Any]]:
        """Completed reviews per week and `group` (agent, team = queue, province, criterion)."""

    def resolve(self, review_id: int, user: Any, note: str, *, total: float | None = ...) -> dict[str, Any]:
        """A reviewer answers a dispute (optionally correcting the total)."""

    def review(self, review_id: int) -> dict[str, Any] | None: ...

    def sample(
        self,
        week: str | None = ...,
        *,
        province: str | None = ...,
        rate: float | None = ...,
        minimum: int | None = ...,
        actor: str = ...,
    ) -> sampling.SamplePlan:
        """Queue this week's sample and flagged calls (idempotent: reviewed calls are not queued twice)."""

    def submit(self, review_id: int, user: Any, marks: dict[str, str]) -> dict[str, Any]: ...

    @staticmethod
    def to_csv(rows: list[dict[str, Any]]) -> str: ...


class QaHost(Kernel, Protocol):
    """What `qa` takes from the node: the kernel and the homes it calls."""

    @property
    def qa(self) -> QaApi: ...

    @property
    def recordings(self) -> RecordingsApi: ...
