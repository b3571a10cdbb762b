"""Log-in: role-based landing page, throttling of repeated failures, CSRF on API writes."""

import pytest
from django.test import Client

from accounts.models import Role
from accounts.tests.factories import UserFactory

PASSWORD = "correct-horse-battery"


def test_shop_owner_lands_in_the_portal_and_staff_in_the_console(
    shop_owner, account_manager, service_manager
):
    for user, landing in (
        (shop_owner, "/portal/"),
        (account_manager, "/console/field/"),  # the day's visits first
        (service_manager, "/console/shops/"),
    ):
        client = Client()
        response = client.post(
            "/accounts/login/", {"username": user.username, "password": PASSWORD}, follow=True
        )
        assert response.redirect_chain[-1][0] == landing


@pytest.mark.django_db
def test_repeated_failed_log_ins_lock_the_account_for_a_while(settings):
    settings.AXES_ENABLED = True
    UserFactory(username="am09", role=Role.ACCOUNT_MANAGER, password=PASSWORD)
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "am09", "password": "wrong"})
    locked = client.post("/accounts/login/", {"username": "am09", "password": PASSWORD})
    assert locked.status_code == 429
    assert b'data-error-code="rate_limited"' in locked.content


def test_api_writes_from_a_session_need_the_csrf_token(service_manager, grid):
    client = Client(enforce_csrf_checks=True)
    client.force_login(service_manager)
    response = client.post(
        "/api/customers/segment-preview",
        {"rules": [{"segment": "core"}]},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] in {"forbidden", "not_authenticated"}
