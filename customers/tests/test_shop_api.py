"""Shops through the API: scope per role, masked phones in lists, validated writes."""

import pytest

from customers.models import SegmentChange, Shop
from customers.tests.factories import ShopFactory


def test_shop_owner_lists_only_their_own_shop(client_for, shop_owner, shop, other_shop):
    body = client_for(shop_owner).get("/api/customers/shops").json()
    assert [s["id"] for s in body["items"]] == [shop.pk]
    assert body["count"] == 1


def test_lists_mask_the_phone_and_detail_shows_it_to_staff(client_for, account_manager, shop):
    client = client_for(account_manager)
    listed = client.get("/api/customers/shops").json()["items"][0]
    assert listed["phone_masked"] == f"{shop.phone[:3]}****{shop.phone[-4:]}"
    assert "phone" not in listed
    assert client.get(f"/api/customers/shops/{shop.pk}").json()["phone"] == shop.phone


def test_account_manager_sees_their_territory_and_assigned_shops(
    client_for, account_manager, shop, other_shop
):
    assigned_elsewhere = ShopFactory(account_manager=account_manager)
    ids = {s["id"] for s in client_for(account_manager).get("/api/customers/shops").json()["items"]}
    assert ids == {shop.pk, assigned_elsewhere.pk}


def test_reading_another_shop_answers_not_found(client_for, shop_owner, other_shop):
    response = client_for(shop_owner).get(f"/api/customers/shops/{other_shop.pk}")
    assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found")


def test_anonymous_requests_are_refused_with_the_error_envelope(client_for, shop):
    response = client_for(None).get("/api/customers/shops")
    assert (response.status_code, response.json()["error"]["code"]) == (401, "not_authenticated")


def _new_shop(grid, **overrides):
    data = {
        "licence_no": "340103200001",
        "name": "新开便利店",
        "owner_name": "李四",
        "phone": "13800001111",
        "address": "合肥市蜀山区黄山路8号",
        "latitude": "31.85",
        "longitude": "117.25",
        "grid_id": grid.pk,
        "business_type": "convenience",
        "market_type": "urban",
        "grade": 26,
        "star": 5,
        "contact_channels": ["wechat"],
    }
    return data | overrides


def test_manager_registers_a_shop_and_it_is_classified(client_for, service_manager, grid):
    response = client_for(service_manager).post(
        "/api/customers/shops", _new_shop(grid), content_type="application/json"
    )
    assert response.status_code == 201, response.content
    shop = Shop.objects.get(licence_no="340103200001")
    assert shop.segment == "core"
    assert list(
        SegmentChange.objects.filter(shop=shop).values_list("from_segment", "to_segment")
    ) == [("", "core")]


@pytest.mark.parametrize(
    ("field", "value"),
    [("licence_no", "000000000000"), ("phone", "12345"), ("business_type", "bank")],
)
def test_bad_shop_fields_are_refused_and_nothing_is_saved(
    client_for, service_manager, grid, field, value
):
    response = client_for(service_manager).post(
        "/api/customers/shops", _new_shop(grid, **{field: value}), content_type="application/json"
    )
    assert response.status_code == 422
    body = response.json()["error"]
    assert body["code"] == "invalid" and field in body["fields"]
    assert not Shop.objects.filter(name="新开便利店").exists()


def test_account_manager_may_not_register_shops(client_for, account_manager, grid):
    response = client_for(account_manager).post(
        "/api/customers/shops", _new_shop(grid), content_type="application/json"
    )
    assert (response.status_code, response.json()["error"]["code"]) == (403, "forbidden")


def test_error_messages_follow_the_request_language(client_for, shop_owner, other_shop):
    client = client_for(shop_owner)
    url = f"/api/customers/shops/{other_shop.pk}"
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").json()["error"]["message"]
    assert english == "Not found."


def test_shop_list_query_count_does_not_grow_with_shops(
    client_for, account_manager, grid, django_assert_num_queries
):
    for _ in range(6):
        ShopFactory(grid=grid)
    client = client_for(account_manager)
    client.get("/api/customers/shops")  # warm the session
    # session, user, territory grids, count, page (grid, district, manager joined)
    with django_assert_num_queries(5):
        assert client.get("/api/customers/shops").json()["count"] == 6
