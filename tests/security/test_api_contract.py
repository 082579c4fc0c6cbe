"""Item 20 (in part): anonymous writes get 401 (not a CSRF 400), and the OpenAPI document declares
the refusals the API gives (404, 405, 409, 413, 414, 429)."""

from __future__ import annotations

from typing import Any


def test_anonymous_posts_get_401_not_a_csrf_400(web_app: Any) -> None:
    client = web_app.test_client()
    for path in ("/api/v1/agent/ready", "/api/v1/admin/users", "/api/v1/broadcast"):
        response = client.post(path, json={})
        assert response.status_code == 401, (path, response.status_code)
    bad_token = client.post("/api/v1/agent/ready", json={}, headers={"Authorization": "Bearer hlt_nope"})
    assert bad_token.status_code == 401


def test_session_posts_still_need_the_csrf_token(web_app: Any, make_user: Any, client_for: Any) -> None:
    make_user("csrf-sup", ("supervisor",))
    client = client_for("csrf-sup")
    assert client.post("/api/v1/broadcast", json={"message": "x"}).status_code == 400


def test_openapi_declares_the_refusals(web_app: Any) -> None:
    doc = web_app.test_client().get("/api/v1/openapi.json").get_json()
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            assert {"400", "401", "403", "404", "405", "409", "413", "414", "429"} <= set(operation["responses"]), \
                (method, path)
