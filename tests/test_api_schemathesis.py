"""Every operation in the OpenAPI schema, called by schemathesis with generated input as a shop
owner and as a dispatcher (bearer tokens), through the WSGI app: no answer is a 5xx, and every
answer is documented (status, content type, body, headers).

Bounded and repeatable: 10 generated cases per operation and role, a fixed seed, no shrinking;
about 100 s on SQLite or PostgreSQL. A failure prints a curl command that reproduces it.
"""

import secrets

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.models import ApiToken
from flexserve.api import api
from flexserve.wsgi import application

MAX_EXAMPLES = 10
CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 12,
        "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
        "generation": {"max-examples": MAX_EXAMPLES},
    }
)
# No 5xx, and every answer documented: its status, content type, body and headers. Not
# positive_data_acceptance: a schema-valid request may still be refused by the domain (422
# unknown_product, 409 order_exists), which the schema declares.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
schema = schemathesis.openapi.from_dict(api.get_openapi_schema(), config=CONFIG)
schema.app = application


def _bearer(user) -> dict[str, str]:
    token = secrets.token_urlsafe(32)
    ApiToken.objects.create(
        user=user, name="schemathesis", digest=ApiToken.digest_of(token), prefix=token[:8]
    )
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(autouse=True)
def _keep_the_test_transaction():
    # The WSGI handler closes the database connection after each request, as in production;
    # that would end the test's transaction (Django's test client does the same as here).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(params=["shop_owner", "dispatcher"])
def caller(request, db):
    # About 12 calls per operation and role: far below the rate limit, reset between tests.
    return _bearer(request.getfixturevalue(request.param))


@schema.parametrize()
@hypothesis_settings(
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
    deadline=None,
)
def test_api_answers_within_its_schema(case, caller):
    case.call_and_validate(headers=caller, checks=CHECKS)
