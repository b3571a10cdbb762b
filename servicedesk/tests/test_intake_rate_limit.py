"""One intake limit per shop and hour, shared by the portal, the API and staff filing for it."""

import json

import pytest

from servicedesk.models import OutboxMessage, ServiceRequest

pytestmark = pytest.mark.django_db

NEW = "/portal/requests/new/"
BODY = {"request_type": "order_problem", "title": "订单提交不了", "description": "超时"}


@pytest.fixture
def limit_of_two(settings):
    settings.INTAKE_RATE_LIMIT_PER_SHOP_PER_HOUR = 2


def api_post(client, key=None, **extra):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(
        "/api/service/requests",
        json.dumps(BODY),
        content_type="application/json",
        **headers,
        **extra,
    )


def portal_post(client, **extra):
    return client.post(NEW, {"request_type": "order_problem", "title": "缺货"}, **extra)


def test_portal_and_api_share_one_counter_per_shop(
    client_for, shop_owner, account_manager, limit_of_two
):
    client = client_for(shop_owner)
    assert portal_post(client).status_code == 302
    assert api_post(client).status_code == 201
    notified = OutboxMessage.objects.count()

    refused = api_post(client)
    assert (refused.status_code, refused.json()["error"]["code"]) == (429, "rate_limited")
    assert 0 < int(refused["Retry-After"]) <= 3601
    page = portal_post(client, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 429
    assert b"requests this hour" in page.content
    assert b'class="alert alert-error"' in portal_post(client).content  # zh: from the catalogue
    assert ServiceRequest.objects.count() == 2
    assert OutboxMessage.objects.count() == notified  # nobody notified of refused requests


def test_staff_filing_for_the_shop_counts_against_the_same_limit(
    client_for, shop, shop_owner, account_manager, limit_of_two
):
    from servicedesk import services

    for _ in range(2):
        services.request_create(
            actor=account_manager,
            request_type="order_problem",
            title="电话报修",
            channel="phone",
            shop_id=shop.pk,
        )
    refused = api_post(client_for(shop_owner))
    assert (refused.status_code, refused.json()["error"]["code"]) == (429, "rate_limited")


def test_an_idempotent_replay_is_not_counted(client_for, shop_owner, account_manager, limit_of_two):
    client = client_for(shop_owner)
    first = api_post(client, key="k-1")
    replay = api_post(client, key="k-1")
    assert (first.status_code, replay.status_code) == (201, 201)
    assert replay["Idempotent-Replayed"] == "true"
    assert api_post(client, key="k-2").status_code == 201  # the second of two
    assert api_post(client, key="k-1")["Idempotent-Replayed"] == "true"  # also past the limit
    assert api_post(client, key="k-3").status_code == 429


def test_another_shop_has_its_own_budget(
    client_for, shop_owner, other_shop_owner, account_manager, limit_of_two
):
    for _ in range(2):
        api_post(client_for(shop_owner))
    assert api_post(client_for(shop_owner)).status_code == 429
    assert api_post(client_for(other_shop_owner)).status_code == 201


@pytest.fixture
def cache_down(settings):
    """The cache's Redis is unreachable (it restarts; in production it is also the broker)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there: connection refused
        }
    }
    settings.CELERY_TASK_ALWAYS_EAGER = False  # intake schedules the outbox drain on the broker


def test_intake_keeps_acknowledging_while_the_cache_is_down(
    client_for, shop, shop_owner, account_manager, cache_down, django_capture_on_commit_callbacks
):
    """The limits fail open: a missing counter must not turn a cache outage into an intake
    outage. The notification owed waits in the outbox for the sweeper."""
    from unittest import mock

    from servicedesk import outbox
    from servicedesk.tasks import drain_outbox_task

    client = client_for(shop_owner)
    outbox._drain_due_at = 0.0
    broker_down = mock.patch.object(drain_outbox_task, "apply_async", side_effect=OSError)
    with broker_down, django_capture_on_commit_callbacks(execute=True):
        api = api_post(client, key="while-redis-restarts")
        portal = portal_post(client)
    outbox._drain_due_at = 0.0
    assert (api.status_code, portal.status_code) == (201, 302)
    assert ServiceRequest.objects.filter(shop=shop).count() == 2
    pending = OutboxMessage.objects.filter(recipient=account_manager, state="pending")
    assert pending.count() == 2
