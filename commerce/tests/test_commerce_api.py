"""Orders, deliveries and payments: the shop reads its own; the ordering platform writes."""

import secrets
from decimal import Decimal

import pytest

from accounts.models import ApiToken, Role
from accounts.tests.factories import UserFactory
from commerce.models import Order, OrderLine, Payment
from commerce.tests.factories import (
    DeliveryFactory,
    OrderLineFactory,
    PaymentFactory,
    ProductFactory,
)


@pytest.fixture
def platform(db):
    """The ordering platform's integration account and a bearer token for it."""
    user = UserFactory(username="ordering-platform", role=Role.ADMIN)
    token = secrets.token_urlsafe(32)
    ApiToken.objects.create(
        user=user, name="ordering", digest=ApiToken.digest_of(token), prefix=token[:8]
    )
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_shop_owner_lists_only_their_orders_deliveries_and_payments(
    client_for, shop_owner, shop, other_shop
):
    mine = OrderLineFactory(order__shop=shop).order
    theirs = OrderLineFactory(order__shop=other_shop).order
    for order in (mine, theirs):
        DeliveryFactory(order=order)
        PaymentFactory(order=order)
    client = client_for(shop_owner)
    assert [o["number"] for o in client.get("/api/commerce/orders").json()["items"]] == [
        mine.number
    ]
    assert [d["order_id"] for d in client.get("/api/commerce/deliveries").json()["items"]] == [
        mine.pk
    ]
    assert [p["order_id"] for p in client.get("/api/commerce/payments").json()["items"]] == [
        mine.pk
    ]
    # Asking for another shop by filter still yields nothing.
    filtered = client.get(f"/api/commerce/orders?shop_id={other_shop.pk}").json()
    assert filtered["count"] == 0


def test_order_detail_has_its_lines(client_for, shop_owner, shop):
    line = OrderLineFactory(order__shop=shop, quantity=3, amount=Decimal("450.00"))
    body = client_for(shop_owner).get(f"/api/commerce/orders/{line.order.pk}").json()
    assert body["lines"][0]["quantity"] == 3
    assert body["lines"][0]["brand"] == line.product.brand


def test_platform_pushes_an_order_with_a_bearer_token(client, platform, shop):
    product = ProductFactory(code="HS001", unit_price=Decimal("230.00"))
    payload = {
        "number": "DD20261125000001",
        "licence_no": shop.licence_no,
        "ordered_on": "2026-11-25",
        "lines": [{"product_code": product.code, "quantity": 2}],
    }
    response = client.post(
        "/api/commerce/orders", payload, content_type="application/json", **platform
    )
    assert response.status_code == 201, response.content
    assert response.json()["total_amount"] == "460.00"
    again = client.post(
        "/api/commerce/orders", payload, content_type="application/json", **platform
    )
    assert (again.status_code, again.json()["error"]["code"]) == (409, "order_exists")
    assert Order.objects.filter(number="DD20261125000001").count() == 1


def test_an_order_with_an_unknown_product_changes_nothing(client, platform, shop):
    ProductFactory(code="HS001")
    payload = {
        "number": "DD20261125000002",
        "licence_no": shop.licence_no,
        "ordered_on": "2026-11-25",
        "lines": [
            {"product_code": "HS001", "quantity": 1},
            {"product_code": "NOPE", "quantity": 1},
        ],
    }
    response = client.post(
        "/api/commerce/orders", payload, content_type="application/json", **platform
    )
    assert (response.status_code, response.json()["error"]["code"]) == (422, "unknown_product")
    assert not Order.objects.exists() and not OrderLine.objects.exists()


def test_a_revoked_or_wrong_token_is_not_authenticated(client, shop):
    response = client.get("/api/commerce/orders", HTTP_AUTHORIZATION="Bearer not-a-token")
    assert (response.status_code, response.json()["error"]["code"]) == (401, "not_authenticated")


def test_shop_owners_cannot_push_orders(client_for, shop_owner, shop):
    payload = {
        "number": "DD1",
        "licence_no": shop.licence_no,
        "ordered_on": "2026-11-25",
        "lines": [{"product_code": "X", "quantity": 1}],
    }
    response = client_for(shop_owner).post(
        "/api/commerce/orders", payload, content_type="application/json"
    )
    assert (response.status_code, response.json()["error"]["code"]) == (403, "forbidden")


def test_payment_failures_are_recorded_and_validated(client, platform, shop):
    order = OrderLineFactory(order__shop=shop).order
    ok = client.post(
        "/api/commerce/payments",
        {
            "order_number": order.number,
            "amount": "150.00",
            "method": "bank_deduction",
            "status": "failed",
            "failure_reason": "余额不足",
        },
        content_type="application/json",
        **platform,
    )
    assert ok.status_code == 201
    bad = client.post(
        "/api/commerce/payments",
        {"order_number": order.number, "amount": "150.00", "method": "barter", "status": "failed"},
        content_type="application/json",
        **platform,
    )
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "invalid")
    assert "method" in bad.json()["error"]["fields"]
    assert Payment.objects.count() == 1


def test_delivered_status_marks_the_order_delivered(client, platform, shop):
    order = OrderLineFactory(order__shop=shop).order
    response = client.post(
        "/api/commerce/deliveries",
        {
            "order_number": order.number,
            "status": "delivered",
            "planned_at": "2026-11-26T09:00:00+08:00",
            "delivered_at": "2026-11-26T09:40:00+08:00",
            "route_code": "R07",
        },
        content_type="application/json",
        **platform,
    )
    assert response.status_code == 200, response.content
    order.refresh_from_db()
    assert order.status == Order.Status.DELIVERED


def test_order_list_query_count_does_not_grow_with_orders(
    client_for, dispatcher, django_assert_num_queries, shop
):
    for _ in range(5):
        OrderLineFactory(order__shop=shop)
    client = client_for(dispatcher)
    client.get("/api/commerce/orders")  # warm the session
    with django_assert_num_queries(4):  # session, user, count, page
        assert client.get("/api/commerce/orders").json()["count"] == 5
