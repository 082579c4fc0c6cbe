"""Access to the domain services from the web layer, with a clear 503 when one is missing.

The domain homes are built separately; a page must say "this service is unavailable" rather than
crash when one of them is absent or lacks a method.
"""

from __future__ import annotations

from typing import Any

from web.app import platform_of


class ServiceUnavailable(Exception):
    def __init__(self, home: str, detail: str = "") -> None:
        super().__init__(f"service {home} is unavailable{': ' + detail if detail else ''}")
        self.home = home


class BadInput(ValueError):
    """Input the user can correct, shown with the message: 400 while parsing against the declared
    inputs (the request does not fit the OpenAPI document), 422 when an operation refuses it."""


def service(home: str) -> Any:
    try:
        return getattr(platform_of(), home)
    except ModuleNotFoundError as exc:
        raise ServiceUnavailable(home, "not installed") from exc


def call(home: str, method: str, *args: Any, **kwargs: Any) -> Any:
    """`platform.<home>.<method>(...)`, or ServiceUnavailable if either is missing."""
    fn = getattr(service(home), method, None)
    if not callable(fn):
        raise ServiceUnavailable(home, f"no method {method}")
    return fn(*args, **kwargs)


def call_any(home: str, methods: tuple[str, ...], *args: Any, **kwargs: Any) -> Any:
    """Call the first of `methods` the service has (names differ while homes settle)."""
    svc = service(home)
    for name in methods:
        fn = getattr(svc, name, None)
        if callable(fn):
            return fn(*args, **kwargs)
    raise ServiceUnavailable(home, f"none of {', '.join(methods)}")


def available(home: str, method: str | None = None) -> bool:
    try:
        svc = service(home)
    except ServiceUnavailable:
        return False
    return method is None or callable(getattr(svc, method, None))


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
