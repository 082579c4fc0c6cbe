"""Declared permissions: every console and API endpoint states which roles may call it and whether
it is bound to a province scope. The registry drives the checks, the operations the OpenAPI
document lists and the permission-matrix test, so the three cannot drift apart (an API operation
declares its roles and scope once, in `web.apikit.op`, which also hands them to the document)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import abort, jsonify, request
from flask_login import current_user

from core.models import ROLES
from web.extensions import platform_of

ALL_ROLES: tuple[str, ...] = tuple(ROLES)


@dataclass(frozen=True)
class Param:
    """One input of an API operation: where it comes from and what it is. `web.apikit` turns these
    into the marshmallow schemas APIFlask validates the request with and documents."""

    name: str
    kind: str = "string"  # string | integer | boolean | number | object | array
    where: str = "body"  # body | query | path
    required: bool = False
    description: str = ""
    enum: tuple[str, ...] = ()
    pattern: str = ""  # a regular expression the whole value must match (province codes get one by name)
    fmt: str = ""  # an OpenAPI string format the value must have: "date" (YYYY-MM-DD)
    min_length: int = 0
    max_length: int | None = None
    minimum: float | None = None
    maximum: float | None = None


@dataclass
class EndpointSpec:
    endpoint: str  # Flask endpoint name, e.g. "api.agent_ready"
    roles: tuple[str, ...]  # empty = any authenticated user
    scope: str | None  # name of the parameter holding a province code, or None
    summary: str = ""
    params: tuple[Param, ...] = ()  # the inputs (an API operation's are validated, see web.apikit)
    public: bool = False
    tags: tuple[str, ...] = ()
    rule: str = ""
    methods: tuple[str, ...] = field(default_factory=tuple)
    national: bool = False  # a national resource: national-scope users only
    scope_from: Callable[[str], str] | None = None  # the province a scope value names (e.g. an entry number)
    scope_example: Callable[[str], str] | None = None  # a scope value naming a province (for the matrix test)


def _province_arg(name: str) -> str | None:
    """The province named by a request: path, then query string, then JSON or form body."""
    if request.view_args and name in request.view_args:
        return str(request.view_args[name])
    if name in request.args:
        return request.args.get(name)
    body = request.get_json(silent=True) if request.is_json else None
    if isinstance(body, dict) and body.get(name) not in (None, ""):
        return str(body[name])
    value = request.form.get(name)
    return value or None


def wants_json() -> bool:
    return request.path.startswith("/api/") and not request.headers.get("HX-Request")


def _deny(status: int, message: str):  # type: ignore[no-untyped-def]
    if wants_json():
        response = jsonify(error=message)
        response.status_code = status
        abort(response)
    abort(status, description=message)


def _audit_refused_lookup(spec: EndpointSpec, message: str) -> None:
    """A refused attempt at a person's record is audited like a granted one (records endpoints)."""
    if "records" not in spec.tags:
        return
    platform_of().audit.record(actor=f"user:{current_user.id}", channel="console", action="record.lookup",
                               outcome="refused", detail={"status": 403, "why": message, "endpoint": spec.endpoint})


def check(spec: EndpointSpec) -> None:
    """Raise 401/403 unless the current user may call `spec` (and, if scoped, on that province)."""
    if spec.public:
        return
    if not current_user.is_authenticated:
        _deny(401, "login required")
    if spec.roles and not current_user.has_role(*spec.roles):
        _audit_refused_lookup(spec, "role")
        _deny(403, "this needs one of the roles: " + ", ".join(spec.roles))
    if spec.national and not current_user.is_national:
        _deny(403, f"a national resource: your scope is province {current_user.province_scope}")
    if spec.scope:
        province = _province_arg(spec.scope)
        if province and spec.scope_from is not None:
            province = spec.scope_from(province)
        if province and not current_user.can_see_province(province):
            _deny(403, f"province {province} is outside your scope {current_user.province_scope}")


def requires(*roles: str, scope: str | None = None, summary: str = "", params: tuple[Param, ...] = (),
             tags: tuple[str, ...] = (), national: bool = False, scope_from: Callable[[str], str] | None = None,
             scope_example: Callable[[str], str] | None = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare who may call a view: `@requires("agent", scope="province")`.

    The decorated view's Flask endpoint name is `<blueprint>.<function name>`; `register_rules`
    binds each spec to its URL rule once the blueprint is registered.
    """
    unknown = set(roles) - set(ALL_ROLES)
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}")

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        spec = EndpointSpec(endpoint="", roles=tuple(roles), scope=scope, summary=summary or (view.__doc__ or "")
                            .strip().split("\n")[0], params=params, tags=tags, national=national, scope_from=scope_from,
                            scope_example=scope_example)

        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            check(spec)
            return view(*args, **kwargs)

        wrapper.__hotline_spec__ = spec  # type: ignore[attr-defined]
        return wrapper

    return decorate


def public(view: Callable[..., Any]) -> Callable[..., Any]:
    """Declare a view open to anyone (login page, health check, language switch, OpenAPI)."""
    view.__hotline_spec__ = EndpointSpec(endpoint="", roles=(), scope=None, public=True,  # type: ignore[attr-defined]
                                         summary=(view.__doc__ or "").strip().split("\n")[0])
    return view


def register_rules(app: Any) -> dict[str, EndpointSpec]:
    """Build the app's endpoint registry from its URL map (after every blueprint is registered)."""
    registry: dict[str, EndpointSpec] = {}
    for rule in app.url_map.iter_rules():
        view = app.view_functions.get(rule.endpoint)
        spec = getattr(view, "__hotline_spec__", None)
        if spec is None:
            continue
        spec.endpoint = rule.endpoint
        spec.rule = rule.rule
        spec.methods = tuple(sorted(m for m in (rule.methods or ()) if m not in ("HEAD", "OPTIONS")))
        registry[rule.endpoint] = spec
    app.extensions["hotline_endpoints"] = registry
    return registry


def registry_of(app: Any) -> dict[str, EndpointSpec]:
    return app.extensions["hotline_endpoints"]


def spec_for(app: Any, endpoint: str) -> EndpointSpec | None:
    view = app.view_functions.get(endpoint)
    return getattr(view, "__hotline_spec__", None)
