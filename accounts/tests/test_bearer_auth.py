"""Integrations POST with a bearer token and no CSRF token; browsers still need CSRF."""

import json

import pytest
from django.test import Client

from accounts.models import ApiToken, Role
from accounts.services import api_token_create
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def integration(db):
    user = UserFactory(username="platform", role=Role.ADMIN)
    return api_token_create(user=user, name="ordering platform")


def test_bearer_post_needs_no_csrf_token(integration, shop):
    _, token = integration
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/api/service/requests",
        json.dumps({"request_type": "complaint", "title": "送货态度差", "shop_id": shop.pk}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 201, response.content


def test_session_post_without_csrf_is_refused(shop_owner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(shop_owner)
    response = client.post(
        "/api/service/requests",
        json.dumps({"request_type": "complaint", "title": "x"}),
        content_type="application/json",
    )
    assert response.status_code == 403


def test_wrong_or_revoked_token_is_refused(integration):
    api_token, token = integration
    client = Client(enforce_csrf_checks=True)
    assert client.get("/api/service/requests", HTTP_AUTHORIZATION="Bearer nope").status_code == 401
    api_token.revoked_at = api_token.created_at
    api_token.save()
    assert (
        client.get("/api/service/requests", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401
    )


def test_last_used_is_recorded_once_a_minute(integration):
    api_token, token = integration
    client = Client()
    for _ in range(3):
        client.get("/api/service/request-types", HTTP_AUTHORIZATION=f"Bearer {token}")
    first = ApiToken.objects.get(pk=api_token.pk).last_used_at
    assert first is not None
    client.get("/api/service/request-types", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert ApiToken.objects.get(pk=api_token.pk).last_used_at == first
