"""Test calls through the running node: the console's test-call page (/test-call) for trainers and
supervisors, and the API it and `hotline call --node URL` use (/api/v1/test-calls).

Who may place one: a supervisor or admin (session with the CSRF token, or a bearer token), or a
process holding the node-local key (`core.testcalls.node_key`, header X-Hotline-Test-Call-Key) —
that is how `hotline call` on the node's machine reaches it without a login. Every call placed is
audited (`testcall.start`, actor the user or `node-key`)."""

from __future__ import annotations

import functools
import hmac
from collections.abc import Callable
from typing import Any

from apiflask import APIBlueprint, HTTPError
from flask import Flask, current_app, g, jsonify, render_template, request
from flask_login import current_user

from core.testcalls import KEY_HEADER, node_key
from ivr.testcall import TestCallError, TestCalls
from web.apikit import documented, first_message, with_inputs
from web.extensions import csrf, platform_of
from web.permissions import EndpointSpec, Param, check, requires

bp = APIBlueprint("testcalls", __name__)
csrf.exempt(bp)  # checked below: sessions need the CSRF token, token and key callers do not

ROLES = ("admin", "supervisor")
MAX_NUMBER = 20


def init_app(app: Flask) -> None:
    platform = platform_of(app)
    node_key(platform.settings)  # generated at start, so `hotline call` on this machine can read it
    calls = TestCalls(platform)
    calls.attach()
    app.extensions["test_calls"] = calls


def calls_of(app: Flask | None = None) -> TestCalls:
    return (app or current_app).extensions["test_calls"]  # type: ignore[no-any-return]


def _key_ok() -> bool:
    given = request.headers.get(KEY_HEADER)
    if not given:
        return False
    return hmac.compare_digest(given.encode(), node_key(platform_of().settings).encode())


def _actor() -> str:
    return "node-key" if g.get("test_call_key") else f"user:{current_user.id}"


def api(rule: str, *, method: str = "GET", params: tuple[Param, ...] = ()) -> Callable[..., Any]:
    """An /api/v1/test-calls operation: declared for supervisors and admins (registry, OpenAPI,
    permission matrix), also open to the node key. Its inputs are parsed and documented as every
    other operation's (`web.apikit.with_inputs`); the function gets those given, and the call id."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        summary = (fn.__doc__ or "").strip().split("\n")[0]
        spec = EndpointSpec(endpoint="", roles=ROLES, scope=None, params=params, tags=("test-calls",),
                            summary=summary)

        def answer(**inputs: Any) -> Any:
            path = {"call_id": inputs.pop("call_id")} if "call_id" in rule else {}
            try:
                return jsonify(fn({k: v for k, v in inputs.items() if v is not None}, **path))
            except TestCallError as exc:
                status = 404 if exc.code == "unknown_call" else 422 if exc.code == "bad_input" else 409
                return jsonify(error=exc.message, code=exc.code), status

        answer.__name__ = fn.__name__
        parsed = with_inputs(bp, "/api/v1/test-calls" + rule, method, params, fn.__name__)(answer)
        parsed = documented(bp, roles=ROLES, scope=None, national=False, tag="test-calls", summary=summary,
                            name=fn.__name__, media=("application/json",), fragment=False)(parsed)

        @functools.wraps(parsed)
        def view(**kwargs: Any) -> Any:
            if _key_ok():
                g.test_call_key = True
            else:
                check(spec)
                if method != "GET" and not g.get("token_auth"):
                    csrf.protect()
            return parsed(**kwargs)

        view.__hotline_spec__ = spec  # type: ignore[attr-defined]
        bp.add_url_rule("/api/v1/test-calls" + rule, endpoint=fn.__name__, view_func=view, methods=[method])
        return view

    return decorate


@bp.errorhandler(HTTPError)
def _invalid(exc: HTTPError):  # type: ignore[no-untyped-def]
    """An input the OpenAPI document calls invalid: 400, as on every other operation."""
    return jsonify(error=first_message(exc.detail) if exc.detail else exc.message, code="bad_input"), exc.status_code


def _text(values: dict, name: str, limit: int) -> str:
    value = str(values.get(name) or "").strip()
    if len(value) > limit:
        raise TestCallError("bad_input", f"{name} 最多{limit}个字符 / {name}: at most {limit} characters")
    return value


@api("", method="POST", params=(
    Param("from", pattern=r"^\+?[0-9]{1,20}$", description="calling number (default 13800138000)"),
    Param("to", pattern=r"^\+?[0-9]{1,20}$", description="entry number dialled (default 12333)"),
    Param("keys", description='keys for the first prompts, e.g. "0 1"'),
    Param("lang", enum=("zh", "en"), description="start in this language")))
def start_test_call(values: dict) -> dict:
    """Place a test call through this node (engine, switch, ACD): a ready agent gets the offer."""
    caller = _text(values, "from", MAX_NUMBER) or "13800138000"
    called = _text(values, "to", MAX_NUMBER) or "12333"
    if not all(ch.isdigit() or ch == "+" for ch in caller + called):
        raise TestCallError("bad_input", "号码只能是数字 / numbers are digits only")
    lang = values.get("lang") if values.get("lang") in ("zh", "en") else None
    if not platform_of().ivr.versions(called):
        raise TestCallError("no_flow", f"{called} 没有发布的呼叫流程 / no flow is published for {called}")
    return calls_of().start(caller=caller, called=called, language=lang, by=_actor(),
                            keys=_text(values, "keys", 200))


@api("/<call_id>", params=(Param("since", kind="integer", where="query",
                                 description="events already seen"),))
def test_call_view(values: dict, call_id: str) -> dict:
    """The test call as the caller experiences it: prompts as text, what is asked, the agent's actions."""
    try:
        since = max(0, int(values.get("since") or 0))
    except ValueError:
        since = 0
    return calls_of().view(call_id, since)


@api("/<call_id>/keys", method="POST", params=(Param("keys", required=True, description="keys, e.g. 1 or 0 1"),))
def test_call_keys(values: dict, call_id: str) -> dict:
    """Press keys at the prompts waiting."""
    return calls_of().keys(call_id, str(values.get("keys") or ""))


@api("/<call_id>/say", method="POST", params=(Param("text", required=True, description="what the caller says"),))
def test_call_say(values: dict, call_id: str) -> dict:
    """Say something (a speech prompt, or to the agent)."""
    return calls_of().say(call_id, str(values.get("text") or ""))


@api("/<call_id>/hangup", method="POST")
def test_call_hangup(values: dict, call_id: str) -> dict:
    """The caller hangs up."""
    return calls_of().hangup(call_id, _actor())


@bp.route("/test-call")
@requires(*ROLES)
def page():  # type: ignore[no-untyped-def]
    """The test-call page: a keypad, the prompts as text, the agent's actions."""
    return render_template("testcall.html", demo=platform_of().settings.demo_mode)
