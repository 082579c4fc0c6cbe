"""The REST API machinery: the `api` blueprint (/api/v1), the `@op` decorator that declares an
operation once (route, roles, province scope, inputs, htmx partial) and the OpenAPI document built
from those declarations.

An operation answers JSON; when htmx calls it (HX-Request header) and it names a template, it
answers that HTML fragment instead, so the pages and integrations use the very same endpoints.
Session callers must send the CSRF token (X-CSRFToken header or csrf_token field); bearer-token
callers are exempt (a browser cannot attach someone's token cross-site).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

from flask import Blueprint, jsonify, render_template, request
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from core.errors import Refusal
from web.extensions import csrf
from web.permissions import EndpointSpec, Param, registry_of, requires, wants_json
from web.services import BadInput, ServiceUnavailable, to_jsonable

bp = Blueprint("api", __name__, url_prefix="/api/v1")

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")
_KIND_ZH = {"integer": "整数", "number": "数字", "boolean": "是/否", "array": "列表", "object": "对象"}


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


def _raw_inputs() -> dict[str, Any]:
    values: dict[str, Any] = {}
    values.update(request.args.to_dict())
    if request.is_json:
        body = request.get_json(silent=True)
        if body is None and request.get_data(cache=True).strip():
            raise BadInput("请求内容须为 JSON 对象 / the JSON body must be an object")
        if body is not None and not isinstance(body, dict):
            raise BadInput("请求内容须为 JSON 对象 / the JSON body must be an object")
        values.update(body or {})
    else:
        for key in request.form:
            items = request.form.getlist(key)
            values[key] = items if len(items) > 1 else items[0]
    values.update(request.view_args or {})
    return values


#: inputs whose name fixes their shape wherever they appear
PROVINCE_PATTERN = r"^[0-9]{2}$"


CENTER_NAMES = ("province", "center_code")


def _pattern(param: Param) -> str:
    return param.pattern or (PROVINCE_PATTERN if param.name in CENTER_NAMES and param.kind == "string" else "")


def _wrong_kind(param: Param) -> BadInput:
    return BadInput(f"{param.name} 格式不对（应为{_KIND_ZH.get(param.kind, param.kind)}） / "
                    f"{param.name} must be a {param.kind}")


def _typed_json(param: Param, value: Any) -> None:
    """A JSON body carries its own types: they must be the declared ones (forms and query strings
    carry text, which is converted)."""
    wanted = {"string": str, "integer": int, "number": int | float, "boolean": bool, "array": list,
              "object": dict}.get(param.kind, str)
    if (isinstance(value, bool) and param.kind != "boolean") or not isinstance(value, wanted):
        raise _wrong_kind(param)
    if param.kind == "array" and isinstance(value, list) and not all(isinstance(v, str) for v in value):
        raise _wrong_kind(param)


def _in_range(param: Param, number: float) -> None:
    low = param.minimum if param.minimum is not None else (-(2**63) if param.kind == "integer" else None)
    high = param.maximum if param.maximum is not None else (2**63 - 1 if param.kind == "integer" else None)
    if (low is not None and number < low) or (high is not None and number > high):
        raise BadInput(f"{param.name} 超出范围 / {param.name} is out of range")


def _convert(param: Param, value: Any) -> Any:
    """The value as the declared kind, checked against everything the OpenAPI document declares
    for it (pattern, format, range, enum): a request the document calls valid is accepted, one it
    calls invalid is refused with 400."""
    if value is None or value == "":
        return None
    if param.where == "body" and request.is_json:
        _typed_json(param, value)
    try:
        if param.kind == "integer":
            number = int(value)
            if isinstance(value, str) and not re.fullmatch(r"\s*[-+]?\d+\s*", value):
                raise ValueError(value)
            _in_range(param, number)
            return number
        if param.kind == "number":
            real = float(value)
            if real != real or real in (float("inf"), float("-inf")):
                raise ValueError(value)
            _in_range(param, real)
            return real
        if param.kind == "boolean":
            if isinstance(value, bool):
                return value
            if str(value).lower() not in _TRUE + _FALSE:
                raise ValueError(value)
            return str(value).lower() in _TRUE
        if param.kind == "array":
            items = value if isinstance(value, list) else [v for v in str(value).split(",") if v]
            if param.enum and (wrong := [v for v in items if v not in param.enum]):
                raise BadInput(f"{param.name}: {', '.join(map(str, wrong))} 不在 {'、'.join(param.enum)} 之中 / "
                               f"{param.name} must be among {', '.join(param.enum)}")
            return items
        if param.kind == "object":
            if not isinstance(value, dict):
                raise BadInput(f"{param.name} 须为对象 / {param.name} must be an object")
            return value
    except (TypeError, ValueError, OverflowError):
        raise _wrong_kind(param) from None
    raw = str(value)
    text = raw.strip()
    if not text:
        return None
    if len(raw) < param.min_length:
        raise BadInput(f"{param.name} 至少{param.min_length}个字符 / "
                       f"{param.name}: at least {param.min_length} characters")
    if param.max_length is not None and len(raw) > param.max_length:
        raise BadInput(f"{param.name} 最多{param.max_length}个字（现有{len(raw)}个） / "
                       f"{param.name}: at most {param.max_length} characters ({len(raw)} given)")
    if param.enum and text not in param.enum:
        raise BadInput(f"{param.name} 须为 {'、'.join(param.enum)} 之一 / "
                       f"{param.name} must be one of {', '.join(param.enum)}")
    if (pattern := _pattern(param)) and not re.fullmatch(pattern, raw):
        raise BadInput(f"{param.name} 格式不对 / {param.name} does not match {pattern}")
    if param.fmt == "date":
        try:
            date.fromisoformat(raw)
        except ValueError:
            raise BadInput(f"{param.name} 须为日期 YYYY-MM-DD / {param.name} must be a date YYYY-MM-DD") from None
    return text


def parse_inputs(params: tuple[Param, ...]) -> dict[str, Any]:
    raw = _raw_inputs()
    out: dict[str, Any] = {}
    for param in params:
        value = _convert(param, raw.get(param.name))
        if value is None and param.required:
            raise BadInput(f"缺少 {param.name} / {param.name} is required")
        out[param.name] = value
    return out


def op(rule: str, *, method: str = "GET", roles: tuple[str, ...] = (), scope: str | None = None,
       params: tuple[Param, ...] = (), template: str | None = None, tag: str = "",
       summary: str = "", national: bool = False, scope_from: Callable[[str], str] | None = None,
       scope_example: Callable[[str], str] | None = None,
       media: tuple[str, ...] = ("application/json",)) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare an API operation. The function receives the parsed inputs as keyword arguments and
    returns a JSON-safe value (or a Flask response)."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        path_names = set(re.findall(r"<(?:\w+:)?(\w+)>", rule))
        declared = {p.name for p in params}
        full = params + tuple(Param(n, kind="integer" if f"<int:{n}>" in rule else "string", where="path",
                                    required=True) for n in sorted(path_names - declared))

        @requires(*roles, scope=scope, summary=summary or (fn.__doc__ or "").strip().split("\n")[0],
                  params=full, tags=(tag,) if tag else (), national=national, scope_from=scope_from,
                  scope_example=scope_example, media=media, fragment=bool(template))
        def view(**_: Any) -> Any:
            inputs = parse_inputs(full)
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

        view.__name__ = fn.__name__
        view.__doc__ = fn.__doc__
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


# ---- OpenAPI ---------------------------------------------------------------------------------

def _schema(param: Param) -> dict[str, Any]:
    """The JSON schema of one input: exactly what `_convert` accepts."""
    schema: dict[str, Any] = {"type": param.kind}
    if param.kind == "array":
        schema["items"] = {"type": "string", **({"enum": list(param.enum)} if param.enum else {})}
    elif param.enum:
        schema["enum"] = list(param.enum)
    if param.kind == "string" and not param.enum:
        if param.min_length:
            schema["minLength"] = param.min_length
        if param.max_length is not None:
            schema["maxLength"] = param.max_length
        if pattern := _pattern(param):
            schema["pattern"] = pattern
        elif param.required:
            schema["pattern"] = r"\S"  # blank is the same as missing
        if param.fmt:
            schema["format"] = param.fmt
    if param.kind in ("integer", "number"):
        schema["minimum"] = param.minimum if param.minimum is not None else -(2**63) \
            if param.kind == "integer" else None
        schema["maximum"] = param.maximum if param.maximum is not None else 2**63 - 1 \
            if param.kind == "integer" else None
        schema = {k: v for k, v in schema.items() if v is not None}
    return schema


def _optional(param: Param) -> dict[str, Any]:
    """An optional input may also be empty ("" or, in a JSON body, null): both mean "not given", as
    a form's empty field does."""
    schema = _schema(param)
    if param.required or param.where == "path":
        return schema
    return {"anyOf": [schema, {"type": "string", "maxLength": 0}], "nullable": True}


def _path(rule: str) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule)


def openapi_document(app: Any) -> dict[str, Any]:
    """OpenAPI 3.0 for every /api/v1 operation in the endpoint registry."""
    paths: dict[str, dict[str, Any]] = {}
    specs: list[EndpointSpec] = sorted(registry_of(app).values(), key=lambda s: (s.rule, s.methods))
    for spec in specs:
        if not spec.rule.startswith("/api/v1") or spec.public:
            continue
        for method in spec.methods:
            operation: dict[str, Any] = {
                "operationId": spec.endpoint.split(".", 1)[1],
                "summary": spec.summary,
                "tags": list(spec.tags) or ["api"],
                "x-roles": list(spec.roles) or ["any"],
                "x-province-scope": spec.scope,
                "x-national-only": spec.national,
                "security": [{"bearer": []}, {"session": []}],
                "responses": {
                    "200": {"description": "OK (an HTML fragment when htmx asks: HX-Request)", "content": {
                        **{m: {} for m in spec.media}, **({"text/html": {}} if spec.fragment else {})}},
                    "400": {"description": "The request does not fit this document (type, pattern, format, "
                                           "range, enum, a required input missing)", "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                    "422": {"description": "The request fits this document but breaks a domain rule it cannot "
                                           "state (a flow file that does not validate, a weak password, "
                                           "an input another input makes necessary); the message says which",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                    "401": {"description": "Not logged in / bad token"},
                    "403": {"description": "Role or province scope does not allow this"},
                    "404": {"description": "No such thing (or an id out of range)"},
                    "405": {"description": "Method not allowed on this path"},
                    "409": {"description": "Refused in the current state (e.g. a call not offered to you)"},
                    "413": {"description": "Request body too large"},
                    "414": {"description": "Request URI too long"},
                    "429": {"description": "Too many requests"},
                    "503": {"description": "The domain service is unavailable"},
                },
            }
            in_query = method in ("GET", "DELETE")
            parameters = [
                {"name": p.name, "in": "path" if p.where == "path" else "query", "required": p.where == "path"
                 or p.required, "description": p.description, "schema": _optional(p)}
                for p in spec.params if p.where == "path" or in_query or p.where == "query"
            ]
            if parameters:
                operation["parameters"] = parameters
            body = [p for p in spec.params if p.where == "body" and not in_query]
            if body:
                operation["requestBody"] = {"required": any(p.required for p in body), "content": {
                    "application/json": {"schema": {
                        "type": "object",
                        "properties": {p.name: {**_optional(p), "description": p.description} for p in body},
                        "required": [p.name for p in body if p.required] or None,
                    }}}}
                schema = operation["requestBody"]["content"]["application/json"]["schema"]
                if schema["required"] is None:
                    del schema["required"]
            paths.setdefault(_path(spec.rule), {})[method.lower()] = operation
    return {
        "openapi": "3.0.3",
        "info": {"title": "12333 hotline console API", "version": "1.0.0",
                 "description": "Everything the console pages do. Session callers send X-CSRFToken; "
                                "integrations send Authorization: Bearer <token> (hotline users token)."},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "hotline_session"},
            },
            "schemas": {"Error": {"type": "object", "properties": {"error": {"type": "string"}}}},
        },
    }


def me() -> dict[str, Any]:
    return {"id": current_user.id, "username": current_user.username, "display_name": current_user.display_name,
            "roles": sorted(current_user.roles), "province_scope": current_user.province_scope,
            "language": current_user.language}
