"""The REST API machinery: the `api` blueprint (/api/v1, an APIFlask `APIBlueprint`) and the `@op`
decorator that declares an operation once: route, roles, province scope, inputs, htmx partial.

`@op` turns its `Param` declarations into marshmallow schemas and hands them to APIFlask: webargs
parses and validates them (path, query string, and a JSON body or an htmx form post), apispec
describes them in the OpenAPI document (`openapi_document`, served at /api/v1/openapi.json), with
the roles and the province scope of every operation as `x-roles`, `x-province-scope` and
`x-national-only`. So what the document calls valid is what is accepted.

An operation answers JSON; when htmx calls it (HX-Request header) and it names a template, it
answers that HTML fragment instead, so the pages and integrations use the very same endpoints.
Session callers must send the CSRF token (X-CSRFToken header or csrf_token field); bearer-token
callers are exempt (a browser cannot attach someone's token cross-site).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any, ClassVar

from apiflask import APIBlueprint, HTTPError, Schema
from flask import jsonify, render_template, request
from flask_login import current_user
from marshmallow import EXCLUDE, ValidationError, fields, missing, post_load, pre_load, validate
from werkzeug.exceptions import HTTPException

from core.errors import Refusal
from web.extensions import csrf
from web.permissions import Param, registry_of, requires, wants_json
from web.services import BadInput, ServiceUnavailable, to_jsonable

bp = APIBlueprint("api", __name__, url_prefix="/api/v1")

#: inputs whose name fixes their shape wherever they appear
PROVINCE_PATTERN = r"^[0-9]{2}$"
CENTER_NAMES = ("province", "center_code")
INT64 = (-(2**63), 2**63 - 1)
NOT_AN_OBJECT = "请求内容须为 JSON 对象 / the JSON body must be an object"
_KIND_ZH = {"integer": "整数", "number": "数字", "boolean": "是/否", "array": "列表", "object": "对象"}
_JSON_TYPES: dict[str, Any] = {"string": str, "integer": int, "number": int | float, "boolean": bool,
                               "array": list, "object": dict}
_TRUE = ("1", "true", "yes", "on", "True", "TRUE", True)
_FALSE = ("0", "false", "no", "off", "False", "FALSE", False)


@bp.before_request
def _api_csrf() -> None:
    """Session callers need the CSRF token on unsafe methods; bearer-token callers do not."""
    from flask import current_app, g

    if request.method in ("GET", "HEAD", "OPTIONS") or not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    if not current_user.is_authenticated:  # (runs the token loader, which marks g.token_auth)
        return  # nobody to act for: the view answers 401, not a CSRF 400
    if not g.get("token_auth"):
        csrf.protect()


# ---- inputs: `Param` declarations as marshmallow schemas -------------------------------------------

def _pattern(param: Param) -> str:
    return param.pattern or (PROVINCE_PATTERN if param.name in CENTER_NAMES and param.kind == "string" else "")


def _wrong_kind(param: Param) -> str:
    return (f"{param.name} 格式不对（应为{_KIND_ZH.get(param.kind, param.kind)}） / "
            f"{param.name} must be a {param.kind}")


def _a_date(name: str) -> Callable[[str], None]:
    def check(value: str) -> None:
        try:
            date.fromisoformat(value)
        except ValueError:
            raise ValidationError(f"{name} 须为日期 YYYY-MM-DD / {name} must be a date YYYY-MM-DD") from None
    return check


def _field(param: Param) -> fields.Field:
    """The marshmallow field of one input: its type, bounds and bilingual messages (apispec turns
    the same field into the input's JSON schema)."""
    name = param.name
    missing = f"缺少 {name} / {name} is required"
    options: dict[str, Any] = {
        "required": param.required, "metadata": {"description": param.description},
        "error_messages": {"required": missing, "null": missing, "invalid": _wrong_kind(param),
                           "special": _wrong_kind(param), "too_large": _wrong_kind(param)}}
    if param.kind in ("integer", "number"):
        low, high = param.minimum, param.maximum
        if param.kind == "integer":
            low, high = INT64[0] if low is None else low, INT64[1] if high is None else high
        bounds = validate.Range(min=low, max=high, error=f"{name} 超出范围 / {name} is out of range")
        if param.kind == "integer":
            return fields.Integer(validate=bounds, **options)
        return fields.Float(allow_nan=False, validate=bounds if low is not None or high is not None else None,
                            **options)
    if param.kind == "boolean":
        return fields.Boolean(truthy=set(_TRUE), falsy=set(_FALSE), **options)
    if param.kind == "object":
        return fields.Dict(**options)
    if param.kind == "array":
        among = validate.OneOf(param.enum, error=f"{name}: {{input}} 不在 {'、'.join(param.enum)} 之中 / "
                                                 f"{name} must be among {', '.join(param.enum)}")
        return fields.List(fields.String(validate=among if param.enum else None,
                                         error_messages={"invalid": _wrong_kind(param)}), **options)
    checks: list[Callable[[Any], Any]] = []
    if param.min_length:
        checks.append(validate.Length(min=param.min_length, error=f"{name} 至少{{min}}个字符 / "
                                                                  f"{name}: at least {{min}} characters"))
    if param.max_length is not None:
        checks.append(validate.Length(max=param.max_length, error=f"{name} 最多{{max}}个字 / "
                                                                  f"{name}: at most {{max}} characters"))
    if param.enum:
        checks.append(validate.OneOf(param.enum, error=f"{name} 须为 {'、'.join(param.enum)} 之一 / "
                                                       f"{name} must be one of {', '.join(param.enum)}"))
    elif pattern := _pattern(param):
        checks.append(validate.Regexp(pattern, error=f"{name} 格式不对 / {name} does not match {{regex}}"))
    elif param.required:
        checks.append(validate.Regexp(r"\s*\S"))  # blank is the same as missing (never reached: see Inputs)
    if param.fmt == "date":
        checks.append(_a_date(name))
        options["metadata"]["format"] = "date"
    return fields.String(validate=checks, **options)


class Inputs(Schema):
    """The base of the schemas `@op` builds. Unknown names are ignored (a form's csrf_token, say).
    An empty value ("", blanks, or null in a JSON body) is the same as a missing one, as a form's
    empty field is; strings are trimmed. A JSON body carries its own types, which must be the
    declared ones (forms and query strings carry text, which the fields convert)."""

    class Meta:
        unknown = EXCLUDE

    error_messages: ClassVar[dict[str, str]] = {"type": NOT_AN_OBJECT}  # type: ignore[misc]
    params: ClassVar[dict[str, Param]] = {}
    body: ClassVar[bool] = False

    @pre_load
    def _given(self, data: Any, **_: Any) -> Any:
        if not isinstance(data, Mapping):
            return data  # refused as NOT_AN_OBJECT
        typed = self.body and request.is_json
        values: dict[str, Any] = {}
        for name, param in self.params.items():
            value = data.get(name)  # (webargs' MultiDictProxy answers `missing` for an absent name)
            if value is None or value is missing or (isinstance(value, str) and not value.strip()):
                continue
            if typed and (not isinstance(value, _JSON_TYPES[param.kind]) or (
                    isinstance(value, bool) and param.kind != "boolean")):
                raise ValidationError(_wrong_kind(param), name)
            if param.kind == "array" and not typed and isinstance(value, list):
                value = [part for item in value for part in str(item).split(",") if part]
            values[name] = value
        return values

    @post_load
    def _trimmed(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return {k: v.strip() if isinstance(v, str) else v for k, v in data.items()}


def _schema(name: str, params: list[Param], body: bool = False) -> Inputs:
    declared = {p.name: _field(p) for p in params}
    return type(name, (Inputs,), {**declared, "params": {p.name: p for p in params}, "body": body})()


def _camel(name: str) -> str:
    return "".join(part.title() for part in name.split("_"))


def with_inputs(scaffold: APIBlueprint, rule: str, method: str, params: tuple[Param, ...],
                name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Apply APIFlask's `input` decorators for `params` (path, query string, JSON-or-form body): the
    decorated function receives every declared input by name (None when not given)."""
    path_names = re.findall(r"<(?:\w+:)?(\w+)>", rule)
    declared = {p.name for p in params}
    full = params + tuple(Param(n, kind="integer" if f"<int:{n}>" in rule else "string", where="path",
                                required=True) for n in path_names if n not in declared)
    in_query = method in ("GET", "DELETE")
    groups = {"path": [p for p in full if p.where == "path"],
              "query": [p for p in full if p.where != "path" and (in_query or p.where == "query")],
              "json_or_form": [p for p in full if p.where == "body" and not in_query]}

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        def view(**kwargs: Any) -> Any:
            values: dict[str, Any] = dict.fromkeys(p.name for p in full)
            for location in groups:
                values.update(kwargs.get(f"{location}_data") or {})
            return fn(**values)

        view.__name__, view.__doc__ = fn.__name__, fn.__doc__
        for location, group in groups.items():
            if group:
                schema = _schema(f"{_camel(name)}{_camel(location)}", group, body=location == "json_or_form")
                view = scaffold.input(schema, location=location)(view)
        return view

    return decorate


# ---- operations --------------------------------------------------------------------------------

RESPONSES: dict[int, Any] = {
    400: "The request does not fit this document (type, pattern, format, range, enum, a required input missing)",
    422: "The request fits this document but breaks a domain rule it cannot state (a flow file that does not "
         "validate, a weak password, an input another input makes necessary); the message says which",
    401: {"description": "Not logged in / bad token"},
    403: {"description": "Role or province scope does not allow this"},
    404: {"description": "No such thing (or an id out of range)"},
    405: {"description": "Method not allowed on this path"},
    409: {"description": "Refused in the current state (e.g. a call not offered to you)"},
    413: {"description": "Request body too large"},
    414: {"description": "Request URI too long"},
    429: {"description": "Too many requests"},
    503: {"description": "The domain service is unavailable"},
}


def documented(scaffold: APIBlueprint, *, roles: tuple[str, ...], scope: str | None, national: bool, tag: str,
               summary: str, name: str, media: tuple[str, ...],
               fragment: bool) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """APIFlask's `doc` for an operation: its summary, tag, id, who may call it (x-roles,
    x-province-scope, x-national-only) and the answers it gives."""
    ok = {"description": "OK (an HTML fragment when htmx asks: HX-Request)",
          "content": {**{m: {} for m in media}, **({"text/html": {}} if fragment else {})}}
    return scaffold.doc(summary=summary, tags=[tag or "api"], operation_id=name, security=["bearer", "session"],
                        responses={200: ok, **RESPONSES},
                        extensions={"x-roles": list(roles) or ["any"], "x-province-scope": scope,
                                    "x-national-only": national})


def op(rule: str, *, method: str = "GET", roles: tuple[str, ...] = (), scope: str | None = None,
       params: tuple[Param, ...] = (), template: str | None = None, tag: str = "",
       summary: str = "", national: bool = False, scope_from: Callable[[str], str] | None = None,
       scope_example: Callable[[str], str] | None = None,
       media: tuple[str, ...] = ("application/json",)) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare an API operation. The function receives the validated inputs as keyword arguments and
    returns a JSON-safe value (or a Flask response). Who may call it is checked before the inputs
    are parsed (401/403 come before 400)."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        line = summary or (fn.__doc__ or "").strip().split("\n")[0]

        def answer(**inputs: Any) -> Any:
            try:
                result = fn(**inputs)
            except BadInput as exc:  # the inputs fit the document but break a rule it cannot state
                return error_response(422, str(exc))
            except Exception as exc:  # noqa: BLE001 - domain refusals become clear answers; others re-raise
                return domain_error(exc)
            if not isinstance(result, dict | list | str | int | float | type(None)) and hasattr(result, "status_code"):
                return result
            if template and request.headers.get("HX-Request"):
                return render_template(template, result=result, inputs=inputs)
            return jsonify(to_jsonable(result))

        answer.__name__, answer.__doc__ = fn.__name__, fn.__doc__
        view = with_inputs(bp, rule, method, params, fn.__name__)(answer)
        view = documented(bp, roles=roles, scope=scope, national=national, tag=tag, summary=line,
                          name=fn.__name__, media=media, fragment=bool(template))(view)
        view = requires(*roles, scope=scope, summary=line, params=params, tags=(tag,) if tag else (),
                        national=national, scope_from=scope_from, scope_example=scope_example)(view)
        bp.add_url_rule(rule, endpoint=fn.__name__, view_func=view, methods=[method])
        return fn

    return decorate


STATUS_OF_KIND: dict[str, int] = {"invalid": 422, "conflict": 409, "not_found": 404, "forbidden": 403}


def classify(exc: Exception) -> tuple[int, str] | None:
    """A domain refusal's HTTP status, by type: a `core.errors.Refusal` by its kind (values the domain
    refuses 422 — 400 is kept for requests the OpenAPI document itself calls invalid —, state
    conflicts 409, unknown things 404, role refusals 403); Python's own PermissionError 403,
    LookupError 404, ValueError 422. None for anything else (a bug: it stays a 500)."""
    message = str(getattr(exc, "message", None) or (exc.args[0] if exc.args else type(exc).__name__))
    if isinstance(exc, Refusal):
        status = STATUS_OF_KIND[exc.kind]
    elif isinstance(exc, PermissionError):
        status = 403
    elif isinstance(exc, LookupError):
        status = 404
    elif isinstance(exc, ValueError):
        status = 422
    else:
        return None
    return status, f"not found: {message}" if status == 404 else message


def domain_error(exc: Exception):  # type: ignore[no-untyped-def]
    if isinstance(exc, BadInput | HTTPException | ServiceUnavailable):
        raise exc
    found = classify(exc)
    if found is None:
        raise exc
    return error_response(*found)


def error_response(status: int, message: str):  # type: ignore[no-untyped-def]
    if request.headers.get("HX-Request"):
        response = render_template("_error.html", message=message, status=status)
        return response, status, {"HX-Retarget": "#toast", "HX-Reswap": "innerHTML"}
    return jsonify(error=message), status


def first_message(messages: Any) -> str:
    """The first of webargs' error messages ({location: {input: [message, ...]}}): the fields'
    own bilingual messages."""
    while isinstance(messages, dict | list) and messages:
        messages = next(iter(messages.values())) if isinstance(messages, dict) else messages[0]
    return str(messages) if messages else NOT_AN_OBJECT


@bp.errorhandler(HTTPError)
def _invalid(exc: HTTPError):  # type: ignore[no-untyped-def]
    """An input the document calls invalid (APIFlask's validation error): 400 with its message."""
    return error_response(exc.status_code, first_message(exc.detail) if exc.detail else str(exc.message))


@bp.errorhandler(BadInput)
def _bad_input(exc: BadInput):  # type: ignore[no-untyped-def]
    return error_response(400, str(exc))


@bp.errorhandler(ServiceUnavailable)
def _unavailable(exc: ServiceUnavailable):  # type: ignore[no-untyped-def]
    return error_response(503, str(exc))


@bp.errorhandler(HTTPException)
def _http(exc: HTTPException):  # type: ignore[no-untyped-def]
    if exc.response is not None:
        return exc.response
    if getattr(exc, "data", None):  # webargs: a body that is not JSON at all
        return error_response(400, NOT_AN_OBJECT)
    return error_response(exc.code or 500, exc.description or exc.name)


def register_errors(app: Any) -> None:
    """Page-side handlers: a missing service or bad input is a readable page, not a 500."""
    from flask import render_template as render

    @app.errorhandler(RecursionError)
    def _too_deep(exc: RecursionError):  # type: ignore[no-untyped-def]
        # a JSON body nested thousands deep (json.loads recurses): bad input, not a server error
        if wants_json() or request.headers.get("HX-Request") or request.is_json:
            return jsonify(error="the JSON body is nested too deeply"), 400
        return render("_error_page.html", message="nested too deeply", status=400), 400

    @app.errorhandler(OverflowError)
    def _too_large(exc: OverflowError):  # type: ignore[no-untyped-def]
        # an id beyond what the database stores (e.g. a path id above 2^63) names nothing
        if wants_json() or request.headers.get("HX-Request") or request.is_json:
            return jsonify(error="not found: the id is out of range"), 404
        return render("_error_page.html", message="not found", status=404), 404

    @app.errorhandler(ServiceUnavailable)
    def _page_unavailable(exc: ServiceUnavailable):  # type: ignore[no-untyped-def]
        if wants_json() or request.headers.get("HX-Request"):
            return error_response(503, str(exc))
        return render("_error_page.html", message=str(exc), status=503), 503

    @app.errorhandler(BadInput)
    def _page_bad_input(exc: BadInput):  # type: ignore[no-untyped-def]
        if wants_json() or request.headers.get("HX-Request"):
            return error_response(400, str(exc))
        return render("_error_page.html", message=str(exc), status=400), 400

    @app.errorhandler(Exception)
    def _page_domain(exc: Exception):  # type: ignore[no-untyped-def]
        if isinstance(exc, HTTPException):
            return exc
        found = classify(exc)
        if found is None:
            raise exc
        if wants_json() or request.headers.get("HX-Request"):
            return error_response(*found)
        return render("_error_page.html", message=found[1], status=found[0]), found[0]


# ---- OpenAPI -------------------------------------------------------------------------------------

BLANK = {"type": "string", "maxLength": 0}


def _optional(schema: dict[str, Any]) -> dict[str, Any]:
    """An optional input may also be empty ("" or, in a JSON body, null): both mean "not given", as a
    form's empty field does (see `Inputs`)."""
    description = schema.pop("description", None)
    wrapped = {"anyOf": [schema, BLANK], "nullable": True}
    return {**wrapped, "description": description} if description is not None else wrapped


def _path(rule: str) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule)


def finish_document(document: dict[str, Any]) -> dict[str, Any]:
    """APIFlask's spec processor: keep the declared /api/v1 operations only (APIFlask lists every
    route of an APIBlueprint, pages included), say that an optional input may be empty, that a
    request body is required when it has a required input, and describe bodies as JSON."""
    from flask import current_app

    declared = {(_path(s.rule), m.lower()) for s in registry_of(current_app).values()
                if s.rule.startswith("/api/v1") and not s.public for m in s.methods}
    components = document.get("components", {}).get("schemas", {})
    for name, schema in components.items():
        required = set(schema.get("required", ()))
        if name != "HTTPError":
            schema["properties"] = {k: v if k in required else _optional(v)
                                    for k, v in schema.get("properties", {}).items()}
    paths: dict[str, Any] = {}
    for path, item in document["paths"].items():
        operations = {method: operation for method, operation in item.items() if (path, method) in declared}
        for operation in operations.values():
            for parameter in operation.get("parameters", ()):
                if not parameter.get("required"):
                    parameter["schema"] = _optional(parameter["schema"])
            for response in operation["responses"].values():
                if not response.get("content"):
                    response.pop("content", None)
            if body := operation.get("requestBody"):
                # htmx's form posts carry the same inputs as text; the document describes the JSON body,
                # whose types are exact (a form cannot tell one list item from a plain value)
                body["content"].pop("application/x-www-form-urlencoded", None)
                ref = body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
                body["required"] = bool(components[ref].get("required"))
        if operations:
            paths[path] = operations
    document["paths"] = paths
    return document


def init_openapi(app: Any) -> None:
    """The document's frame (APIFlask settings): title, security schemes, the error schema, and the
    answers every operation declares itself (`documented`) instead of APIFlask's defaults."""
    app.title, app.version = "12333 hotline console API", "1.0.0"
    app.description = ("Everything the console pages do. Session callers send X-CSRFToken; integrations "
                       "send Authorization: Bearer <token> (hotline users token).")
    app.servers = [{"url": "/"}]
    app.config.update(
        OPENAPI_VERSION="3.0.3", AUTO_TAGS=False, AUTO_404_RESPONSE=False, AUTO_AUTH_ERROR_RESPONSE=False,
        AUTO_VALIDATION_ERROR_RESPONSE=False, AUTO_OPERATION_DESCRIPTION=False, VALIDATION_ERROR_STATUS_CODE=400,
        HTTP_ERROR_SCHEMA={"type": "object", "properties": {"error": {"type": "string"}}},
        SECURITY_SCHEMES={"bearer": {"type": "http", "scheme": "bearer"},
                          "session": {"type": "apiKey", "in": "cookie", "name": "hotline_session"}})
    app.spec_processor(finish_document)


def openapi_document(app: Any) -> dict[str, Any]:
    """OpenAPI 3.0 for every /api/v1 operation, generated by APIFlask (see `init_openapi`)."""
    return app.spec  # type: ignore[no-any-return]

def me() -> dict[str, Any]:
    return {"id": current_user.id, "username": current_user.username, "display_name": current_user.display_name,
            "roles": sorted(current_user.roles), "province_scope": current_user.province_scope,
            "language": current_user.language}
