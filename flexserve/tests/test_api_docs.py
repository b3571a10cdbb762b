"""The OpenAPI schema a client can be generated from, and the docs page under our strict CSP."""

import re
import secrets

import pytest
import schemathesis
from django.test import Client

from accounts.models import ApiToken
from flexserve.api import api

ERROR_REF = "#/components/schemas/ErrorOut"


@pytest.fixture(scope="module")
def schema() -> dict:
    return api.get_openapi_schema()


def _token(user) -> str:
    token = secrets.token_urlsafe(32)
    digest = ApiToken.digest_of(token)
    ApiToken.objects.create(user=user, name="docs", digest=digest, prefix=token[:8])
    return f"Bearer {token}"


def _operations(schema: dict):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            yield f"{method.upper()} {path}", method, operation


def test_the_schema_is_valid_openapi(schema):
    schemathesis.openapi.from_dict(schema).validate()  # the OpenAPI meta-schema; raises if not


def test_every_operation_declares_its_error_answers_with_the_envelope(schema):
    missing = []
    for name, method, operation in _operations(schema):
        responses = {int(status): body for status, body in operation["responses"].items()}
        params = operation.get("parameters", [])
        expected = {429, 401, 403}  # every operation here is authenticated
        if any(p["in"] == "path" for p in params):
            expected.add(404)
        if params or "requestBody" in operation:
            expected.add(422)
        if method in {"post", "put", "patch", "delete"}:
            expected.add(409)
        for status in sorted(expected):
            ref = responses.get(status, {}).get("content", {}).get("application/json", {})
            if ref.get("schema", {}).get("$ref") != ERROR_REF:
                missing.append(f"{name} {status}")
    assert missing == []


def test_the_error_envelope_is_described(schema):
    components = schema["components"]["schemas"]
    assert components["ErrorOut"]["required"] == ["error"]
    assert components["ErrorDetailOut"]["required"] == ["code", "message", "fields"]


def test_operations_answering_201_declare_it(schema):
    created = schema["paths"]["/api/service/requests"]["post"]["responses"]
    assert "201" in {str(status) for status in created} and 200 not in created


def test_anonymous_writes_answer_401_as_documented(client, db, schema):
    response = client.post("/api/service/requests", {}, content_type="application/json")
    assert (response.status_code, response.json()["error"]["code"]) == (401, "not_authenticated")
    assert 401 in schema["paths"]["/api/service/requests"]["post"]["responses"]


def test_a_body_that_is_not_json_answers_422_naming_the_body(dispatcher):
    response = Client().post(
        "/api/service/requests",
        b"\xff\xfe not json",
        content_type="application/json",
        HTTP_AUTHORIZATION=_token(dispatcher),
    )
    body = response.json()["error"]
    assert (response.status_code, body["code"]) == (422, "invalid") and "body" in body["fields"]


def test_the_docs_page_uses_only_our_static_files_and_no_inline_script(client, db):
    response = client.get("/api/docs")
    html = response.content.decode()
    assert response.status_code == 200
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert urls and all(url.startswith("/static/") for url in urls), urls
    for url in urls:
        assert client.get(url).status_code == 200, url
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.S)
    for attributes, content in scripts:
        # A script either loads a file or is a JSON data block, which the browser never runs.
        assert "src=" in attributes or 'type="application/json"' in attributes
        assert "src=" not in attributes or not content.strip()


def test_the_docs_page_is_served_under_the_strict_csp(client, db):
    policy = client.get("/api/docs")["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]+)", policy).group(1)
    assert script_src.split() == ["'self'"]


@pytest.fixture
def production(settings):
    settings.PRODUCTION = True


def test_in_production_anonymous_visitors_are_sent_to_log_in(client, db, production):
    response = client.get("/api/docs")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    schema = client.get("/api/openapi.json")
    assert (schema.status_code, schema.json()["error"]["code"]) == (401, "not_authenticated")


def test_in_production_shop_owners_may_not_read_the_docs(client_for, shop_owner, production):
    client = client_for(shop_owner)
    for path in ("/api/docs", "/api/openapi.json"):
        response = client.get(path)
        assert (response.status_code, response.json()["error"]["code"]) == (403, "forbidden")


def test_in_production_staff_read_the_docs_and_schema(client_for, dispatcher, production):
    client = client_for(dispatcher)
    assert client.get("/api/docs").status_code == 200
    assert "/api/service/requests" in client.get("/api/openapi.json").json()["paths"]
