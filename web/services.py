"""What the web layer shares about domain results: the refusals it raises (`BadInput`,
`ServiceUnavailable` for an outside service that failed, e.g. Twilio refusing to ring a phone) and
`to_jsonable` for domain objects. Views call the domain directly: `platform_of().<home>.<method>(...)`."""

from __future__ import annotations

from typing import Any


class ServiceUnavailable(Exception):
    def __init__(self, home: str, detail: str = "") -> None:
        super().__init__(f"service {home} is unavailable{': ' + detail if detail else ''}")
        self.home = home


class BadInput(ValueError):
    """Input the user can correct, shown with the message: 400 while parsing against the declared
    inputs (the request does not fit the OpenAPI document), 422 when an operation refuses it."""


def to_jsonable(value: Any) -> Any:
    """Domain objects (dataclasses, objects with to_dict, datetimes) as JSON-safe values."""
    import dataclasses
    from datetime import date, datetime

    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in value]
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return to_jsonable(to_dict())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if hasattr(value, "__dict__"):
        return {k: to_jsonable(v) for k, v in vars(value).items() if not k.startswith("_")}
    return str(value)
