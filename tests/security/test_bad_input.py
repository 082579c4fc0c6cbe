"""Item 16: deeply nested JSON, integer path ids above 2^63 and huge values are 400/404, never 500
(on the API and on the signed handoff endpoint)."""

from __future__ import annotations

import re
from typing import Any

import switch.handoff as hf
from hotline.platform import Platform
from tests.web.conftest import HOME_PROVINCE, page_csrf
from web.permissions import registry_of

DEEP = ("[" * 5000 + "]" * 5000).encode()
HUGE = str(2**70)


def test_deeply_nested_json_is_400(web_app: Any, make_user: Any, client_for: Any) -> None:
    make_user("deep-admin", ("admin",), "00")
    client = client_for("deep-admin")
    headers = {"X-CSRFToken": page_csrf(client), "Content-Type": "application/json"}
    for path in ("/api/v1/admin/users", "/api/v1/broadcast", "/api/v1/admin/holidays"):
        response = client.post(path, data=DEEP, headers=headers)
        assert response.status_code == 400, (path, response.status_code)
    deep_object = ('{"a":' * 5000 + "1" + "}" * 5000).encode()
    assert client.post("/api/v1/broadcast", data=deep_object, headers=headers).status_code == 400


def test_the_signed_handoff_endpoint_refuses_deep_json(web_app: Any, platform: Platform, clock: Any) -> None:
    client = web_app.test_client()
    headers = hf.signed_headers(platform.settings.handoff_secret, clock.time(), "POST", hf.PATH, DEEP)
    response = client.post(hf.PATH, data=DEEP, headers={**headers, "Content-Type": "application/json"})
    assert response.status_code == 400


def test_integer_ids_above_2_63_are_400_or_404(web_app: Any, make_user: Any, client_for: Any) -> None:
    web_app.config["WTF_CSRF_ENABLED"] = False
    make_user("big-admin", ("admin", "supervisor", "editor", "reviewer"), "00")
    make_user("big-agent", ("agent",), HOME_PROVINCE, agent=True)
    clients = [client_for("big-admin"), client_for("big-agent")]
    failures = []
    checked = 0
    for spec in registry_of(web_app).values():
        if "<int:" not in spec.rule:
            continue
        path = re.sub(r"<int:\w+>", HUGE, spec.rule)
        path = re.sub(r"<(?:\w+:)?\w+>", "x", path)
        for method in spec.methods:
            for client in clients:
                status = client.open(path, method=method, json={}).status_code
                checked += 1
                if status >= 500:
                    failures.append(f"{method} {path}: {status}")
    assert checked >= 10 and failures == []
