"""The refusals homes raise for their callers to show, without knowing how they are shown.

A `Refusal` says what kind of refusal it is (`kind`): the front ends map the kind, not the class
name, to their own terms (the web: invalid 422, conflict 409, not_found 404, forbidden 403; the
CLI: an error line). `code` is a stable machine-readable reason, `message` the text for the user."""

from __future__ import annotations

from typing import ClassVar, Literal

Kind = Literal["invalid", "conflict", "not_found", "forbidden"]


class Refusal(Exception):
    """A request refused for a reason the user can read; nothing was changed. Subclasses set the
    default `kind`; a `code` of "forbidden", "not_found" or "unknown_…" names its own kind."""

    kind: ClassVar[Kind] = "invalid"

    def __init__(self, message: str = "", *, code: str = "", kind: Kind | None = None) -> None:
        super().__init__(message)
        self.message, self.code = message, code
        chosen = kind or _kind_of_code(code)
        if chosen is not None:
            self.kind = chosen  # type: ignore[misc]  # an instance may narrow its class's default


def _kind_of_code(code: str) -> Kind | None:
    if code == "forbidden":
        return "forbidden"
    if code == "not_found" or code.startswith("unknown_"):
        return "not_found"
    return None
